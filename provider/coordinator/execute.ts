/**
 * The coordinator's executor (zos-protocol.md §3.2–§3.5, rmb-tfchain.md §B2–B5): for one flush, reads each group's
 * deployment and plans it (`plan.ts`), sends every plan's contract operations in one chain transaction
 * (`submit.ts`), deploys or updates each node (undoing the chain side when the node refuses), waits for the node
 * (`wait.ts`) and answers each request. A version conflict hands the requests back for a retry.
 * @module
 */
import { ConflictError, RmbError, TfgridError, ZosError, errorText } from '../../protocol/common/errors';
import type { WorkloadJson } from '../deps';
import { deploymentOf, groupMetadata, isVersionConflict, keyOf } from './deployment';
import type { ExecContext, Execution } from './execution';
import { chainFailure, extraIds, withLeftovers } from './failures';
import { orphanContractId, planDeployment, type Pending } from './plan';
import { submit, submitAll } from './submit';
import { waitCancelled, waitFinal } from './wait';

/** Runs one flush of requests for twin `tw`; returns the requests deferred to the next flush. */
export async function executeBatch(ctx: ExecContext, tw: number, batch: Pending[]): Promise<Pending[]> {
  const byKey = new Map<string, Pending[]>();
  for (const item of batch) {
    const k = keyOf(item.req.node, item.req.group);
    byKey.set(k, [...(byKey.get(k) ?? []), item]);
  }
  const plans: Execution[] = [];
  await Promise.all(
    [...byKey.values()].map(async (items) => {
      try {
        plans.push(await prepare(ctx, tw, items));
      } catch (err) {
        const e =
          err instanceof TfgridError
            ? err
            : new RmbError(`node ${items[0].req.node}: reading deployment group "${items[0].req.group}" failed: ${errorText(err)}`, { node: items[0].req.node }, { cause: err });
        items.forEach((x) => x.reject(e));
      }
    }),
  );
  await submitAll(ctx, plans);
  await Promise.all(plans.map((p) => executePlan(ctx, tw, p)));
  // after this flush's removals are gone from the nodes (executePlan waited for them)
  return plans.flatMap((p) => p.deferred);
}

/** Reads what the planner needs (the node's deployment, an orphaned contract on the chain), plans, rejects the refused. */
async function prepare(ctx: ExecContext, tw: number, items: Pending[]): Promise<Execution> {
  const { deps } = ctx;
  const { node, group } = items[0].req;
  const api = await deps.node(node);
  const before = await ctx.store.load(node, group, items.find((x) => x.req.contractId)?.req.contractId);
  const orphanId = orphanContractId(before, items);
  let orphan: { contractId: number; publicIps: number } | undefined;
  if (orphanId) {
    const c = await deps.chain.getContract(orphanId);
    if (c && c.state !== 'deleted' && c.twinId === tw) orphan = { contractId: orphanId, publicIps: c.publicIps ?? 0 };
  }
  const plan = planDeployment({ twinId: tw, node, group, before, pending: items, orphan, hash: (d) => deps.codec.hashDeployment(d) });
  for (const { item, error } of plan.refused) item.reject(error);
  return Object.assign(plan, { api });
}

/** After the chain transaction: node call, wait, answers; a failure rejects the plan's requests (with leftovers). */
async function executePlan(ctx: ExecContext, tw: number, p: Execution): Promise<void> {
  const { cache } = ctx.store;
  if (p.failed) {
    cache.delete(p.key);
    const err = chainFailure(p, p.failed);
    p.pending.forEach((x) => x.reject(err));
    return;
  }
  try {
    if (p.action === 'create' || p.action === 'update') await sendToNode(ctx, p);
    if (p.action === 'cancel') {
      ctx.stats.cancels++;
      await waitCancelled(ctx, p);
    }
    const finals = p.action === 'create' || p.action === 'update' ? await waitFinal(ctx, p) : new Map<string, WorkloadJson>();
    settle(ctx, p, tw, finals);
    if (p.stale) cache.delete(p.key);
  } catch (err) {
    cache.delete(p.key);
    if (err instanceof ConflictError) {
      ctx.deps.log.info('version conflict, re-reading deployment', { node: p.node, group: p.group, message: err.message });
      ctx.retry(p.pending, err);
      return;
    }
    p.pending.forEach((x) => x.reject(withLeftovers(p, x, err)));
  }
}

/**
 * Signs the next deployment and deploys (v0) or updates it on the node. A refusal undoes the chain side: a new
 * contract is cancelled, an updated one gets its old hash back, and the extra (name) contracts of the transaction
 * are cancelled with it; a version conflict becomes a `ConflictError` (retried).
 */
