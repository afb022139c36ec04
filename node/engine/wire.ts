/**
 * The engine's seam to `protocol/zos` (wire types, JSON codec, hash, verification, validation, upgrade
 * planning) plus the node's own JSON rendering of stored deployments. Everything protocol-shaped comes from
 * protocol/zos; this file only adapts names and renders replies as JSON text.
 * Facts: zos-protocol.md §1 (shapes), §2.5/§2.8 (hash, verify), §3.2/§3.4 (validation, planning), §5.2 (get).
 * @module
 */
import * as zos from '../../protocol/zos';
import { stringifyJson } from '../../protocol/zos/go-json';
import type { Capacity } from './capacity';
import { str } from './raw-json';
import type { ResultState, StoredDeployment, StoredWorkload } from './storage';

export type WireDeployment = zos.Deployment;
export type WireWorkload = WireDeployment['workloads'][number];

/** One planned update step, in execution order (removes first, reverse type order; then adds/updates). */
export interface PlanOp {
  op: 'add' | 'update' | 'remove';
  name: string;
  type: string;
}

/** Decodes a deployment payload (Go rules); throws with the node's decode text. */
export function decodeDeployment(text: string): WireDeployment {
  return zos.parseDeployment(text);
}

/** `Deployment.Valid()` (§3.2 step 2); throws with the node's text. */
export function validateWire(dl: WireDeployment): void {
  const err = zos.validateDeployment(dl);
  if (err) throw new Error(err);
}

/** §2.8 against the chain's twin keys; throws with the node's text. */
export async function verifyWire(dl: WireDeployment, twinKey: (twin: number) => Promise<Uint8Array>): Promise<void> {
  await zos.verifyDeployment(dl, twinKey);
}

/** 32 lowercase hex chars (§2.5). */
export function hashDeployment(dl: WireDeployment): string {
  return zos.hashDeployment(dl);
}

/** §3.4 planning through the shared planner; throws the node's full text (`<cause>: upgrade validation error`). */
export function planDeploymentUpgrade(current: WireDeployment, next: WireDeployment): PlanOp[] {
  const plan = zos.planUpgrade(current, next);
  if (!plan.ok) throw new Error(plan.nodeMessage);
  return plan.ops.filter((o) => o.op !== 'untouched').map((o) => ({ op: o.op as PlanOp['op'], name: o.workload.name, type: o.workload.type }));
}

/** Capacity of a stored workload; zero for an unknown type or data the kind cannot size. */
export function workloadCapacity(type: string, data: unknown): Capacity {
  if (!zos.isWorkloadType(type)) return zos.capacity();
  try {
    return zos.workloadCapacity({ type, data } as Pick<zos.Workload, 'type' | 'data'>);
  } catch {
    return zos.capacity();
  }
}

export function workloadIdOf(twin: number, contract: bigint, name: string): string {
  return `${twin}-${contract}-${name}`;
}

/** ZOS NetID (§1.2): the network backend's key for (twin, network name). */
export function netIdOf(twin: number, name: string): string {
  return zos.networkId(twin, name);
}

/** `signature_requirement` as the node stores and returns it (Go struct field order). */
export function signatureRequirementJson(dl: WireDeployment): string {
  const s = dl.signature_requirement;
  return stringifyJson({
    requests: s.requests.map((r) => ({ twin_id: r.twin_id, required: r.required, weight: r.weight })),
    weight_required: s.weight_required,
    signatures: s.signatures.map((x) => ({ twin_id: x.twin_id, signature: x.signature, signature_type: x.signature_type })),
    signature_style: s.signature_style,
  });
}

/** A received workload as the node stores it: its raw `data` text as received (`{}` when absent) and a fresh result. */
export function storedWorkloadOf(wl: WireWorkload, raw: string | undefined, state: ResultState, now: number): StoredWorkload {
  return {
    version: wl.version,
    name: wl.name,
    type: wl.type,
    data: raw ?? '{}',
    metadata: wl.metadata,
    description: wl.description,
    result: { created: now, state, message: '', data: null },
  };
}

function renderWorkload(w: StoredWorkload): string {
  const r = w.result;
  return (
    `{"version":${w.version},"name":${str(w.name)},"type":${str(w.type)},"data":${w.data},` +
    `"metadata":${str(w.metadata)},"description":${str(w.description)},` +
    `"result":{"created":${r.created},"state":${str(r.state)},"message":${str(r.message)},"data":${r.data ?? 'null'}}}`
  );
}

/** A workload list as JSON text (`zos.deployment.changes`). */
export function renderWorkloads(wls: StoredWorkload[]): string {
  return `[${wls.map(renderWorkload).join(',')}]`;
}

/** A stored deployment as the node returns it (`zos.deployment.get`): expiration 0, current results. */
export function renderDeployment(dl: StoredDeployment): string {
  return (
    `{"version":${dl.version},"twin_id":${dl.twinId},"contract_id":${dl.contractId.toString()},` +
    `"metadata":${str(dl.metadata)},"description":${str(dl.description)},"expiration":0,` +
    `"signature_requirement":${dl.signatureRequirement},"workloads":${renderWorkloads(dl.workloads)}}`
  );
}
