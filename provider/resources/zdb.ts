/**
 * Zdb: a 0-db namespace (zos-protocol.md §1.5 zdb, §3.5: size grows, never shrinks; the mode cannot change, so
 * a mode change replaces it; password and public flag update in place). A password is generated when none is
 * given and kept as a secret output.
 * @module
 */
import { randomBytes } from 'crypto';
import { z } from 'zod';
import { formatSize, parseSize, sizeAtLeast, type CheckFailure } from '../inputs';
import { commonInputShape, type ResourceKind } from '../workload-resource';

export const zdbInputsSchema = z.object({
  ...commonInputShape,
  /** Namespace size: bytes or "10GiB" (on HDD). */
  size: sizeAtLeast(1, 'invalid size'),
  /** `user` (key-value) or `seq` (sequential, what qsfs uses). */
  mode: z.enum(['user', 'seq']).default('user'),
  /** Namespace password; generated when omitted. */
  password: z.string().max(128).optional(),
  /** Public namespaces can be read without the password. */
  public: z.boolean().default(false),
});
export type ZdbInputs = z.infer<typeof zdbInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const zdbOutputDocs = {
  namespace: { type: 'string', description: 'Namespace name on the zdb server.' },
  ips: { type: 'array', description: 'Addresses of the zdb server.' },
  port: { type: 'integer', description: 'Port of the zdb server (9900).' },
  endpoint: { type: 'string', description: '`[ip]:port` of the first address, as qsfs backends want it.' },
  generatedPassword: { type: 'string', description: 'The password in effect (given or generated).', secret: true },
} as const satisfies ResourceKind<ZdbInputs>['outputDocs'];

export const zdbKind: ResourceKind<ZdbInputs, 'zdb'> = {
  typeName: 'Zdb',
  workloadType: 'zdb',
  description: 'A 0-db namespace (key-value or sequential store) on a node.',
  inputs: zdbInputsSchema,
  outputDocs: zdbOutputDocs,
  replaceOn: ['mode'],
  checkTransition(olds, news, resource): CheckFailure[] {
    const before = parseSize(olds.size, 'size');
    const after = parseSize(news.size, 'size');
    if (after >= before) return [];
    return [{ property: 'size', reason: `${resource}: size cannot shrink from ${formatSize(before)} to ${formatSize(after)} (ZOS: cannot shrink zdb namespace); keep ${formatSize(before)} or more` }];
  },
  async prepare(i, ctx) {
    const kept = typeof ctx.olds?.generatedPassword === 'string' ? ctx.olds.generatedPassword : undefined;
    return { generatedPassword: i.password ?? kept ?? randomBytes(16).toString('hex') };
  },
  toWire: (i, p) => ({ size: BigInt(parseSize(i.size, 'size')), mode: i.mode, password: String(p.generatedPassword ?? i.password ?? ''), public: i.public }),
  resultOutputs: (data) => {
    const d = (data ?? {}) as { Namespace?: string; IPs?: string[]; Port?: number };
    const ips = d.IPs ?? [];
    const port = d.Port ?? 0;
    const first = ips[0];
    return { namespace: d.Namespace ?? '', ips, port, endpoint: first ? (first.includes(':') ? `[${first}]:${port}` : `${first}:${port}`) : '' };
  },
};
