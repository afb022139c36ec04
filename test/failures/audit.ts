/**
 * What the failure suite checks after each fault (issue 16): orphans (a contract of the twin active on the chain
 * that no resource in the state owns), lost resources (in state, the workload gone or broken on the grid, and
 * `refresh` still saying ok), and the resources whose breakage `refresh` did report. The grid's truth is asked
 * directly: the chain for the contract, the node for the workload's state.
 * @module
 */
import * as entry from '../../provider/dynamic-entry';
import type { CoordinatorDeps } from '../../provider/deps';
import type { Props, StackState, StateEntry } from './mini-stack';

/** Contract ids a resource's outputs own: `contractId`, `nameContractId`, `contractIds` per node, any `*ContractId(s)`. */
export function ownedContracts(outs: Props): number[] {
  const ids: number[] = [];
  for (const [k, v] of Object.entries(outs)) {
    if (!/contractids?$/i.test(k) || k === 'adoptContractId') continue;
    if (typeof v === 'number' && v > 0) ids.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) if (typeof x === 'number' && x > 0) ids.push(x);
  }
  return ids;
}

/** Active contracts on the chain that no resource in `state` owns. */
export function orphansOf(active: number[], state: StackState): number[] {
  const owned = new Set([...state.values()].flatMap((e) => ownedContracts(e.outs)));
  return active.filter((c) => !owned.has(c));
}

/** (node, contract, workload name) of every workload a resource stands for. */
function workloadsOf(e: StateEntry): { node: number; contractId: number; name: string }[] {
  const name = String(e.outs.name);
  if (e.type === 'Network') return Object.entries((e.outs.contractIds ?? {}) as Record<string, number>).map(([n, c]) => ({ node: Number(n), contractId: c, name }));
  return [{ node: Number(e.outs.node), contractId: Number(e.outs.contractId) || 0, name }];
}

/** Whether every workload of `e` is there and ok: contract active on the chain, workload `ok` on its node. */
export async function healthyOnGrid(deps: CoordinatorDeps, e: StateEntry): Promise<boolean> {
  const ws = workloadsOf(e);
  if (ws.length === 0) return false;
  for (const w of ws) {
    if (!w.contractId) return false;
    const c = await deps.chain.getContract(w.contractId);
    if (!c || c.state !== 'created') return false;
    const d = await (await deps.node(w.node)).get(w.contractId).catch(() => undefined);
    if (d?.workloads.find((x) => x.name === w.name)?.result?.state !== 'ok') return false;
  }
  return true;
}

export interface Audit {
  orphans: number[];
  /** Broken on the grid, refresh says ok. */
  lost: string[];
  /** Broken on the grid, refresh reports it (gone or a state other than ok). */
  refreshDetected: string[];
}

/** Orphan scan, then each resource's grid truth against its `read`; `state` is not changed. */
export async function audit(deps: CoordinatorDeps, active: number[], state: StackState): Promise<Audit> {
  const lost: string[] = [];
  const refreshDetected: string[] = [];
  for (const [urn, e] of state) {
    if (await healthyOnGrid(deps, e)) continue;
    const r = await entry.read(e.type, e.id, e.outs);
    if (!r.id || (r.props as Props | undefined)?.state !== 'ok') refreshDetected.push(urn);
    else lost.push(urn);
  }
  return { orphans: orphansOf(active, state), lost, refreshDetected };
}
