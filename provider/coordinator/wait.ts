/**
 * Waiting for the node after a version was sent (zos-protocol.md §1.3, §3.4, §6.5): each touched workload's final
 * state, each removed workload gone, each request within its own timeout; and, after a cancel, the node dropping the
 * deployment. Progress lines say, per resource, what it waits for and for how long.
 * @module
 */
import { RmbError, ZosError, errorText } from '../../protocol/common/errors';
import type { DeploymentJson, WorkloadJson } from '../deps';
import { DEPLOYMENT_NOT_FOUND } from './deployments';
import { limitOf, type ExecContext, type Execution } from './execution';
import { withLeftovers } from './failures';
import type { Pending } from './plan';

type WaitContext = Pick<ExecContext, 'deps' | 'stats' | 'pollMs' | 'deployTimeoutMs'>;

const FINAL_STATES = new Set(['ok', 'error', 'unchanged', 'paused', 'deleted']);

/** ZOS's refusal of a name proxy whose name contract is gone or not the owner's (zos-protocol.md §6.5). */
export const NAME_CONTRACT_REFUSAL = /^failed to verify name contract: /;

/** A workload (or the removal of one) the executor waits for. */
interface Waited {
  name: string;
  removal: boolean;
}

/**
 * Waits until every touched workload has a final state at its target version, and every removed one is gone from
 * the node; returns the touched ones by name. ZOS drops a removed workload only when the update's job has run
 * (zos-protocol.md §3.4), after the reply: until then the next version would see it, and an add of the same name
 * would be an update (refused for zmachines), so a removal is only done once `get` no longer shows it.
 */
export async function waitFinal(ctx: WaitContext, p: Execution): Promise<Map<string, WorkloadJson>> {
  const { deps } = ctx;
  const out = new Map<string, WorkloadJson>();
  const gone = new Set<string>();
  if (p.touched.size === 0 && p.removed.size === 0) return out;
  const started = deps.clock.now();
  const contract = p.next!.contract_id;
  /** Requests that ran out of time (rejected on their own, with their leftovers); the others keep waiting. */
  const expired = new Set<Pending>();
  for (;;) {
    ctx.stats.nodeCalls++;
    const d = await p.api.get(contract);
    await collectTouched(ctx, p, d, out);
    collectRemoved(p, d, gone);
    const open = [...p.touched.keys()].filter((n) => !out.has(n)).map((n) => ({ name: n, removal: false }));
    const openRemovals = [...p.removed].filter((n) => !gone.has(n)).map((n) => ({ name: n, removal: true }));
    const waiting = [...open, ...openRemovals].filter((x) => !expired.has(ownerOf(p, x)!));
    if (waiting.length === 0) {
      const removed = [...p.removed].map((n) => `"${n}" removed`);
      deps.progress.done(
        `node ${p.node} deployment ${contract}: v${p.next!.version} applied (${[...[...out.values()].map((w) => `${w.type} "${w.name}" ${w.result?.state}`), ...removed].join(', ')})`,
      );
      return out;
    }
    const elapsed = deps.clock.now() - started;
    // For a person waiting: each resource, what it waits for, how long so far and its limit.
    const said = waiting.map((x) => {
      const item = ownerOf(p, x);
      const what = x.removal ? 'the node to remove it' : (item?.req.waitingFor ?? 'the node to provision it');
      return `${item?.req.label ?? `workload "${x.name}"`} waits for ${what} (${stateText(d.workloads.find((w) => w.name === x.name))}), ${Math.round(elapsed / 1000)}s of ${Math.round(limitOf(ctx, item) / 1000)}s`;
    });
    deps.progress.update(`node ${p.node} deployment ${contract}: ${said.join('; ')}`);
    expireLate(ctx, p, d, waiting, elapsed, expired);
    if (waiting.every((x) => expired.has(ownerOf(p, x)!))) {
      // Every request still waiting failed on its own timeout; the node's view of the group is unknown now.
      p.stale = true;
      return out;
    }
    await deps.sleep(ctx.pollMs);
  }
}

/** Adds to `out` the touched workloads that reached a final state at their version (or were refused, per the log). */
async function collectTouched(ctx: WaitContext, p: Execution, d: DeploymentJson, out: Map<string, WorkloadJson>): Promise<void> {
  const contract = p.next!.contract_id;
  for (const [name, version] of p.touched) {
    if (out.has(name)) continue;
    const w = d.workloads.find((x) => x.name === name);
    if (w && w.version === version && w.result && FINAL_STATES.has(w.result.state)) out.set(name, w);
    else if (w && w.version < version && p.action === 'update') {
      // An update the node refused leaves the old workload visible in `get`; the refusal (`unchanged`,
      // or `error`) is only in the transaction log (zos-protocol.md §1.3).
      ctx.stats.nodeCalls++;
      const log = await p.api.changes(contract);
      const last = log.filter((x) => x.name === name && x.version === version && x.result && x.result.state !== 'init').pop();
      if (last) out.set(name, last);
    }
  }
}

/** Adds to `gone` the removed workloads the node dropped; throws when the node failed to remove one. */
function collectRemoved(p: Execution, d: DeploymentJson, gone: Set<string>): void {
  const contract = p.next!.contract_id;
  for (const name of p.removed) {
    const w = d.workloads.find((x) => x.name === name);
    if (!w || w.result?.state === 'deleted') gone.add(name);
    else if (d.version >= p.next!.version && removalFailed(p, w)) {
      throw new ZosError(`node ${p.node} deployment ${contract} v${p.next!.version}: removing workload "${name}" failed: ${w.result?.message ?? ''}`, {
        node: p.node,
        contract,
        version: p.next!.version,
        nodeMessage: w.result?.message ?? '',
      });
    }
  }
}

