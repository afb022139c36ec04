/**
 * The engine's durable jobs (zosbase provision/engine.go job queue): what a queued job carries, what each kind does
 * when the worker runs it, and the boot recovery that re-queues every stored deployment (§3.8). Jobs live in the
 * `jobs` table of node storage; the worker (`worker.ts`) runs them one at a time, in order.
 *
 * Job payloads are persisted (`jobs.payload`): add fields, never rename.
 * Facts: zos-protocol.md §3.3, §3.7, §3.8, §8.1.
 * @module
 */
import { validateOnChain } from './chain-check';
import { reportResources } from './contract-sync';
import type { EngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import type { StoredJob } from './storage';
import { applyUpdate } from './update-apply';
import { failAll, provisionAll, setPaused, uninstallAll } from './provisioning';
import type { PlanOp } from './wire';

/** The kinds of job (the persisted `jobs.op`). */
export type JobOp = 'provision' | 'update' | 'deprovision' | 'pause' | 'resume';

/** What a queued job carries (persisted: add fields, never rename). */
export interface JobPayload {
  /** The deployment as received (provision/update), for the hash check. */
  target?: string;
  /** update: the planned ops, in execution order. */
  ops?: PlanOp[];
  /** provision at boot: no chain validation (§3.8). */
  noValidation?: boolean;
  /** deprovision: the message written with `deleted`. */
  reason?: string;
}

/** Queues a job and wakes the worker. */
export type EnqueueJob = (op: JobOp, twinId: number, contractId: bigint, payload: JobPayload) => void;

/** The persisted text of a payload. */
export function jobPayload(p: JobPayload): string {
  return JSON.stringify(p);
}

/**
 * Runs one job. A provision or update first passes the chain check (else every workload fails with its text), then
 * marks a health pass due (`healthDue`) and reports the contract's resources.
 */
export async function runJob(ctx: EngineContext, job: StoredJob, healthDue: () => void): Promise<void> {
  const p = JSON.parse(job.payload) as JobPayload;
  const { twinId: twin, contractId: contract } = job;
  switch (job.op) {
    case 'provision':
    case 'update': {
      if (!p.noValidation && p.target !== undefined) {
        const bad = await validateOnChain(ctx.deps.chain, ctx.facts.nodeId, contract, p.target);
        if (bad) {
          ctx.log.info('chain validation failed', { twin, contract: contract.toString(), err: bad });
          failAll(ctx, twin, contract, bad);
          return;
        }
      }
      if (job.op === 'provision') await provisionAll(ctx, twin, contract);
      else await applyUpdate(ctx, twin, contract, p.target ?? '', p.ops ?? []);
      healthDue();
      await reportResources(ctx, twin, contract);
      return;
    }
    case 'deprovision':
      await uninstallAll(ctx, twin, contract, p.reason ?? ENGINE_ERRORS.cancelled);
      return;
    case 'pause':
    case 'resume':
      await setPaused(ctx, twin, contract, job.op === 'pause');
      return;
    default:
      ctx.log.error('unknown job dropped', { op: job.op });
  }
}

/** Workload types another deployment of the same twin refers to by name (machines and gateways name networks). */
const SHARED_TYPES = new Set(['network', 'network-light']);

/**
 * Boot recovery (§3.8), before the worker starts: purges deleted deployments, rebuilds the capacity ledger, and
 * queues a provision without chain validation for every deployment that has no job pending (pending jobs run as
 * they are). The deployments holding a network are queued first: a machine or name proxy may use a network of
 * another deployment of its twin, and one provisioned before that network exists fails ("network … not found"),
 * turning a healthy workload into an error on a mere node restart (the provider adds a machine to an existing
 * deployment by an update, so the network's deployment is often the younger). Returns the counts for the log.
 */
export function requeueAtBoot(ctx: EngineContext): { purged: number; requeued: number; pending: number } {
  const { storage } = ctx;
  const purged = storage.cleanDeleted();
  const pending = new Set(storage.pendingJobs().map((j) => `${j.twinId}:${j.contractId}`));
  const queue: { twinId: number; contractId: bigint; shared: boolean }[] = [];
  for (const { twinId, contractId } of storage.all()) {
    const dl = storage.get(twinId, contractId);
    if (!dl) continue;
    for (const [i, v] of ctx.views(dl).entries()) ctx.ledger.recount(twinId, contractId, dl.workloads[i], v.data);
    if (pending.has(`${twinId}:${contractId}`)) continue;
    queue.push({ twinId, contractId, shared: dl.workloads.some((w) => SHARED_TYPES.has(w.type)) });
  }
  // A stable sort: otherwise the stored order (oldest first).
  queue.sort((a, b) => Number(b.shared) - Number(a.shared));
  for (const { twinId, contractId } of queue) storage.enqueue({ op: 'provision', twinId, contractId, payload: jobPayload({ noValidation: true }) });
  return { purged, requeued: queue.length, pending: pending.size };
}
