/**
 * qsfs backend, state only (docs/style.md §3): the mount table and results, no store, no daemon
 * (zos-protocol.md §1.5 qsfs, §4). For machines without the real one; never a CI fallback.
 * @module
 */
import { ZosError } from '../../../protocol/common/errors';
import { QSFS_METRICS_PORT, validateQsfsConfig, type QsfsBackend, type QsfsResult, type QsfsSpec } from './qsfs';

export function createSimQsfs(opts: { rootDir: string; metricsHost?: string }): QsfsBackend {
  const mounts = new Map<string, QsfsSpec>();
  const result = (id: string): QsfsResult => ({
    path: `${opts.rootDir}/${id}/mnt`,
    metrics_endpoint: `http://${hostPart(opts.metricsHost ?? '127.0.0.1')}:${QSFS_METRICS_PORT}/metrics/${encodeURIComponent(id)}`,
  });
  const backend: QsfsBackend = {
    async create(spec) {
      const invalid = validateQsfsConfig(spec.config);
      if (invalid) throw new ZosError(invalid, { nodeMessage: invalid, workload: spec.workloadId });
      if (!mounts.has(spec.workloadId)) mounts.set(spec.workloadId, spec);
      return result(spec.workloadId);
    },
    async update(spec) {
      const invalid = validateQsfsConfig(spec.config);
      if (invalid) throw new ZosError(invalid, { nodeMessage: invalid, workload: spec.workloadId });
      mounts.set(spec.workloadId, spec);
      return result(spec.workloadId);
    },
    async remove(id) {
      mounts.delete(id);
    },
    list: () => [...mounts.keys()],
    async close() {
      mounts.clear();
    },
  };
  return backend;
}

/** `[v6]` or v4, as URLs want hosts. */
export function hostPart(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}
