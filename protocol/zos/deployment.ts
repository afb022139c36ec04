/**
 * Deployment, Workload, Result and SignatureRequirement (zos-protocol.md §1.1–§1.3) as zod schemas read with
 * Go's JSON rules (§0.1), and the JSON codec: `parseDeployment` (text or a parsed value → typed deployment, or
 * the node's error text) and `deploymentToJson` (typed deployment → wire JSON, integers exact).
 * @module
 */
import { z } from 'zod';
import { InputError } from '../common/errors';
import {
  formatPath,
  goBool,
  goDecodeMessage,
  goEnumString,
  goRawJson,
  goSlice,
  goString,
  goStruct,
  goTimestamp,
  goUint,
  goUint64,
  goUintNumber,
  goParse,
  parseJsonExact,
  stringifyJson,
} from './go-json';
import { isWorkloadType, kindOf, type WORKLOAD_KINDS, type WorkloadDataOf, type WorkloadType } from './types';
import { walkDeploymentValidity } from './validate';

export const RESULT_STATES = ['init', 'ok', 'error', 'paused', 'deleted', 'unchanged'] as const;
export type ResultState = (typeof RESULT_STATES)[number];
export const SIGNATURE_STYLE_POLKA = 'polka-wallet';

/** A workload's result as the node writes it. `state` is `''` in what clients send. `data` stays raw JSON. */
export const workloadResultSchema = goStruct('gridtypes.Result', {
  created: goTimestamp(),
  state: goEnumString(RESULT_STATES, 'gridtypes.ResultState', 'invalid result state'),
  /** JSON key `message`, Go field `Error`. */
  message: goString(),
  /** Type-specific result, kept raw (lossless numbers); decode with `parseResultData`. */
  data: goRawJson(null),
});
export type WorkloadResult = z.output<typeof workloadResultSchema>;

export const signatureRequestSchema = goStruct('gridtypes.SignatureRequest', {
  twin_id: goUint(32),
  required: goBool(),
  weight: goUintNumber(),
});
export const signatureSchema = goStruct('gridtypes.Signature', {
  twin_id: goUint(32),
  /** Lowercase hex of the 64-byte signature, no `0x`. */
  signature: goString(),
  /** `ed25519` or `sr25519`; anything else is verified as ed25519. */
  signature_type: goString(),
});
export const signatureRequirementSchema = goStruct('gridtypes.SignatureRequirement', {
  requests: goSlice(signatureRequestSchema, '[]gridtypes.SignatureRequest'),
  weight_required: goUintNumber(),
  signatures: goSlice(signatureSchema, '[]gridtypes.Signature'),
  /** `''` (sign the raw digest) or `polka-wallet`. */
  signature_style: goString('gridtypes.SignatureStyle'),
});
export type SignatureRequest = z.output<typeof signatureRequestSchema>;
export type Signature = z.output<typeof signatureSchema>;
export type SignatureRequirement = z.output<typeof signatureRequirementSchema>;

/** A workload with its `data` still undecoded, as Go holds it (`json.RawMessage`). */
export const workloadEnvelopeSchema = goStruct('gridtypes.Workload', {
  version: goUint(32),
  name: goString('gridtypes.Name'),
  type: goString('gridtypes.WorkloadType'),
  data: goRawJson(),
  metadata: goString(),
  description: goString(),
  result: workloadResultSchema,
});
export type WorkloadEnvelope = z.output<typeof workloadEnvelopeSchema>;

const deploymentShape = {
  version: goUint(32),
  twin_id: goUint(32),
  /** Not hashed. */
  contract_id: goUint64(),
  metadata: goString(),
  description: goString(),
  /** Deprecated but hashed; the node does not store it. */
  expiration: goTimestamp(),
  signature_requirement: signatureRequirementSchema,
};

/** A deployment whose workload data is still raw; what Go's decoder produces. */
export const deploymentEnvelopeSchema = goStruct('gridtypes.Deployment', {
  ...deploymentShape,
  workloads: goSlice(workloadEnvelopeSchema, '[]gridtypes.Workload'),
});
export type DeploymentEnvelope = z.output<typeof deploymentEnvelopeSchema>;

/** A workload of type `T` with decoded data. */
export interface WorkloadOf<T extends WorkloadType> {
  version: number;
  name: string;
  type: T;
  data: WorkloadDataOf<T>;
  metadata: string;
  description: string;
  result: WorkloadResult;
}
/** A workload of any type; narrow on `type` to get typed `data`. */
export type Workload = { [T in WorkloadType]: WorkloadOf<T> }[WorkloadType];

export interface Deployment extends Omit<DeploymentEnvelope, 'workloads'> {
  workloads: Workload[];
}

/** Outcome of decoding one workload's `data` (Go `Workload.WorkloadData`). */
export type DataDecode = { ok: true; data: unknown } | { ok: false; message: string; path: (string | number)[] };

