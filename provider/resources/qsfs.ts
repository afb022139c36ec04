/**
 * Qsfs: a quantum-safe file system over zdb backends (zos-protocol.md §1.5 qsfs, §3.5: updates re-mount in place).
 * Backends usually come from Zdb resources (the SDK maps `Zdb` objects to `{address, namespace, password}`).
 * Encryption keys are generated when not given and kept as secret outputs.
 * @module
 */
import { randomBytes } from 'crypto';
import { z } from 'zod';
import { sizeSchema, parseSize } from '../inputs';
import { commonInputShape, type ResourceKind } from '../workload-resource';

const hexKey = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes as 64 hex characters');

export const qsfsBackendSchema = z.object({
  /** `[ip]:port` of a zdb (a Zdb's `endpoint` output). */
  address: z.string().min(1),
  namespace: z.string().min(1),
  password: z.string(),
});

export const qsfsInputsSchema = z
  .object({
    ...commonInputShape,
    /** Local cache size: bytes or "1GiB". */
    cache: sizeSchema,
    minimalShards: z.number().int().min(1),
    expectedShards: z.number().int().min(1),
    redundantGroups: z.number().int().min(0).default(0),
    redundantNodes: z.number().int().min(0).default(0),
    maxZdbDataDirSize: z.number().int().min(1).default(32),
    /** Data encryption key (hex); generated when omitted. */
    encryptionKey: hexKey.optional(),
    compression: z.enum(['snappy']).default('snappy'),
    metadata: z.object({
      prefix: z.string().min(1),
      /** Metadata encryption key (hex); generated when omitted. */
      encryptionKey: hexKey.optional(),
      backends: z.array(qsfsBackendSchema).min(1, 'needs at least one metadata zdb backend'),
    }),
    groups: z.array(z.object({ backends: z.array(qsfsBackendSchema).min(1) })).min(1, 'needs at least one group of data zdb backends'),
  })
  .refine((i) => i.minimalShards <= i.expectedShards, { message: "minimal shards can't be greater than expected shards", path: ['minimalShards'] })
  .refine((i) => i.groups.reduce((n, g) => n + g.backends.length, 0) >= i.expectedShards, {
    message: 'there are fewer data backends than expectedShards; add Zdb backends to groups',
    path: ['groups'],
  });
export type QsfsInputs = z.infer<typeof qsfsInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const qsfsOutputDocs = {
  path: { type: 'string', description: 'Mount path on the node.' },
  metricsEndpoint: { type: 'string', description: 'Prometheus metrics endpoint.' },
  dataKey: { type: 'string', description: 'The data encryption key in effect.', secret: true },
  metaKey: { type: 'string', description: 'The metadata encryption key in effect.', secret: true },
} as const satisfies ResourceKind<QsfsInputs>['outputDocs'];

export const qsfsKind: ResourceKind<QsfsInputs, 'qsfs'> = {
  typeName: 'Qsfs',
  workloadType: 'qsfs',
  description: 'A quantum-safe file system stored across zdb namespaces, mountable into ZMachines of the same deployment.',
  inputs: qsfsInputsSchema,
  outputDocs: qsfsOutputDocs,
  async prepare(i, ctx) {
    const keep = (k: string) => (typeof ctx.olds?.[k] === 'string' ? (ctx.olds[k] as string) : undefined);
    return {
      dataKey: (i.encryptionKey ?? keep('dataKey') ?? randomBytes(32).toString('hex')).toLowerCase(),
      metaKey: (i.metadata.encryptionKey ?? keep('metaKey') ?? randomBytes(32).toString('hex')).toLowerCase(),
    };
  },
  toWire: (i, p) => ({
    cache: BigInt(parseSize(i.cache, 'cache')),
    config: {
      minimal_shards: i.minimalShards,
      expected_shards: i.expectedShards,
      redundant_groups: i.redundantGroups,
      redundant_nodes: i.redundantNodes,
      max_zdb_data_dir_size: i.maxZdbDataDirSize,
      encryption: { algorithm: 'AES', key: String(p.dataKey) },
      meta: { type: 'zdb', config: { prefix: i.metadata.prefix, encryption: { algorithm: 'AES', key: String(p.metaKey) }, backends: i.metadata.backends } },
      groups: i.groups.map((g) => ({ backends: g.backends })),
      compression: { algorithm: i.compression },
    },
  }),
  resultOutputs: (data) => {
    const d = (data ?? {}) as { path?: string; metrics_endpoint?: string };
    return { path: d.path ?? '', metricsEndpoint: d.metrics_endpoint ?? '' };
  },
};
