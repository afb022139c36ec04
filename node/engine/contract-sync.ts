/**
 * The node following its contracts on chain (zosbase provision/events.go, §3.7): contract events and the periodic
 * sync turn into queued jobs (gone → deprovision, grace → pause, created again → resume), and after each deploy or
 * update job the contract's used resources are reported. Everything here only enqueues or reports; the worker
 * does the work, in order with the deployment's other jobs.
 * Facts: zos-protocol.md §3.7, rmb-tfchain.md §B5.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import type { ChainContract, ContractEvent } from './deps';
import type { EngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import type { EnqueueJob } from './jobs';

/** Reacts to a chain event for a contract of this node; unknown contracts are ignored. */
export function onContractEvent(ctx: EngineContext, enqueue: EnqueueJob, ev: ContractEvent): void {
  const twin = ctx.storage.ownerOf(ev.contractId);
  if (twin === undefined) return;
  ctx.log.info('contract event', { kind: ev.kind, twin, contract: ev.contractId.toString() });
  if (ev.kind === 'cancelled') enqueue('deprovision', twin, ev.contractId, { reason: ENGINE_ERRORS.cancelled });
  else enqueue(ev.kind === 'locked' ? 'pause' : 'resume', twin, ev.contractId, {});
}

/** One pass of the chain sync over every stored deployment; a contract that cannot be read is skipped this time. */
export async function syncWithChain(ctx: EngineContext, enqueue: EnqueueJob): Promise<void> {
  const { storage, facts, deps, log } = ctx;
  for (const { twinId, contractId } of storage.all()) {
    let c: ChainContract | undefined;
    try {
      c = await deps.chain.contract(contractId);
    } catch (err) {
      log.warn('sync: contract lookup failed', { contract: contractId.toString(), err: errorText(err) });
      continue;
    }
    const dl = storage.get(twinId, contractId);
    if (!dl) continue;
    if (!c || c.state === 'deleted' || c.type !== 'node' || c.nodeId !== facts.nodeId) {
      enqueue('deprovision', twinId, contractId, { reason: ENGINE_ERRORS.notOnChain });
    } else if (c.state === 'grace' && dl.workloads.some((w) => w.result.state === 'ok')) {
      enqueue('pause', twinId, contractId, {});
    } else if (c.state === 'created' && dl.workloads.some((w) => w.result.state === 'paused')) {
      enqueue('resume', twinId, contractId, {});
    }
  }
}

/** `report_contract_resources` for one contract (what its counted workloads hold); a failure is only logged. */
export async function reportResources(ctx: EngineContext, twin: number, contract: bigint): Promise<void> {
  const { chain } = ctx.deps;
  if (!chain.reportResources) return;
  const dl = ctx.storage.get(twin, contract);
  const used = ctx.ledger.usedBy(
    twin,
    contract,
    (dl?.workloads ?? []).map((w) => w.name),
  );
  try {
    await chain.reportResources([{ contractId: contract, used: { cru: used.cru, sru: used.sru, hru: used.hru, mru: used.mru } }]);
  } catch (err) {
    ctx.log.warn('cannot report contract resources', { contract: contract.toString(), err: errorText(err) });
  }
}
