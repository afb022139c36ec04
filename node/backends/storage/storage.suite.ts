/**
 * The StorageBackend behaviour suite (docs/style.md §3, §6): every implementation runs it; deviations are named
 * with a reason. Facts: zos-protocol.md §1.5 zmount/volume, §3.5 grow-only.
 * @module
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConflictError, ZosError } from '../../../protocol/common/errors';
import type { StorageBackend } from './storage';
import { suiteIt, type SuiteOptions } from '../suite-options';

const MiB = 1n << 20n;

export function describeStorageBackend(name: string, make: (dir: string) => StorageBackend, opts: SuiteOptions = {}, describeFn: jest.Describe = describe): void {
  const it_ = suiteIt(opts.differs);

  describeFn(`StorageBackend: ${name}`, () => {
    let dir: string;
    let storage: StorageBackend;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-storage-'));
      storage = make(dir);
    });
    afterEach(async () => {
      for (const d of await storage.list()) await storage.remove(d.id);
      await storage.close();
      await fs.rm(dir, { recursive: true, force: true });
    });

    it_('creates a disk of the asked size and returns the same disk on a second create', async () => {
      const a = await storage.create({ id: '7-1-data', kind: 'zmount', size: 64n * MiB });
      expect(a).toMatchObject({ id: '7-1-data', kind: 'zmount', size: 64n * MiB });
      expect(a.mountpoint).toBeUndefined();
      const b = await storage.create({ id: '7-1-data', kind: 'zmount', size: 64n * MiB });
      expect(b).toEqual(a);
      expect((await storage.list()).map((d) => d.id)).toEqual(['7-1-data']);
    });

    it_('rejects a zero size with ZOS text', async () => {
      await expect(storage.create({ id: '7-1-zero', kind: 'zmount', size: 0n })).rejects.toThrow('invalid size');
    });

    it_('keeps files across unmount and mount', async () => {
      await storage.create({ id: '7-1-keep', kind: 'volume', size: 32n * MiB });
      const mp = await storage.mount('7-1-keep');
      expect(await storage.mount('7-1-keep')).toBe(mp);
      expect((await storage.get('7-1-keep'))?.mountpoint).toBe(mp);
      await fs.writeFile(path.join(mp, 'hello.txt'), 'still here');
      await storage.unmount('7-1-keep');
      expect((await storage.get('7-1-keep'))?.mountpoint).toBeUndefined();
      const again = await storage.mount('7-1-keep');
      expect(await fs.readFile(path.join(again, 'hello.txt'), 'utf8')).toBe('still here');
      await storage.unmount('7-1-keep');
    });

    it_('grows an unmounted disk and refuses to shrink it', async () => {
      await storage.create({ id: '7-1-grow', kind: 'zmount', size: 32n * MiB });
      const g = await storage.grow('7-1-grow', 96n * MiB);
      expect(g.size).toBe(96n * MiB);
      const err = await storage.grow('7-1-grow', 16n * MiB).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZosError);
      expect((err as Error).message).toBe('not safe to shrink a disk');
      expect((await storage.get('7-1-grow'))?.size).toBe(96n * MiB);
    });

    it_('refuses to grow a mounted disk', async () => {
      await storage.create({ id: '7-1-busy', kind: 'zmount', size: 32n * MiB });
      await storage.mount('7-1-busy');
      await expect(storage.grow('7-1-busy', 64n * MiB)).rejects.toBeInstanceOf(ConflictError);
      await storage.unmount('7-1-busy');
    });

    it_('counts the full size of every disk as reserved', async () => {
      await storage.create({ id: '7-1-a', kind: 'zmount', size: 32n * MiB });
      await storage.create({ id: '7-1-b', kind: 'volume', size: 48n * MiB });
      expect(await storage.reserved()).toBe(80n * MiB);
    });

    it_('removes a mounted disk and tolerates removing it twice', async () => {
      await storage.create({ id: '7-1-gone', kind: 'zmount', size: 32n * MiB });
      await storage.mount('7-1-gone');
      await storage.remove('7-1-gone');
      await storage.remove('7-1-gone');
      expect(await storage.get('7-1-gone')).toBeUndefined();
      expect(await storage.list()).toEqual([]);
    });
  });
}
