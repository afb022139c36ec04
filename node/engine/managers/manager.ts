/**
 * The per-type manager contract (zosbase `provision.Provisioner` / `Updater` / `Pauser`): idempotent
 * provision, deprovision, and optional update / pause / resume. One file per type in this folder; the
 * type→manager table is one literal map in `index.ts`. Facts: zos-protocol.md §3.5, §4, §6.
 * @module
 */
import type { Logger } from '../../../protocol/common/log';
import { ZosError } from '../../../protocol/common/errors';
import type { Backends, ChainContract, EngineChain, NodeFacts } from '../deps';
import type { ResultState } from '../storage';
import type { Workload } from '../../../protocol/zos/deployment';
import type { WorkloadDataOf, WorkloadResultDataOf, WorkloadType } from '../../../protocol/zos/types';

/** A workload of type `T` of the deployment being worked on, with its current state. */
export interface WorkloadViewOf<T extends WorkloadType> {
  name: string;
  type: T;
  version: number;
  /** The data as protocol/zos decoded it at admission (sizes are bigint). */
  data: WorkloadDataOf<T>;
  state: ResultState;
  /** Parsed current result data as stored (JSON, not re-validated), or null. */
  resultData: unknown;
}

/**
 * A workload of the deployment being worked on (for references: mounts, public ip, zlogs); narrow on `type` to
 * read its `data` typed.
 */
export type WorkloadView = { [T in WorkloadType]: WorkloadViewOf<T> }[WorkloadType];

/**
 * The view of a decoded workload (its type and data from protocol/zos, which admitted it) with its state and
 * raw result data. The one cast: TypeScript cannot carry the `type`/`data` correlation of a union through a spread.
 */
export function workloadView(w: Workload, state: ResultState, resultData: unknown): WorkloadView {
  return { name: w.name, type: w.type, version: w.version, data: w.data, state, resultData } as WorkloadView;
}

export interface ManagerContext {
  twinId: number;
  contractId: bigint;
  /** Workload id `<twin>-<contract>-<name>`. */
  wid: string;
  name: string;
  /** Every workload currently in the deployment. */
  workloads: WorkloadView[];
  backends: Backends;
  facts: NodeFacts;
  chain: EngineChain;
  /** The node contract, fetched lazily (ip workloads read its public IPs). */
  contract(): Promise<ChainContract | undefined>;
  /** NetID of a network name of this twin (zos-protocol.md §1.2), the key of the network backend. */
  netId(networkName: string): string;
  log: Logger;
}

/** The `data` a `Manager<T>` receives: its types' decoded data, or `unknown` for the engine's untyped view. */
export type ManagerData<T extends WorkloadType | undefined> = [T] extends [WorkloadType] ? WorkloadDataOf<T> : unknown;

/** The result data a `Manager<T>` returns: its types' result data as protocol/zos declares it (or the null of a type without one). */
export type ManagerResult<T extends WorkloadType | undefined> = [T] extends [WorkloadType] ? WorkloadResultDataOf<T> | null : unknown;

/**
 * The manager of the workload types `T`: every method receives the workload's `data` as protocol/zos decodes it
 * (`WorkloadDataOf<T>`: the zod schema in `protocol/zos/types/<type>.ts`, sizes bigint), so a field added to a
 * type's schema reaches its manager typed, and a field it drops fails the build where the manager reads it.
 * `Manager` without `T` is the engine's view, called by type string with the data not typed yet: the table
 * (`index.ts`) makes one of each `Manager<T>` with `typedDispatch`, which decodes the data with `T`'s schema first.
 * Methods are function-typed properties, so a `Manager<'zmount'>` is not a `Manager` without that wrapper.
 */
export interface Manager<T extends WorkloadType | undefined = undefined> {
  /** Brings the workload up (or finds it up) and returns its result data (§4), JSON-serialisable. */
  provision: (ctx: ManagerContext, data: ManagerData<T>) => Promise<ManagerResult<T>>;
  /** Removes everything the workload owns; idempotent. */
  deprovision: (ctx: ManagerContext, data: ManagerData<T>) => Promise<void>;
  /** In-place update (§3.5). Throw `unchanged(...)` to keep the old workload running. */
  update?: (ctx: ManagerContext, data: ManagerData<T>, previous: ManagerData<T>) => Promise<ManagerResult<T>>;
  pause?: (ctx: ManagerContext, data: ManagerData<T>) => Promise<void>;
  resume?: (ctx: ManagerContext, data: ManagerData<T>) => Promise<void>;
  /**
   * Liveness of an `ok` workload (zosbase vm monitor): how what runs it died on its own, undefined while it is
   * healthy (or paused). The engine polls it between jobs.
   */
  health?: (ctx: ManagerContext, data: ManagerData<T>) => Promise<WorkloadFailure | undefined>;
  /**
   * Starts a workload that `health` found dead (and `restartable`) again with the same resources (zosbase vm monitor:
   * the machine is run again from its kept config). The engine bounds how often (EngineOptions.restart).
   */
  restart?: (ctx: ManagerContext, data: ManagerData<T>) => Promise<void>;
}

/** Every key of each member of `D` (`keyof` of a union keeps only the common ones). */
type KeysOf<D> = D extends unknown ? keyof D : never;

/**
 * What a manager does with each field of its types' data, one line per field: a map that `satisfies` this names
 * every field, so a field added to the protocol's schema fails the build in the manager until it says (and does)
 * what the node does with it; a field the schema drops fails it too.
 */
export type FieldHandling<D> = { readonly [K in KeysOf<D>]: string };

/** A manager as the engine calls it (same as `Manager` without a type). */
export type WorkloadManager = Manager;

/** What `Manager.health` reports for a workload that died on its own. */
export interface WorkloadFailure {
  /** The result message the workload is failed with, e.g. `vm is not running: machine exited with code 1`. */
  message: string;
  /** This failure alone, for the list in the give-up message, e.g. `machine exited with code 1`. */
  reason: string;
  /** True when starting it again may help (an exit); false when it would fail the same way (an OOM kill). */
  restartable: boolean;
  /**
   * The last lines the workload printed (a machine's console, one line, ` | ` between lines), where the cause of a
   * death usually is; the engine ends the final error message with it. Empty or absent: nothing printed.
   */
  console?: string;
}

/** An update the node refused; the workload keeps running with its old config (zosbase `provision.UnChanged`). */
export function unchanged(text: string): ZosError {
  return new ZosError(text, { nodeMessage: text, unchanged: true });
}

export function isUnchangedError(err: unknown): boolean {
  return err instanceof ZosError && err.context.unchanged === true;
}

/** An update with nothing to do (zosbase `ErrNoActionNeeded`): the current result is kept. */
export class NoActionNeeded extends Error {
  constructor() {
    super('no action needed');
    this.name = 'NoActionNeeded';
  }
}
