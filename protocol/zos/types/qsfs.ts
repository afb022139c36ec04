/** qsfs: a quantum-safe filesystem (zstor) mounted into VMs. zos-protocol.md §1.5 (qsfs), §2.4, §3.5, §4. */
import { goHexBytes, goSlice, goString, goStruct, goUint, goUint64 } from '../go-json';
import type { ChallengeWriter } from '../challenge-writer';
import { capacity, GIB, UPSERT, type WorkloadKind } from './kind';

export const QSFS = 'qsfs';

const encryptionSchema = goStruct('zos.Encryption', { algorithm: goString('zos.EncryptionAlgorithm'), key: goHexBytes('zos.EncryptionKey') });
const zdbBackendSchema = goStruct('zos.ZdbBackend', { address: goString(), namespace: goString(), password: goString() });
type Encryption = ReturnType<typeof encryptionSchema.parse>;
type ZdbBackend = ReturnType<typeof zdbBackendSchema.parse>;

export const qsfsDataSchema = goStruct('zos.QuantumSafeFS', {
  /** Cache size in bytes (SRU). */
  cache: goUint64('gridtypes.Unit'),
  config: goStruct('zos.QuantumSafeFSConfig', {
    minimal_shards: goUint(32),
    expected_shards: goUint(32),
    redundant_groups: goUint(32),
    redundant_nodes: goUint(32),
    max_zdb_data_dir_size: goUint(32),
    encryption: encryptionSchema,
    meta: goStruct('zos.QuantumSafeMeta', {
      type: goString(),
      config: goStruct('zos.QuantumSafeConfig', {
        prefix: goString(),
        encryption: encryptionSchema,
        backends: goSlice(zdbBackendSchema, '[]zos.ZdbBackend'),
      }),
    }),
    groups: goSlice(goStruct('zos.ZdbGroup', { backends: goSlice(zdbBackendSchema, '[]zos.ZdbBackend') }), '[]zos.ZdbGroup'),
    compression: goStruct('zos.QuantumCompression', { algorithm: goString() }),
  }),
});
export type QsfsData = ReturnType<typeof qsfsDataSchema.parse>;

export const qsfsResultSchema = goStruct('zos.QuatumSafeFSResult', { path: goString(), metrics_endpoint: goString() });
export type QsfsResult = ReturnType<typeof qsfsResultSchema.parse>;

function encryptionChallenge(e: Encryption, w: ChallengeWriter): void {
  w.str(e.algorithm).hex(e.key);
}
function backendChallenge(b: ZdbBackend, w: ChallengeWriter): void {
  w.str(b.address).str(b.namespace).str(b.password);
}

export const qsfs = {
  type: QSFS as typeof QSFS,
  goType: '*zos.QuantumSafeFS',
  sharable: false,
  data: qsfsDataSchema,
  result: qsfsResultSchema,
  challenge: (d, w) => {
    const c = d.config;
    w.uint(d.cache).uint(c.minimal_shards).uint(c.expected_shards).uint(c.redundant_groups).uint(c.redundant_nodes);
    w.uint(c.max_zdb_data_dir_size);
    encryptionChallenge(c.encryption, w);
    w.str(c.meta.type).str(c.meta.config.prefix);
    encryptionChallenge(c.meta.config.encryption, w);
    for (const b of c.meta.config.backends) backendChallenge(b, w);
    for (const g of c.groups) for (const b of g.backends) backendChallenge(b, w);
    w.str(c.compression.algorithm);
  },
  validate: (d) => (d.config.minimal_shards > d.config.expected_shards ? "minimal shards can't be greater than expected shards" : undefined),
  // The zstor container: 1 CPU and 1 GiB of memory, plus the cache on SSD.
  capacity: (d) => capacity({ cru: 1n, mru: GIB, sru: d.cache }),
  update: UPSERT,
} satisfies WorkloadKind<QsfsData, QsfsResult>;
