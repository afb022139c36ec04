/**
 * The chain side of a flush (rmb-tfchain.md §B2): the contract operations of every plan in one `batchAll`, the ids
 * it returns handed back to each plan; when the batch fails, plan by plan, so only the culprit fails.
 * @module
 */
import type { ContractOp } from '../deps';
import type { ExecContext, Execution } from './execution';

type SubmitContext = Pick<ExecContext, 'deps' | 'stats'>;

/** One chain transaction; returns the contract id of each op, in order. */
export async function submit(ctx: SubmitContext, ops: ContractOp[]): Promise<number[]> {
  ctx.stats.chainTransactions++;
  ctx.stats.chainOps += ops.length;
  const res = await ctx.deps.chain.submit(ops);
  return res.map((r) => r.contractId);
}

/** Sends the chain ops of all plans in one transaction; on failure, retries plan by plan to isolate the culprit. */
export async function submitAll(ctx: SubmitContext, plans: Execution[]): Promise<void> {
  const active = plans.filter((p) => p.chainOps.length + p.extraOps.length > 0);
  if (active.length === 0) return;
  const opsOf = (p: Execution) => [...p.chainOps, ...p.extraOps.map((e) => e.op)];
  const assign = (p: Execution, ids: number[]) => {
    if (p.action === 'create') p.next!.contract_id = ids[0];
    const extraIds = ids.slice(p.chainOps.length);
    p.extraOps.forEach((e, i) => (e.id = extraIds[i]));
  };
  try {
    const ids = await submit(ctx, active.flatMap(opsOf));
    let at = 0;
    for (const p of active) {
      const n = opsOf(p).length;
      assign(p, ids.slice(at, at + n));
      at += n;
    }
  } catch (err) {
    if (active.length === 1) {
      active[0].failed = err;
      return;
    }
    for (const p of active) {
      try {
        assign(p, await submit(ctx, opsOf(p)));
      } catch (e) {
        p.failed = e;
      }
    }
  }
}
