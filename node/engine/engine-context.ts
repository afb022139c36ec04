/**
 * What the parts of the engine share: the node's storage, facts and manager table, the engine's logger, the clock
 * in seconds, the capacity ledger, and the helpers every part uses to read a stored deployment as typed views,
 * write a workload result (and count it), build a manager's context and reject with the node's text. `createEngine`
 * builds one; admission, the worker, the chain check, provisioning and supervision take it as an argument.
 * @module
 */
import { ZosError } from '../../protocol/common/errors';
import type { Logger } from '../../protocol/common/log';
import { createCapacityLedger, type CapacityLedger } from './capacity-ledger';
import type { ChainContract, EngineDeps, NodeFacts } from './deps';
import { MANAGERS, type ManagerTable } from './managers';
import { workloadView, type ManagerContext, type WorkloadView } from './managers/manager';
import type { Storage, StoredDeployment, StoredWorkload } from './storage';
import { decodeDeployment, netIdOf, renderDeployment, workloadIdOf } from './wire';

export interface EngineContext {
  readonly deps: EngineDeps;
  readonly storage: Storage;
  readonly facts: NodeFacts;
  readonly managers: ManagerTable;
  /** The engine's logger (`component: engine`, the node id). */
  readonly log: Logger;
  readonly ledger: CapacityLedger;
  /** Set once, by `close()`: long jobs and the health pass stop at the next workload. */
  closed: boolean;
  /** The clock in whole seconds (result `created`, deployment timestamps). */
  nowSec(): number;
  /** Throws the node's rejection (the RMB error reply) with `text` verbatim. */
  reject(text: string): never;
  /** The stored deployment's workloads with typed data (parsed back through protocol/zos). */
  views(dl: StoredDeployment): WorkloadView[];
  /** Appends a workload transaction and updates the ledger. */
  write(twin: number, contract: bigint, wl: StoredWorkload, data: unknown): void;
  managerContext(twin: number, contract: bigint, name: string, workloads: WorkloadView[]): ManagerContext;
}

export interface EngineContextOptions {
  storage: Storage;
  facts: NodeFacts;
  managers?: ManagerTable;
  actualMemoryUsed?: () => bigint;
}

export function createEngineContext(deps: EngineDeps, opts: EngineContextOptions): EngineContext {
  const { storage, facts } = opts;
  const log = deps.log.child({ component: 'engine', node: facts.nodeId });
  const ledger = createCapacityLedger(facts, opts.actualMemoryUsed);
  return {
    deps,
    storage,
    facts,
    managers: opts.managers ?? MANAGERS,
    log,
    ledger,
    closed: false,
    nowSec: () => Math.floor(deps.clock.now() / 1000),
    reject(text) {
      throw new ZosError(text, { nodeMessage: text, node: facts.nodeId });
    },
    views(dl) {
      const typed = decodeDeployment(renderDeployment(dl));
      return dl.workloads.map((w, i) => workloadView({ ...typed.workloads[i], version: w.version }, w.result.state, w.result.data === null ? null : (JSON.parse(w.result.data) as unknown)));
    },
    write(twin, contract, wl, data) {
      storage.transaction(twin, contract, wl);
      ledger.recount(twin, contract, wl, data);
    },
    managerContext(twin, contract, name, workloads) {
      let contractP: Promise<ChainContract | undefined> | undefined;
      return {
        twinId: twin,
        contractId: contract,
        wid: workloadIdOf(twin, contract, name),
        name,
        workloads,
        backends: deps.backends,
        facts,
        chain: deps.chain,
        contract: () => (contractP ??= deps.chain.contract(contract)),
        netId: (n) => netIdOf(twin, n),
        log: log.child({ twin, contract: contract.toString(), workload: name }),
      };
    },
  };
}
