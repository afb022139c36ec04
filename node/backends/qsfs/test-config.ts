/**
 * A qsfs config (zos-protocol.md §1.5) over a list of zdb addresses, namespaces `qs-data-<i>` and
 * `qs-meta`, for tests and benchmarks.
 * @module
 */
import type { QsfsConfig } from './qsfs';

export function testQsfsConfig(dataAddresses: string[], opts: { minimal?: number; expected?: number; metaAddresses?: string[]; password?: string } = {}): QsfsConfig {
  const password = opts.password ?? 'qs-pass';
  const meta = opts.metaAddresses ?? [dataAddresses[0]];
  return {
    minimal_shards: opts.minimal ?? 2,
    expected_shards: opts.expected ?? 4,
    redundant_groups: 0,
    redundant_nodes: 0,
    max_zdb_data_dir_size: 32,
    encryption: { algorithm: 'AES', key: '4d778ba3216e4da4231540c92a55f06157cabba802f9b68fb0f78375d2e825af' },
    meta: {
      type: 'zdb',
      config: {
        prefix: 'qs-test',
        encryption: { algorithm: 'AES', key: '4d778ba3216e4da4231540c92a55f06157cabba802f9b68fb0f78375d2e825af' },
        backends: meta.map((address) => ({ address, namespace: 'qs-meta', password })),
      },
    },
    groups: [{ backends: dataAddresses.map((address, i) => ({ address, namespace: `qs-data-${i}`, password })) }],
    compression: { algorithm: 'snappy' },
  };
}