async function sendToNode(ctx: ExecContext, p: Execution): Promise<void> {
  const { deps, stats } = ctx;
  const d = deps.codec.signDeployment(p.next!);
  try {
    stats.nodeCalls++;
    if (p.action === 'create') {
      stats.deploys++;
      await p.api.deploy(d);
    } else {
      stats.updates++;
      await p.api.update(d);
    }
  } catch (err) {
    const text = err instanceof ZosError && err.context.nodeMessage ? err.context.nodeMessage : errorText(err);
    if (p.action === 'update' && isVersionConflict(text)) throw new ConflictError(text, { node: p.node, contract: p.before!.contractId }, { cause: err });
    const contract = p.next!.contract_id;
    // The extra contracts of the same transaction (name contracts) go with it: none is left owned by no state.
    const extras = extraIds(p);
    const extrasText = extras.length > 0 ? ` and name ${extras.length === 1 ? 'contract' : 'contracts'} ${extras.join(', ')}` : '';
    if (p.action === 'create') {
      try {
        await submit(ctx, [{ kind: 'cancel', contractId: contract }, ...extras.map((id) => ({ kind: 'cancel' as const, contractId: id }))]);
        p.rolledBack = true;
      } catch (cancelErr) {
        const rollback = `cancelling it${extrasText} failed too (${errorText(cancelErr)})`;
        throw new ZosError(`node ${p.node}: node contract ${contract} created, deploy failed (${text}); ${rollback}`, { node: p.node, contract, nodeMessage: text }, { cause: err });
      }
      throw new ZosError(
        `node ${p.node}: node contract ${contract} created, deploy failed (${text}); contract cancelled${extrasText ? `,${extrasText.slice(4)} too` : ''}`,
        { node: p.node, contract, nodeMessage: text },
        { cause: err },
      );
    }
    // The contract already carries the new hash: put the old one back so the running deployment stays valid.
    try {
      const old = deploymentOf(p.next!.twin_id, p.group, p.before!.version, contract, p.before!.workloads);
      await submit(ctx, [
        { kind: 'updateNode', contractId: contract, hash: deps.codec.hashDeployment(old), data: groupMetadata(p.group) },
        ...extras.map((id) => ({ kind: 'cancel' as const, contractId: id })),
      ]);
      p.rolledBack = true;
    } catch {
      ctx.store.cache.delete(p.key);
    }
    throw new ZosError(
      `node ${p.node} rejected deployment ${contract} v${p.next!.version}: ${text}${p.rolledBack && extrasText ? `; cancelled${extrasText.slice(4)}` : ''}`,
      { node: p.node, contract, version: p.next!.version, nodeMessage: text },
      { cause: err },
    );
  }
}

/** Records the new version in the cache and answers each request: its workload, or the node's error/unchanged text. */
function settle(ctx: ExecContext, p: Execution, tw: number, finals: Map<string, WorkloadJson>): void {
  const { cache } = ctx.store;
  const contractId = p.action === 'cancel' ? 0 : (p.next?.contract_id ?? p.before?.contractId ?? 0);
  const version = p.next?.version ?? p.before?.version ?? 0;
  if (p.action === 'cancel') cache.delete(p.key);
  else if (p.next) {
    const prevIps = p.before?.publicIps ?? p.publicIps;
    cache.set(p.key, {
      contractId,
      version,
      workloads: p.next.workloads.map((w) => ({ ...w, result: finals.get(w.name)?.result ?? p.before?.workloads.find((x) => x.name === w.name)?.result })),
      publicIps: prevIps,
    });
    // A refused update leaves the node with the old workload (and the contract with our hash): re-read next time.
    if ([...finals.values()].some((w) => w.result?.state === 'unchanged')) cache.delete(p.key);
  }
  for (const item of p.pending) {
    const extraContractIds = p.extraOps.filter((e) => e.owner === item).map((e) => e.id ?? 0);
    const op = item.req.op;
    const base = { twinId: tw, node: p.node, group: p.group, contractId, version, extraContractIds };
    if (op.kind === 'remove') {
      item.resolve(base);
      continue;
    }
    const name = op.workload.name;
    const w = finals.get(name) ?? cache.get(p.key)?.workloads.find((x) => x.name === name);
    const state = w?.result?.state;
    if (state === 'error' || state === 'unchanged') {
      const text = w?.result?.message ?? '';
      item.reject(
        new ZosError(`${item.req.label ?? name}: node ${p.node} deployment ${contractId} v${version}: workload "${name}" is in state ${state}: ${text}`, {
          node: p.node,
          contract: contractId,
          version,
          nodeMessage: text,
          workloadState: state,
          extraContractIds,
        }),
      );
      continue;
    }
    item.resolve({ ...base, workload: w });
  }
}
