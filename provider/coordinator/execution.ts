/**
 * One plan while it runs, and what running needs. The executor (`execute.ts`), the waits (`wait.ts`) and the
 * failure texts (`failures.ts`) share these types; the planner's `Plan` stays pure data.
 * @module
 */
import type { CoordinatorDeps, NodeApi } from '../deps';
import type { DeploymentStore } from './deployments';
import type { Pending, Plan } from './plan';
import type { CoordinatorStats } from './types';

/** A plan on its way: the node it goes to and what happened to it so far. */
export interface Execution extends Plan {
  api: NodeApi;
  /** The chain transaction of this plan failed (with this error): nothing was sent to the node. */
  failed?: unknown;
  /** The chain effects of this plan were undone after a failure (contract cancelled, hash restored, extras cancelled). */
  rolledBack?: boolean;
  /** Requests gave up waiting (their timeouts): re-read the deployment from the node next time. */
  stale?: boolean;
}

/** Everything the executor uses, passed in by `createCoordinator`. */
export interface ExecContext {
  deps: CoordinatorDeps;
  stats: CoordinatorStats;
  store: DeploymentStore;
  /** Poll period while waiting for workload states (ms). */
  pollMs: number;
  /** A request's wait limit when it gives none (ms). */
  deployTimeoutMs: number;
  /** Queues requests again after a version conflict (rejecting those out of retries) and schedules a flush. */
  retry(items: Pending[], err: unknown): void;
}

/** How long `item` waits for the node (its resource's timeout, else the default). */
export function limitOf(ctx: Pick<ExecContext, 'deployTimeoutMs'>, item: Pending | undefined): number {
  return item?.req.timeoutMs ?? ctx.deployTimeoutMs;
}
