/**
 * The FlistBackend behaviour suite (docs/style.md §6), run for every implementation. Facts: zos-protocol.md §6.3.
 * Fixtures are real directories named after what they hold, so the sim (which only sees names) can run it too.
 * @module
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FlistBackend } from './flist';
import { suiteIt, type SuiteOptions } from '../suite-options';

export function describeFlistBackend(name: string, make: (dir: string) => FlistBackend, opts: SuiteOptions = {}, describeFn: jest.Describe = describe): void {
  const it_ = suiteIt(opts.differs);

  describeFn(`FlistBackend: ${name}`, () => {
    let dir: string;
    let src: string;
    let flists: FlistBackend;
    beforeAll(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-flist-'));
      src = path.join(dir, 'src');
      await fs.mkdir(path.join(src, 'plain/bin'), { recursive: true });
      await fs.writeFile(path.join(src, 'plain/bin/hello'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
      await fs.writeFile(path.join(src, 'plain/.startup.toml'), '[startup.entry]\nname = "core.system"\n[startup.entry.args]\nname = "/bin/hello"\n[startup.entry.args.env]\nGREETING = "hi there"\n');
      await fs.mkdir(path.join(src, 'other/bin'), { recursive: true });
      await fs.writeFile(path.join(src, 'other/bin/hello'), '#!/bin/sh\necho bye\n', { mode: 0o755 });
      await fs.mkdir(path.join(src, 'vm-image'), { recursive: true });
      await fs.writeFile(path.join(src, 'vm-image/image.raw'), Buffer.alloc(4096));
      await fs.mkdir(path.join(src, 'vm-kernel/boot'), { recursive: true });
      await fs.writeFile(path.join(src, 'vm-kernel/boot/vmlinuz'), 'kernel');
      await fs.writeFile(path.join(src, 'vm-kernel/boot/initrd.img'), 'initrd');
      flists = make(path.join(dir, 'cache'));
    });
    afterAll(async () => {
      await flists.close();
      await fs.rm(dir, { recursive: true, force: true });
    });

    it_('resolves the same reference to the same cached key', async () => {
      const a = await flists.resolve(path.join(src, 'plain'));
      const b = await flists.resolve(path.join(src, 'plain'));
      expect(b.key).toBe(a.key);
      expect(a.key).toMatch(/^[0-9a-f]{64}$/);
      expect(await flists.list()).toContain(a.key);
    });

    it_('gives different content a different key', async () => {
      const a = await flists.resolve(path.join(src, 'plain'));
      const b = await flists.resolve(path.join(src, 'other'));
      expect(b.key).not.toBe(a.key);
    });

    it_('detects container, vm-image and vm-kernel modes', async () => {
      expect((await flists.resolve(path.join(src, 'plain'))).mode).toBe('container');
      expect((await flists.resolve(path.join(src, 'vm-image'))).mode).toBe('vm-image');
      expect((await flists.resolve(path.join(src, 'vm-kernel'))).mode).toBe('vm-kernel');
    });

    it_('reads the entry and env of .startup.toml', async () => {
      const a = await flists.resolve(path.join(src, 'plain'));
      expect(a.startup).toEqual({ entry: '/bin/hello', env: { GREETING: 'hi there' } });
      const rootfsFile = await fs.readFile(path.join(a.rootfs, 'bin/hello'), 'utf8');
      expect(rootfsFile).toContain('echo hi');
    });

    it_('points vm-kernel at its kernel and initrd', async () => {
      const k = await flists.resolve(path.join(src, 'vm-kernel'));
      expect(await fs.readFile(k.kernel as string, 'utf8')).toBe('kernel');
      expect(await fs.readFile(k.initrd as string, 'utf8')).toBe('initrd');
    });

    it_('prunes keys not kept', async () => {
      const a = await flists.resolve(path.join(src, 'plain'));
      const b = await flists.resolve(path.join(src, 'other'));
      await flists.prune(new Set([a.key]));
      const left = await flists.list();
      expect(left).toContain(a.key);
      expect(left).not.toContain(b.key);
    });

    it_('rejects a reference that does not exist', async () => {
      await expect(flists.resolve(path.join(src, 'missing.tar.gz'))).rejects.toThrow(/missing\.tar\.gz/);
    });
  });
}
