/**
 * Behaviour suite for every ZdbBackend (docs/style.md §3, §6): ZOS's zdb manager rules
 * (zos-protocol.md §3.5 zdb row, §4, §6.6). Each implementation calls it once; differences are named.
 * @module
 */
import { isUnchanged, type ZdbBackend, type ZdbNamespaceSpec } from './zdb';
import { suiteIt, type SuiteOptions } from '../suite-options';

/** `make(capacity)` builds a fresh backend with that total capacity in bytes. */
export function describeZdbBackend(name: string, make: (capacity: bigint) => Promise<ZdbBackend>, opts: SuiteOptions = {}): void {
  const t = suiteIt(opts.differs);
  const GiB = 1n << 30n;
  const spec = (over: Partial<ZdbNamespaceSpec> = {}): ZdbNamespaceSpec => ({
    name: '7-12-db',
    size: GiB,
    mode: 'user',
    password: 'pw',
    public: false,
    ...over,
  });

  describe(`zdb backend: ${name}`, () => {
    let zdb: ZdbBackend;
    beforeEach(async () => {
      zdb = await make(10n * GiB);
    });
    afterEach(async () => {
      await zdb.close();
    });

    t('creates a namespace named after the workload and returns Namespace, IPs, Port', async () => {
      const res = await zdb.create(spec());
      expect(Object.keys(res)).toEqual(['Namespace', 'IPs', 'Port']);
      expect(res.Namespace).toBe('7-12-db');
      expect(res.IPs).toEqual(zdb.endpoint().IPs);
      expect(res.Port).toBe(zdb.endpoint().Port);
      const info = await zdb.get('7-12-db');
      expect(info).toMatchObject({ size: GiB, mode: 'user', public: false, hasPassword: true, entries: 0, locked: false });
    });

    t('returns the existing namespace when created twice', async () => {
      const a = await zdb.create(spec());
      const b = await zdb.create(spec({ size: 2n * GiB }));
      expect(b).toEqual(a);
      expect((await zdb.get('7-12-db'))?.size).toBe(GiB);
      expect((await zdb.list()).map((n) => n.name)).toEqual(['7-12-db']);
    });

    t('rejects a zero size and an unknown mode with the ZOS texts', async () => {
      await expect(zdb.create(spec({ size: 0n }))).rejects.toThrow(/^invalid size$/);
      await expect(zdb.create(spec({ mode: 'fast' as 'user' }))).rejects.toThrow(/^invalid mode$/);
    });

    t('refuses a namespace larger than the free capacity', async () => {
      await zdb.create(spec({ name: 'a', size: 8n * GiB }));
      await expect(zdb.create(spec({ name: 'b', size: 3n * GiB }))).rejects.toThrow("couldn't allocate device to satisfy namespace size");
      await expect(zdb.create(spec({ name: 'b', size: 2n * GiB }))).resolves.toMatchObject({ Namespace: 'b' });
    });

    t('grows, changes the password and the public flag on update', async () => {
      await zdb.create(spec());
      await zdb.update(spec({ size: 2n * GiB, password: 'new', public: true }));
      expect(await zdb.get('7-12-db')).toMatchObject({ size: 2n * GiB, public: true, hasPassword: true });
    });

    t('keeps the namespace unchanged when asked to shrink or change mode', async () => {
      await zdb.create(spec({ size: 2n * GiB }));
      const shrink = await zdb.update(spec({ size: GiB })).catch((e: unknown) => e);
      expect(isUnchanged(shrink)).toBe(true);
      expect((shrink as Error).message).toBe('cannot shrink zdb namespace');
      const mode = await zdb.update(spec({ size: 2n * GiB, mode: 'seq' })).catch((e: unknown) => e);
      expect(isUnchanged(mode)).toBe(true);
      expect((mode as Error).message).toBe('cannot change namespace mode');
      expect(await zdb.get('7-12-db')).toMatchObject({ size: 2n * GiB, mode: 'user' });
    });

    t('refuses to grow past the free capacity and keeps the old size', async () => {
      await zdb.create(spec({ name: 'a', size: 6n * GiB }));
      await zdb.create(spec({ name: 'b', size: 3n * GiB }));
      const e = await zdb.update(spec({ name: 'b', size: 5n * GiB })).catch((x: unknown) => x);
      expect(isUnchanged(e)).toBe(true);
      expect((e as Error).message).toBe('no enough free space to support new size');
      expect((await zdb.get('b'))?.size).toBe(3n * GiB);
      await expect(zdb.update(spec({ name: 'b', size: 4n * GiB }))).resolves.toMatchObject({ Namespace: 'b' });
    });

    t('locks on pause and unlocks on resume', async () => {
      await zdb.create(spec());
      await zdb.pause('7-12-db');
      expect((await zdb.get('7-12-db'))?.locked).toBe(true);
      await zdb.resume('7-12-db');
      expect((await zdb.get('7-12-db'))?.locked).toBe(false);
    });

    t('removes a namespace, and removing twice is fine', async () => {
      await zdb.create(spec());
      await zdb.remove('7-12-db');
      await zdb.remove('7-12-db');
      expect(await zdb.get('7-12-db')).toBeUndefined();
      expect(await zdb.list()).toEqual([]);
    });
  });
}
