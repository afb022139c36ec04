/**
 * Behaviour suite for every QsfsBackend (docs/style.md §3, §6): results with ZOS's keys
 * (zos-protocol.md §4), the §1.5 validation text, idempotent create, re-mount on update, removal.
 * @module
 */
import type { QsfsBackend, QsfsConfig, QsfsSpec } from './qsfs';
import { suiteIt, type SuiteOptions } from '../suite-options';

export function describeQsfsBackend(name: string, make: () => Promise<{ backend: QsfsBackend; config: QsfsConfig; cleanup?: () => Promise<void> }>, opts: SuiteOptions = {}): void {
  const t = suiteIt(opts.differs);

  describe(`qsfs backend: ${name}`, () => {
    let qsfs: QsfsBackend;
    let config: QsfsConfig;
    let cleanup: (() => Promise<void>) | undefined;
    const spec = (over: Partial<QsfsSpec> = {}): QsfsSpec => ({ workloadId: '7-12-qs', cache: 1n << 26n, config, ...over });
    beforeEach(async () => {
      ({ backend: qsfs, config, cleanup } = await make());
    });
    afterEach(async () => {
      await qsfs.close();
      await cleanup?.();
    });

    t('mounts and returns path and metrics_endpoint', async () => {
      const res = await qsfs.create(spec());
      expect(Object.keys(res)).toEqual(['path', 'metrics_endpoint']);
      expect(res.path).toMatch(/7-12-qs/);
      expect(res.metrics_endpoint).toMatch(/^http:\/\/.+:\d+\/metrics/);
      expect(qsfs.list()).toEqual(['7-12-qs']);
    });

    t('returns the same mount when created twice', async () => {
      const a = await qsfs.create(spec());
      expect(await qsfs.create(spec())).toEqual(a);
      expect(qsfs.list()).toEqual(['7-12-qs']);
    });

    t("refuses minimal shards above expected shards with ZOS's text", async () => {
      const bad = { ...config, minimal_shards: 5, expected_shards: 4 };
      await expect(qsfs.create(spec({ config: bad }))).rejects.toThrow(/^minimal shards can't be greater than expected shards$/);
      expect(qsfs.list()).toEqual([]);
    });

    t('re-mounts on update at the same path', async () => {
      const a = await qsfs.create(spec());
      const b = await qsfs.update(spec({ cache: 1n << 27n }));
      expect(b.path).toBe(a.path);
      expect(qsfs.list()).toEqual(['7-12-qs']);
    });

    t('unmounts on remove, and removing twice is fine', async () => {
      await qsfs.create(spec());
      await qsfs.remove('7-12-qs');
      await qsfs.remove('7-12-qs');
      expect(qsfs.list()).toEqual([]);
    });
  });
}