/**
 * Each request has its own limit (its resource's timeout): the ones past it fail alone (added to `expired`), the
 * others wait on. A waited-for workload no request owns fails the whole wait.
 */
function expireLate(ctx: WaitContext, p: Execution, d: DeploymentJson, waiting: Waited[], elapsed: number, expired: Set<Pending>): void {
  const text = (x: Waited) => (x.removal ? `"${x.name}" (removal)` : `"${x.name}" (${stateText(d.workloads.find((w) => w.name === x.name))})`);
  const late = waiting.filter((x) => elapsed >= limitOf(ctx, ownerOf(p, x)));
  for (const owner of new Set(late.map((x) => ownerOf(p, x)))) {
    const err = timeoutError(ctx, p, owner, late.filter((x) => ownerOf(p, x) === owner).map(text), d);
    if (!owner) throw err;
    expired.add(owner);
    owner.reject(withLeftovers(p, owner, err));
  }
}

/** The request a waited-for workload (or removal) belongs to. */
function ownerOf(p: Execution, x: Waited): Pending | undefined {
  return p.pending.find((item) => (x.removal ? item.req.op.kind === 'remove' && item.req.op.name === x.name : item.req.op.kind === 'upsert' && item.req.op.workload.name === x.name));
}

/** `init: <message>` or `no result yet`: what the node says of a workload it is still working on. */
function stateText(w: WorkloadJson | undefined): string {
  if (!w?.result) return 'no result yet';
  return w.result.message ? `${w.result.state}: ${w.result.message}` : w.result.state;
}

/** The expiry error of `item`: its resource, its limit and where that comes from, what the node still shows, the fix. */
function timeoutError(ctx: WaitContext, p: Execution, item: Pending | undefined, waiting: string[], d: DeploymentJson | undefined): RmbError {
  const contract = p.next!.contract_id;
  const limit = limitOf(ctx, item);
  const source = item?.req.timeoutSource ?? 'tfgrid:deployTimeout';
  const who = item?.req.label ? `${item.req.label}: ` : '';
  const op = source.startsWith('timeout.') ? source.slice('timeout.'.length) : p.action === 'create' ? 'create' : 'update';
  return new RmbError(`${who}node ${p.node} deployment ${contract} v${d?.version ?? p.next!.version}: workloads ${waiting.join(', ')} not done after ${Math.round(limit / 1000)}s (${source})`, {
    node: p.node,
    contract,
    path: source,
    fix: `give the resource a longer timeout (timeout: { ${op}: "20m" }) or raise tfgrid:deployTimeout; see what the node has: \`tfgrid zos deployment get --node ${p.node} --contract ${contract}\``,
  });
}

/** A removed workload the node kept with a new `error` result: its deprovision failed (the node keeps it active). */
export function removalFailed(p: Execution, w: WorkloadJson): boolean {
  if (w.result?.state !== 'error') return false;
  if (NAME_CONTRACT_REFUSAL.test(w.result.message ?? '') && cancelsNameContractOf(p, w.name)) {
    // The same transaction cancelled its name contract: the gateway may notice that before its job removes the
    // workload (zosbase's name contract check), and flags it on the way out. The removal goes on.
    return false;
  }
  const was = p.before?.workloads.find((x) => x.name === w.name)?.result;
  return !was || was.state !== 'error' || was.created !== w.result.created || was.message !== w.result.message;
}

/** True when this plan's chain transaction also cancels a contract for the request that removes `name`. */
function cancelsNameContractOf(p: Execution, name: string): boolean {
  return p.extraOps.some((e) => e.op.kind === 'cancel' && e.owner.req.op.kind === 'remove' && e.owner.req.op.name === name);
}

/**
 * After a cancel: waits until the node has deprovisioned the deployment (it reacts to the chain's event), so what
 * comes next (a replacement on the same IP, memory the old machines still hold) finds it gone. The contract is
 * already cancelled: a node that does not answer, or is slow, only ends the wait (logged), never fails the delete.
 */
export async function waitCancelled(ctx: WaitContext, p: Execution): Promise<void> {
  const { deps } = ctx;
  const contract = p.before!.contractId;
  const deadline = deps.clock.now() + Math.max(...p.pending.map((item) => limitOf(ctx, item)));
  for (;;) {
    let d: DeploymentJson;
    try {
      ctx.stats.nodeCalls++;
      d = await p.api.get(contract);
    } catch (err) {
      if (!DEPLOYMENT_NOT_FOUND.test(errorText(err))) deps.log.info('not waiting for the node to remove a cancelled deployment', { node: p.node, contract, message: errorText(err) });
      return;
    }
    if (d.workloads.every((w) => w.result?.state === 'deleted')) return;
    if (deps.clock.now() >= deadline) {
      deps.log.warn('node still has a cancelled deployment', { node: p.node, contract, workloads: d.workloads.map((w) => w.name).join(',') });
      return;
    }
    deps.progress.update(`node ${p.node} deployment ${contract}: cancelled, waiting for the node to remove it`);
    await deps.sleep(ctx.pollMs);
  }
}
