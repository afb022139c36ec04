/**
 * The node engine (zosbase `provision/engine.go`): synchronous checks in the node's order, then the
 * deployment and its job persisted in one SQLite transaction, then a reply; a durable FIFO worker runs jobs
 * one at a time: chain validation, type-ordered provisioning, per-workload transactions. Contract events,
 * the periodic chain sync and boot recovery enqueue jobs on the same queue; supervision checks machine health
 * between jobs. This file wires those parts (one module each, below) and answers the read side of the API.
 * Facts: zos-protocol.md §3.2 (sync), §3.3 (async), §3.4/§3.6 (update order), §3.7 (events), §3.8 (boot),
 * §6.1 (memory check), §8.
 *
 * Parts: `admission.ts` (deploy/update checks and persistence), `twin-keys.ts` (signature keys), `jobs.ts` (job
 * payloads, dispatch, boot recovery), `worker.ts` (the queue loop and health scheduling), `chain-check.ts` (contract
 * and hash), `provisioning.ts` / `update-apply.ts` (install, remove, pause, update workloads), `supervision.ts`
 * (health, restarts), `contract-sync.ts` (events, sync, resource reports), `capacity-ledger.ts` (counters),
 * `engine-context.ts` (what they share).
 * @module
 */
import { addCapacity } from '../../protocol/zos';
import { admitDeployment, admitUpdate } from './admission';
import type { Capacity } from './capacity';
import { onContractEvent, syncWithChain } from './contract-sync';
import type { ContractEvent, EngineDeps, NodeFacts } from './deps';
import { createEngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import { requeueAtBoot, runJob } from './jobs';
import type { ManagerTable } from './managers';
import type { Storage, StoredDeployment } from './storage';
import { createSupervisor } from './supervision';
import { createTwinKeys } from './twin-keys';
import { renderDeployment, renderWorkloads } from './wire';
import { createWorker } from './worker';

export { ENGINE_ERRORS } from './engine-errors';
export { DEFAULT_RESTART, diedMessage, gaveUpMessage } from './supervision';

export interface EngineOptions {
  storage: Storage;
  facts: NodeFacts;
  managers?: ManagerTable;
  /** Twin key cache lifetime (ZOS: 60 min). */
  twinKeyTtlMs?: number;
  /** Return workloads of `get` in a shuffled order, as real nodes may (§8.6). */
  shuffleGet?: boolean;
  /** Memory actually used on the host, for the §6.1 check; defaults to 0 (the sim uses reservations only). */
  actualMemoryUsed?: () => bigint;
  /** Period of the machine-health check (ms); default 2000, 0 = only after provision/update jobs. */
  healthIntervalMs?: number;
  /** Restarts of workloads that died on their own (zosbase vm monitor): at most `max` (default 3, 0 = never) within `windowMs` (default 120000). */
  restart?: { max?: number; windowMs?: number };
}

export interface Statistics {
  total: Capacity;
  used: Capacity;
  system: Capacity;
  users: { deployments: number; workloads: number; last_deployment_timestamp: number };
}

export interface Engine {
  /** `zos.deployment.deploy`: resolves once accepted and queued; throws ZosError with the node's text. */
  deploy(sourceTwin: number, payload: string): Promise<void>;
  update(sourceTwin: number, payload: string): Promise<void>;
  /** The deployment as JSON text (`zos.deployment.get`). */
  get(twinId: number, contractId: bigint): string;
  list(twinId: number): string;
  changes(twinId: number, contractId: bigint): string;
  /** Stored deployment (tests, list_private_ips, debug). */
  stored(twinId: number, contractId: bigint): StoredDeployment | undefined;
  /** Twins with deployments on this node. */
  twins(): number[];
  /** A twin's stored deployments. */
  deployments(twinId: number): StoredDeployment[];
  statistics(): Statistics;
  /** Reacts to a chain event for a contract of this node; unknown contracts are ignored. */
  onContractEvent(ev: ContractEvent): void;
  /** One pass of the chain sync (§3.7): gone → deprovision, grace → pause, created → resume. */
  sync(): Promise<void>;
  /** Boot recovery (§3.8) then the worker; call once. */
  start(): Promise<void>;
  /** Resolves when the queue is empty and the worker idle. */
  idle(): Promise<void>;
  /** Runs one machine-health pass on the worker (after queued jobs); resolves when it is done. */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

export function createEngine(deps: EngineDeps, opts: EngineOptions): Engine {
  const ctx = createEngineContext(deps, opts);
  const { storage, facts, log } = ctx;
  const twinKey = createTwinKeys(deps.chain, deps.clock, opts.twinKeyTtlMs ?? 60 * 60 * 1000);
  const supervisor = createSupervisor(ctx, opts.restart);
  const worker = createWorker(ctx, { runJob: (job) => runJob(ctx, job, () => worker.healthDue()), healthPass: () => supervisor.healthPass() }, opts.healthIntervalMs ?? 2000);
  let lastDeployment = 0;

  return {
    async deploy(sourceTwin, payload) {
      lastDeployment = await admitDeployment(ctx, twinKey, sourceTwin, payload);
      worker.kick();
    },

    async update(sourceTwin, payload) {
      await admitUpdate(ctx, twinKey, sourceTwin, payload);
      worker.kick();
    },

    get(twinId, contractId) {
      const dl = storage.get(twinId, contractId);
      if (!dl) return ctx.reject(ENGINE_ERRORS.notFound);
      return renderDeployment(opts.shuffleGet ? { ...dl, workloads: shuffle(dl.workloads) } : dl);
    },

    list(twinId) {
      const out: string[] = [];
      for (const c of storage.contracts(twinId)) {
        const dl = storage.get(twinId, c);
        if (!dl) continue;
        if (!dl.workloads.some((w) => w.result.state !== 'deleted' && w.result.state !== 'error')) continue;
        out.push(renderDeployment(dl));
      }
      return `[${out.join(',')}]`;
    },

    changes(twinId, contractId) {
      const txs = storage.changes(twinId, contractId);
      if (!txs) return ctx.reject(ENGINE_ERRORS.notFound);
      return renderWorkloads(txs);
    },

    stored: (twinId, contractId) => storage.get(twinId, contractId),
    twins: () => storage.twins(),
    deployments: (twinId) =>
      storage.contracts(twinId).flatMap((c) => {
        const dl = storage.get(twinId, c);
        return dl ? [dl] : [];
      }),

    statistics() {
      let deployments = 0;
      let workloads = 0;
      for (const { twinId, contractId } of storage.all()) {
        const dl = storage.get(twinId, contractId);
        if (!dl) continue;
        const active = dl.workloads.filter((w) => w.result.state === 'ok' || w.result.state === 'paused' || w.result.state === 'init');
        if (active.length) deployments++;
        workloads += active.length;
      }
      return {
        total: facts.total,
        used: addCapacity(ctx.ledger.used(), facts.reserved),
        system: facts.reserved,
        users: { deployments, workloads, last_deployment_timestamp: lastDeployment },
      };
    },

    onContractEvent: (ev) => onContractEvent(ctx, worker.enqueue, ev),
    sync: () => syncWithChain(ctx, worker.enqueue),

    async start() {
      const { purged, requeued, pending } = requeueAtBoot(ctx);
      log.info('engine started', { purged, requeued, pending });
      worker.start();
    },

    checkHealth: () => worker.checkHealth(),
    idle: () => worker.idle(),
    close: () => worker.close(),
  };
}

/** A shuffled copy (`shuffleGet`: real nodes may return workloads in any order, §8.6). */
function shuffle<T>(a: T[]): T[] {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
