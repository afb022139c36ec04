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
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import { addCapacity } from '../../protocol/zos';
import type { Capacity } from './capacity';
import { onContractEvent, syncWithChain } from './contract-sync';
import type { ContractEvent, EngineDeps, NodeFacts } from './deps';
import { createEngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import type { ManagerTable } from './managers';
import { jobPayload, requeueAtBoot, runJob } from './jobs';
import { rawWorkloadData } from './raw-json';
import { type Storage, StorageError, type StoredDeployment } from './storage';
import { createSupervisor } from './supervision';
import { createWorker } from './worker';
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
  const { storage, facts, log, ledger, nowSec, reject } = ec;
  const keyTtl = opts.twinKeyTtlMs ?? 60 * 60 * 1000;
  const keyCache = new Map<number, { key: Uint8Array; at: number }>();
  const supervisor = createSupervisor(ec, opts.restart);
  const worker = createWorker(
    ec,
    { runJob: (job) => runJob(ec, job, () => worker.healthDue()), healthPass: () => supervisor.healthPass() },
    opts.healthIntervalMs ?? 2000,
  );
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
        storage.create(stored, { op: 'provision', twinId: dl.twin_id, contractId: dl.contract_id, payload: jobPayload({ target: payload }) }, now);
      } catch (err) {
        if (err instanceof StorageError) reject(err.message);
        throw err;
      }
      lastDeployment = now;
      log.info('deployment accepted', { twin: dl.twin_id, contract: dl.contract_id.toString(), workloads: dl.workloads.length });
      worker.kick();
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
          { op: 'update', twinId: dl.twin_id, contractId: dl.contract_id, payload: jobPayload({ target: payload, ops }) },
        );
      } catch (err) {
        if (err instanceof StorageError) reject(err.message);
        throw err;
      }
      log.info('deployment update accepted', { twin: dl.twin_id, contract: dl.contract_id.toString(), version: dl.version });
      worker.kick();
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

    onContractEvent: (ev) => onContractEvent(ec, worker.enqueue, ev),
    sync: () => syncWithChain(ec, worker.enqueue),

    async start() {
      const { purged, requeued, pending } = requeueAtBoot(ec);
      log.info('engine started', { purged, requeued, pending });
      worker.start();
    },

    checkHealth: () => worker.checkHealth(),
    idle: () => worker.idle(),
    close: () => worker.close(),
  };
  return engine;
}

