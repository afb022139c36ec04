/**
 * The coordinator's public types: what a resource asks for (`ApplyRequest`), what it gets back (`ApplyResult`,
 * `ReadResult`), the options and counters, and the `Coordinator` interface itself. `provider/deployment-coordinator.ts`
 * re-exports them, so resources import from there.
 * @module
 */
import type { ContractOp, DeploymentJson, WorkloadJson } from '../deps';

/** What a resource wants in a deployment: the workload without version/result. */
export interface WorkloadSpec {
  name: string;
  type: string;
  data: Record<string, unknown>;
  metadata?: string;
  description?: string;
}

export type WorkloadOp =
  /** Add the workload, or update it when its data changed (its version is bumped only then). */
  | { kind: 'upsert'; workload: WorkloadSpec; publicIps?: number }
  /** Remove the workload; the last one cancels the contract. */
  | { kind: 'remove'; name: string };

export interface ApplyRequest {
  node: number;
  group: string;
  op: WorkloadOp;
  /** The contract recorded in Pulumi state, when known (a fresh process re-reads it from the node). */
  contractId?: number;
  /** Extra contract operations for the same chain transaction (name contracts of gateways). */
  extraChainOps?: ContractOp[];
  /** Label for messages, e.g. `ZMachine "web"`. */
  label?: string;
  /** How long this request waits for the node (the resource's `timeout` for the op); default `deployTimeoutMs`. */
  timeoutMs?: number;
  /** Where `timeoutMs` comes from, for the expiry message (`timeout.create`, `tfgrid:deployTimeout`). */
  timeoutSource?: string;
  /** What the node does before the workload is ok, for progress lines (`flist <url> to download and the machine to start`). */
  waitingFor?: string;
  /**
   * A new resource's workload: refused when its name is already in the deployment or another create of the same
   * run asks for it (ZOS refuses duplicate workload names in a deployment; an upsert would merge the two).
   */
  create?: boolean;
}

export interface ApplyResult {
  twinId: number;
  node: number;
  group: string;
  /** 0 when the deployment was cancelled (its last workload removed). */
  contractId: number;
  version: number;
  /** The workload as the node reports it (with `result`), for upserts. */
  workload?: WorkloadJson;
  /** Contract ids for `extraChainOps`, in order. */
  extraContractIds: number[];
}

export interface ReadResult {
  status: 'ok' | 'error' | 'paused' | 'init' | 'gone' | 'unreachable';
  contractId: number;
  version?: number;
  workload?: WorkloadJson;
  message?: string;
}

export interface CoordinatorOptions {
  /** How long requests are collected before one flush (ms); 0 sends each request alone (no coalescing). */
  coalesceMs?: number;
  /** Collection window when a request may create a new deployment (ms; default max(coalesceMs, 1000)). */
  newGroupMs?: number;
  /** Poll period while waiting for workload states (ms). */
  pollMs?: number;
  /** Time allowed for workloads to reach a final state (ms). */
  deployTimeoutMs?: number;
  /** Retries after a version conflict. */
  conflictRetries?: number;
}

/** Counters for tests and the benchmark. */
export interface CoordinatorStats {
  flushes: number;
  chainTransactions: number;
  chainOps: number;
  deploys: number;
  updates: number;
  cancels: number;
  nodeCalls: number;
}

export interface Coordinator {
  apply(req: ApplyRequest): Promise<ApplyResult>;
  read(node: number, group: string, contractId: number, name: string): Promise<ReadResult>;
  /** The node's current deployment for a group (from cache or node), undefined when none. */
  current(node: number, group: string, contractId?: number): Promise<DeploymentJson | undefined>;
  readonly stats: CoordinatorStats;
  close(): void;
}