/** Decodes `data` for `type` exactly as the node does, with its error texts. */
export function decodeWorkloadData(type: string, data: unknown): DataDecode {
  if (!isWorkloadType(type)) return { ok: false, message: `invalid reservation type '${type}'`, path: ['type'] };
  const kind = kindOf(type);
  const prefix = `failed to load data into object of type '${kind.goType}'`;
  if (data === undefined) return { ok: false, message: `${prefix}: unexpected end of JSON input`, path: ['data'] };
  // Go decodes null into the interface holder, then panics on the type assertion; we refuse it instead.
  if (data === null) return { ok: false, message: `${prefix}: data must be an object, not null`, path: ['data'] };
  const r = goParse(kind.data, data);
  if (r.success) return { ok: true, data: r.data };
  const issue = r.error.issues[0];
  return { ok: false, message: `${prefix}: ${goDecodeMessage(issue, issue.path)}`, path: ['data', ...issue.path] };
}

/** zod schema of a typed workload (data decoded by its kind; unknown types refused). */
export const workloadSchema = workloadEnvelopeSchema.transform((w, ctx): Workload => {
  const d = decodeWorkloadData(w.type, w.data);
  if (!d.ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: d.message, params: { goText: d.message }, path: d.path });
    return z.NEVER;
  }
  return { ...w, data: d.data } as Workload;
});

/** zod schema of a typed deployment. For the node's exact first error use `parseDeployment`. */
export const deploymentSchema = goStruct('gridtypes.Deployment', {
  ...deploymentShape,
  workloads: goSlice(workloadSchema, '[]gridtypes.Workload'),
});

/** A decode failure: `message` is the node's text; `context.path` names the field. */
export class DeploymentDecodeError extends InputError {}

function fail(message: string, path: (string | number)[]): never {
  const p = formatPath(path);
  throw new DeploymentDecodeError(message, { path: p, nodeMessage: message });
}

/**
 * Decodes a deployment (JSON text, or an already parsed value) by the node's rules. Throws
 * `DeploymentDecodeError` with the node's text: a JSON error, or the first `Deployment.Valid()` error when
 * some workload's data cannot be decoded (the node reports them in that order).
 * @example const d = parseDeployment(fs.readFileSync('dl.json', 'utf8')); hashDeployment(d);
 */
export function parseDeployment(input: string | unknown): Deployment {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = parseJsonExact(input);
    } catch (err) {
      fail(`invalid JSON: ${(err as Error).message}`, []);
    }
  }
  const env = goParse(deploymentEnvelopeSchema, value);
  if (!env.success) {
    const issue = env.error.issues[0];
    fail(goDecodeMessage(issue, issue.path), issue.path);
  }
  const decoded = env.data.workloads.map((w) => decodeWorkloadData(w.type, w.data));
  if (decoded.some((d) => !d.ok)) {
    const first = walkDeploymentValidity(env.data, decoded);
    if (first) fail(first.message, first.path);
  }
  return {
    ...env.data,
    workloads: env.data.workloads.map((w, i) => ({ ...w, data: (decoded[i] as { data: unknown }).data }) as Workload),
  };
}

/** The wire object of a deployment: Go field order, every field present, `data` keys in schema order. */
export function deploymentToWire(d: Deployment): Record<string, unknown> {
  const sr = d.signature_requirement;
  return {
    version: d.version,
    twin_id: d.twin_id,
    contract_id: d.contract_id,
    metadata: d.metadata,
    description: d.description,
    expiration: d.expiration,
    signature_requirement: {
      requests: sr.requests.map((r) => ({ twin_id: r.twin_id, required: r.required, weight: r.weight })),
      weight_required: sr.weight_required,
      signatures: sr.signatures.map((s) => ({ twin_id: s.twin_id, signature: s.signature, signature_type: s.signature_type })),
      signature_style: sr.signature_style,
    },
    workloads: d.workloads.map((w) => ({
      version: w.version,
      name: w.name,
      type: w.type,
      data: w.data,
      metadata: w.metadata,
      description: w.description,
      result: { created: w.result.created, state: w.result.state, message: w.result.message, data: w.result.data },
    })),
  };
}

/** The deployment as wire JSON text (sizes as exact integers). `space` pretty-prints. */
export function deploymentToJson(d: Deployment, space?: number): string {
  return stringifyJson(deploymentToWire(d), space);
}

/** Decodes a workload's `result.data` with its type's result schema (zdb keeps `Namespace`/`IPs`/`Port`). */
export function parseResultData<T extends WorkloadType>(type: T, data: unknown): ReturnType<(typeof WORKLOAD_KINDS)[T]['result']['parse']> {
  return kindOf(type).result.parse(data) as ReturnType<(typeof WORKLOAD_KINDS)[T]['result']['parse']>;
}
