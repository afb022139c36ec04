/**
 * The deployment coordinator (DESIGN.md §4, zos-protocol.md §1.1, §3.2–§3.5, rmb-tfchain.md §B2–B5).
 *
 * Pulumi resources are single workloads; ZOS wants one signed, versioned deployment per node contract. The
 * coordinator owns every (twin, node, group) deployment of this process:
 * - the first workloads of a group → `createNodeContract(hash)` then `zos.deployment.deploy` at version 0;
 * - later adds/updates/removes → version+1, only touched workloads carry the new version,
 *   `updateNodeContract(new hash)`, re-sign, `zos.deployment.update`; the last remove cancels the contract;
 * - then it waits for each touched workload's `ok`/`error` (or `unchanged`) with a timeout and surfaces the
 *   node's text verbatim.
 * Requests that arrive within one coalescing window become one version bump per deployment, and the contract
 * operations of all deployments of that window go to the chain as one `batchAll`. A version conflict (someone
 * else updated the deployment) re-reads the deployment from the node and retries. A create whose deploy is
 * refused cancels the contract it just made (no paid orphan); if even that fails the error carries the
 * contract id so the resource can be recorded as partially created.
 *
 * This file is the composition: the queue and its coalescing window, and the public API. The work lives in
 * `provider/coordinator/`: `plan.ts` (the pure planner), `execute.ts` (one flush: plan, chain, node, answers),
 * `submit.ts` (the chain transaction), `wait.ts` (final states, removals, timeouts), `failures.ts` (error texts
 * with leftovers), `deployments.ts` (the deployment cache and reads), `deployment.ts` (wire helpers) and
 * `types.ts` (the public types, re-exported here).
 * @module
 */
import type { CoordinatorDeps } from './deps';
import { deploymentOf, keyOf } from './coordinator/deployment';
import { createDeploymentStore } from './coordinator/deployments';
import { executeBatch } from './coordinator/execute';
import type { ExecContext } from './coordinator/execution';
import type { Pending } from './coordinator/plan';
import type { ApplyResult, Coordinator, CoordinatorOptions, CoordinatorStats } from './coordinator/types';

export type { ApplyRequest, ApplyResult, Coordinator, CoordinatorOptions, CoordinatorStats, ReadResult, WorkloadOp, WorkloadSpec } from './coordinator/types';
export { groupMetadata, isVersionConflict, stableJson } from './coordinator/deployment';

export function createCoordinator(deps: CoordinatorDeps, opts: CoordinatorOptions = {}): Coordinator {
  const coalesceMs = opts.coalesceMs ?? 150;
  const newGroupMs = opts.newGroupMs ?? Math.max(coalesceMs, 1000);
  const conflictRetries = opts.conflictRetries ?? 3;
  const stats: CoordinatorStats = { flushes: 0, chainTransactions: 0, chainOps: 0, deploys: 0, updates: 0, cancels: 0, nodeCalls: 0 };
  const store = createDeploymentStore(deps, stats);
  let queue: Pending[] = [];
  let scheduled = false;
  let running: Promise<void> = Promise.resolve();
  let twin: number | undefined;
  let closed = false;

  const twinId = async (): Promise<number> => (twin ??= await deps.chain.twinId());

  const ctx: ExecContext = {
    deps,
    stats,
    store,
    pollMs: opts.pollMs ?? 500,
    deployTimeoutMs: opts.deployTimeoutMs ?? 5 * 60_000,
    retry(items, err) {
      for (const item of items) {
        if (item.attempts++ < conflictRetries) queue.push(item);
        else item.reject(err);
      }
      schedule();
    },
  };

  function schedule(): void {
    if (scheduled || closed) return;
    scheduled = true;
    running = running.then(async () => {
      let seen = queue.length;
      await deps.sleep(coalesceMs);
      let waited = coalesceMs;
      // A wave of Pulumi's parallel operations arrives spread out (each resource reads the grid before it asks: a
      // NameProxy's delete makes three reads), wider than one window at hundreds of resources: while requests keep
      // coming, keep the window open (up to newGroupMs in all), so the wave is one version bump per deployment and
      // one chain transaction, not two.
      while (coalesceMs > 0 && queue.length > seen && waited + coalesceMs <= newGroupMs) {
        seen = queue.length;
        await deps.sleep(coalesceMs);
        waited += coalesceMs;
      }
      // The first workloads of a group fix its contract (public IPs can only be reserved then): wait a little
      // longer for the independent creates Pulumi is still sending, so they land in that first version.
      if (coalesceMs > 0 && newGroupMs > waited && queue.some((x) => !x.req.contractId && !store.cache.has(keyOf(x.req.node, x.req.group)))) {
        await deps.sleep(newGroupMs - waited);
      }
      scheduled = false;
      // coalesceMs 0 turns coalescing off: one request per version bump and chain transaction.
      const batch = coalesceMs === 0 ? queue.splice(0, 1) : queue;
      if (coalesceMs !== 0) queue = [];
      if (batch.length > 0) await flush(batch).catch((err) => batch.forEach((p) => p.reject(err)));
      if (queue.length > 0) schedule();
    });
  }

  async function flush(batch: Pending[]): Promise<void> {
    stats.flushes++;
    const tw = await twinId();
    const deferred = await executeBatch(ctx, tw, batch);
    queue.push(...deferred);
  }

  return {
    stats,
    apply(req) {
      return new Promise<ApplyResult>((resolve, reject) => {
        queue.push({ req, resolve, reject, attempts: 0 });
        schedule();
      });
    },
    async current(node, group, contractId) {
      const s = await store.load(node, group, contractId);
      if (!s) return undefined;
      return deploymentOf(await twinId(), group, s.version, s.contractId, s.workloads);
    },
    read: store.read,
    close() {
      closed = true;
    },
  };
}
