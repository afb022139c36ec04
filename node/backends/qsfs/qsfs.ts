/**
 * The qsfs backend family: quantum-safe file systems whose data lives in zdb namespaces (zos-protocol.md
 * §1.5 qsfs, §3.5 qsfs row, §4 result `{"path","metrics_endpoint"}`, §6.6). The interface comment is the
 * spec; `daemon.ts` is the real store (see its header for the design), `sim.ts` keeps state only.
 *
 * Lifecycle, as the node engine's qsfs manager uses it:
 * ```ts
 * const qsfs = createQsfsBackend({ log }, { rootDir: '/var/lib/tfgrid/qsfs', metricsHost: '10.1.0.2' });
 * const res = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 30n, config });
 * // res = { path: '/var/lib/tfgrid/qsfs/7-12-qs/mnt', metrics_endpoint: 'http://10.1.0.2:9100/metrics' }
 * // machines mount res.path (bind mount / virtio-fs); files written there end up erasure-coded in zdb
 * await qsfs.update({ workloadId: '7-12-qs', cache: 2n << 30n, config });  // re-mount with new config
 * await qsfs.remove('7-12-qs');                                           // idempotent
 * await qsfs.close();
 * ```
 * @module
 */

/** A zdb namespace the store writes into (`address` is `ip:port` or `[ip6]:port`). */
export interface QsfsZdbBackend {
  address: string;
  namespace: string;
  password: string;
}

export interface QsfsEncryption {
  /** Only `AES` exists in ZOS. */
  algorithm: string;
  /** Hex, 32 bytes. */
  key: string;
}

/** The workload's `config`, wire keys as ZOS has them (zos/qsfs.go). */
export interface QsfsConfig {
  minimal_shards: number;
  expected_shards: number;
  redundant_groups: number;
  redundant_nodes: number;
  max_zdb_data_dir_size: number;
  encryption: QsfsEncryption;
  meta: { type: string; config: { prefix: string; encryption: QsfsEncryption; backends: QsfsZdbBackend[] } };
  groups: Array<{ backends: QsfsZdbBackend[] }>;
  compression: { algorithm: string };
}

export interface QsfsSpec {
  /** Workload id; names the mount and its local state. */
  workloadId: string;
  /** Local cache bound in bytes. */
  cache: bigint;
  config: QsfsConfig;
}

/** Result data, keys exactly as ZOS marshals them (§4). */
export interface QsfsResult {
  path: string;
  metrics_endpoint: string;
}

export interface QsfsBackend {
  /** Mounts (or returns the existing mount of) the workload; idempotent. */
  create(spec: QsfsSpec): Promise<QsfsResult>;
  /** Re-mounts with the new config and cache size; data already stored stays readable. */
  update(spec: QsfsSpec): Promise<QsfsResult>;
  /** Unmounts and forgets local state; the data in the zdb backends is left alone (as ZOS does). */
  remove(workloadId: string): Promise<void>;
  list(): string[];
  close(): Promise<void>;
}

export const QSFS_METRICS_PORT = 9100;

export const QSFS_ERRORS = {
  shards: "minimal shards can't be greater than expected shards",
} as const;

/** Sync validation (§1.5) plus what our store needs to work at all; the ZOS text or our own. */
export function validateQsfsConfig(c: QsfsConfig): string | undefined {
  if (c.minimal_shards > c.expected_shards) return QSFS_ERRORS.shards;
  if (c.minimal_shards < 1) return 'minimal shards must be at least 1';
  const data = c.groups.reduce((n, g) => n + g.backends.length, 0);
  if (data < c.expected_shards) return `expected ${c.expected_shards} shards but only ${data} data backends are configured`;
  if (c.meta.config.backends.length === 0) return 'no meta backends configured';
  if (!/^[0-9a-fA-F]{64}$/.test(c.encryption.key)) return 'encryption key must be 32 bytes of hex';
  return undefined;
}
