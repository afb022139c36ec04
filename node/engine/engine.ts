/**
 * The node engine (zosbase `provision/engine.go`): synchronous checks in the node's order, then the
 * deployment and its job persisted in one SQLite transaction, then a reply; a durable FIFO worker runs jobs
 * one at a time: chain validation, type-ordered provisioning, per-workload transactions. Contract events,
 * the periodic chain sync and boot recovery enqueue jobs on the same queue.
 * Facts: zos-protocol.md §3.2 (sync), §3.3 (async), §3.4/§3.6 (update order), §3.7 (events), §3.8 (boot),
 * §6.1 (memory check), §8. Machine health: a zmachine whose machine died on its own (OOM kill, exit) is failed
 * with state `error` like zosbase's vm monitor does; checked between jobs, every `healthIntervalMs` and right after
 * each provision/update job. Supervision (zosbase vm monitor: `failuresBeforeDestroy` 4 within a 2-minute cache
 * window): a death the manager calls restartable (an exit, not an OOM kill) is restarted in place while the workload
 * has died at most `restart.max` times within `restart.windowMs`; the next death within the window fails it with a
 * message listing the failures. Restarts happen on the worker, so never during a delete, pause or boot recovery of
 * the same deployment; only `ok` workloads are checked (paused, deleted and error ones never restart). The counts
 * live in memory like ZOS's: a node restart starts them afresh (boot recovery re-provisions the machine anyway).
 *
 * Job payloads are persisted (`jobs.payload`): add fields, never rename.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import { addCapacity } from '../../protocol/zos';
import type { Capacity } from './capacity';
import { validateOnChain } from './chain-check';
import type { ChainContract, ContractEvent, EngineDeps, NodeFacts } from './deps';
import { createEngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import type { ManagerTable } from './managers';
import { failAll, provisionAll, setPaused, uninstallAll } from './provisioning';
import { rawWorkloadData } from './raw-json';
import { type Storage, StorageError, type StoredDeployment, type StoredJob } from './storage';
import { createSupervisor } from './supervision';
import { applyUpdate } from './update-apply';
import {
  type PlanOp,
  type WireDeployment,
  decodeDeployment,
  planDeploymentUpgrade,
  renderDeployment,
  renderWorkloads,
  signatureRequirementJson,
  storedWorkloadOf,
  validateWire,
  verifyWire,
} from './wire';

export { ENGINE_ERRORS } from './engine-errors';
export { DEFAULT_RESTART, diedMessage, gaveUpMessage } from './supervision';

/** What a queued job carries (persisted: add fields, never rename). */
interface JobPayload {
  /** The deployment as received (provision/update), for the hash check. */
  target?: string;
  /** update: the planned ops, in execution order. */
  ops?: PlanOp[];
  /** provision at boot: no chain validation (§3.8). */
  noValidation?: boolean;
  /** deprovision: the message written with `deleted`. */
  reason?: string;
}

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
  const ec = createEngineContext(deps, opts);
  const { storage, facts, log, ledger, nowSec, reject, views } = ec;
  const keyTtl = opts.twinKeyTtlMs ?? 60 * 60 * 1000;
  const keyCache = new Map<number, { key: Uint8Array; at: number }>();
  const supervisor = createSupervisor(ec, opts.restart);
  let lastDeployment = 0;

  // ---- twin keys (provision/auth.go: cached 60 min) ----
  const twinKey = async (twin: number): Promise<Uint8Array> => {
    const hit = keyCache.get(twin);
    if (hit && deps.clock.now() - hit.at < keyTtl) return hit.key;
    let key: Uint8Array | undefined;
    try {
      key = await deps.chain.twinPublicKey(twin);
    } catch (err) {
      throw new Error(errorText(err), { cause: err });
    }
    if (!key) throw new Error(`twin ${twin} not found`);
    keyCache.set(twin, { key, at: deps.clock.now() });
    return key;
  };

  /** decode → valid → twin match → signatures (§3.2 steps 1–5). */
  const syncChecks = async (sourceTwin: number, payload: string): Promise<{ dl: WireDeployment; raw: (string | undefined)[] }> => {
    let dl: WireDeployment;
    try {
      dl = decodeDeployment(payload);
    } catch (err) {
      return reject(errorText(err));
    }
    try {
      validateWire(dl);
    } catch (err) {
      return reject(errorText(err));
    }
    if (dl.twin_id !== sourceTwin) reject(ENGINE_ERRORS.twinMismatch(dl.twin_id, sourceTwin));
    try {
      await verifyWire(dl, twinKey);
    } catch (err) {
      return reject(errorText(err));
    }
    let raw: (string | undefined)[];
    try {
      raw = rawWorkloadData(payload);
    } catch (err) {
      return reject(errorText(err));
    }
    return { dl, raw };
  };

  // ---- worker ----
  let wake: (() => void) | undefined;
  let busy = false;
  let idleWaiters: (() => void)[] = [];
  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const notifyIdle = () => {
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  };

  // ---- machine health (between jobs, so it never races a deprovision/pause of the same workload) ----
  let healthDue = false;
  let healthWaiters: (() => void)[] = [];
  let healthTimer: ReturnType<typeof setInterval> | undefined;
  const requestHealth = () => {
    healthDue = true;
    kick();
  };

  const enqueue = (op: string, twinId: number, contractId: bigint, payload: JobPayload) => {
    storage.enqueue({ op, twinId, contractId, payload: JSON.stringify(payload) });
    kick();
  };

  const reportResources = async (twin: number, contract: bigint) => {
    if (!deps.chain.reportResources) return;
    const dl = storage.get(twin, contract);
    const used = ledger.usedBy(twin, contract, (dl?.workloads ?? []).map((w) => w.name));
    try {
      await deps.chain.reportResources([{ contractId: contract, used: { cru: used.cru, sru: used.sru, hru: used.hru, mru: used.mru } }]);
    } catch (err) {
      log.warn('cannot report contract resources', { contract: contract.toString(), err: errorText(err) });
    }
  };

  const runJob = async (job: StoredJob) => {
    const p = JSON.parse(job.payload) as JobPayload;
    const { twinId: twin, contractId: contract } = job;
    switch (job.op) {
      case 'provision':
      case 'update': {
        if (!p.noValidation && p.target !== undefined) {
          const bad = await validateOnChain(deps.chain, facts.nodeId, contract, p.target);
          if (bad) {
            log.info('chain validation failed', { twin, contract: contract.toString(), err: bad });
            failAll(ec, twin, contract, bad);
            return;
          }
        }
        if (job.op === 'provision') await provisionAll(ec, twin, contract);
        else await applyUpdate(ec, twin, contract, p.target ?? '', p.ops ?? []);
        healthDue = true;
        await reportResources(twin, contract);
        return;
      }
      case 'deprovision':
        await uninstallAll(ec, twin, contract, p.reason ?? ENGINE_ERRORS.cancelled);
        return;
      case 'pause':
      case 'resume':
        await setPaused(ec, twin, contract, job.op === 'pause');
        return;
      default:
        log.error('unknown job dropped', { op: job.op });
    }
  };

  let loopDone: Promise<void> | undefined;
  const loop = async () => {
    while (!ec.closed) {
      const job = storage.peekJob();
      if (!job && healthDue) {
        busy = true;
        healthDue = false;
        const waiters = healthWaiters;
        healthWaiters = [];
        try {
          await supervisor.healthPass();
        } catch (err) {
          log.error('health pass failed', { err: errorText(err) });
        }
        for (const w of waiters) w();
        continue;
      }
      if (!job) {
        busy = false;
        notifyIdle();
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      busy = true;
      try {
        await runJob(job);
      } catch (err) {
        log.error('job failed', { op: job.op, twin: job.twinId, contract: job.contractId.toString(), err: errorText(err) });
      }
      if (ec.closed) break; // interrupted: the job stays queued and runs again at the next start
      storage.finishJob(job.id);
    }
    busy = false;
    notifyIdle();
  };

  // ---- rendering ----
  const shuffle = <T>(a: T[]): T[] => {
    const out = [...a];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };

  const engine: Engine = {
    async deploy(sourceTwin, payload) {
      const { dl, raw } = await syncChecks(sourceTwin, payload);
      if (dl.version !== 0) reject(ENGINE_ERRORS.createVersion);
      const now = nowSec();
      const stored: StoredDeployment = {
        version: dl.version,
        twinId: dl.twin_id,
        contractId: dl.contract_id,
        metadata: dl.metadata,
        description: dl.description,
        signatureRequirement: signatureRequirementJson(dl),
        workloads: dl.workloads.map((w, i) => storedWorkloadOf(w, raw[i], 'init', now)),
      };
      try {
        storage.create(stored, { op: 'provision', twinId: dl.twin_id, contractId: dl.contract_id, payload: JSON.stringify({ target: payload } satisfies JobPayload) }, now);
      } catch (err) {
        if (err instanceof StorageError) reject(err.message);
        throw err;
      }
      lastDeployment = now;
      log.info('deployment accepted', { twin: dl.twin_id, contract: dl.contract_id.toString(), workloads: dl.workloads.length });
      kick();
    },

    async update(sourceTwin, payload) {
      const { dl } = await syncChecks(sourceTwin, payload);
      const cur = storage.get(dl.twin_id, dl.contract_id);
      if (!cur) {
        reject(storage.contracts(dl.twin_id).length === 0 ? 'twin not found: deployment does not exist' : 'deployment not found: deployment does not exist');
        return;
      }
      let ops: PlanOp[];
      try {
        ops = planDeploymentUpgrade(decodeDeployment(renderDeployment(cur)), dl);
      } catch (err) {
        return reject(errorText(err));
      }
      try {
        storage.updateDeployment(
          dl.twin_id,
          dl.contract_id,
          { version: dl.version, signatureRequirement: signatureRequirementJson(dl), metadata: dl.metadata, description: dl.description },
          { op: 'update', twinId: dl.twin_id, contractId: dl.contract_id, payload: JSON.stringify({ target: payload, ops } satisfies JobPayload) },
        );
      } catch (err) {
        if (err instanceof StorageError) reject(err.message);
        throw err;
      }
      log.info('deployment update accepted', { twin: dl.twin_id, contract: dl.contract_id.toString(), version: dl.version });
      kick();
    },

    get(twinId, contractId) {
      const dl = storage.get(twinId, contractId);
      if (!dl) return reject(ENGINE_ERRORS.notFound);
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
      if (!txs) return reject(ENGINE_ERRORS.notFound);
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
        used: addCapacity(ledger.used(), facts.reserved),
        system: facts.reserved,
        users: { deployments, workloads, last_deployment_timestamp: lastDeployment },
      };
    },

    onContractEvent(ev) {
      const twin = storage.ownerOf(ev.contractId);
      if (twin === undefined) return;
      log.info('contract event', { kind: ev.kind, twin, contract: ev.contractId.toString() });
      if (ev.kind === 'cancelled') enqueue('deprovision', twin, ev.contractId, { reason: ENGINE_ERRORS.cancelled });
      else enqueue(ev.kind === 'locked' ? 'pause' : 'resume', twin, ev.contractId, {});
    },

    async sync() {
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
    },

    async start() {
      const purged = storage.cleanDeleted();
      const pending = new Set(storage.pendingJobs().map((j) => `${j.twinId}:${j.contractId}`));
      let requeued = 0;
      for (const { twinId, contractId } of storage.all()) {
        const dl = storage.get(twinId, contractId);
        if (!dl) continue;
        for (const [i, v] of views(dl).entries()) ledger.recount(twinId, contractId, dl.workloads[i], v.data);
        if (pending.has(`${twinId}:${contractId}`)) continue;
        storage.enqueue({ op: 'provision', twinId, contractId, payload: JSON.stringify({ noValidation: true } satisfies JobPayload) });
        requeued++;
      }
      log.info('engine started', { purged, requeued, pending: pending.size });
      loopDone = loop();
      const every = opts.healthIntervalMs ?? 2000;
      if (every > 0) {
        healthTimer = setInterval(requestHealth, every);
        healthTimer.unref?.();
      }
    },

    checkHealth() {
      if (ec.closed) return Promise.resolve();
      return new Promise<void>((r) => {
        healthWaiters.push(r);
        requestHealth();
      });
    },

    idle() {
      if (!busy && !storage.peekJob()) return Promise.resolve();
      return new Promise<void>((r) => idleWaiters.push(r));
    },

    async close() {
      ec.closed = true;
      if (healthTimer) clearInterval(healthTimer);
      const waiters = healthWaiters;
      healthWaiters = [];
      for (const w of waiters) w();
      kick();
      await loopDone;
    },
  };
  return engine;
}

