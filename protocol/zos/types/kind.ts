/**
 * The contract every workload type implements (docs/style.md §2; zos-protocol.md §1.5, §2.4, §3.5): the zod
 * schema of its `data` and result, its challenge stream, the node's synchronous validation, its capacity and
 * its update rule. `types/index.ts` lists all of them in one `WORKLOAD_KINDS` map checked with `satisfies`.
 * @module
 */
import type { z } from 'zod';
import type { ChallengeWriter } from '../challenge-writer';

/** Resource units of a workload or deployment (gridtypes.Capacity). Sizes are bytes. */
export interface Capacity {
  cru: bigint;
  sru: bigint;
  hru: bigint;
  mru: bigint;
  ipv4u: bigint;
}

/** A capacity with every unit zero, overridden by `c`. */
export function capacity(c: Partial<Capacity> = {}): Capacity {
  return { cru: 0n, sru: 0n, hru: 0n, mru: 0n, ipv4u: 0n, ...c };
}

/** Another workload of the same deployment, as a validator sees it (data already decoded). */
export interface WorkloadRef {
  readonly name: string;
  readonly type: string;
  readonly data: unknown;
  /** Current result state on the node, when known (`''` before the node saw it). */
  readonly state?: string;
}

/** Lookup into the deployment under validation (gridtypes.WorkloadGetter). */
export interface WorkloadGetter {
  /** Go `Deployment.Get`: undefined when the name is invalid or absent. */
  get(name: string): WorkloadRef | undefined;
  byType(type: string): readonly WorkloadRef[];
}

/** What the node is expected to do with an in-place update of one workload (zos-protocol.md §3.5). */
export type UpdatePrediction =
  | { readonly outcome: 'apply' }
  /** Nothing to do; the current result stays. */
  | { readonly outcome: 'noop' }
  /** The node refuses; `unchanged` keeps the old workload running, `error` marks it failed. */
  | { readonly outcome: 'unchanged' | 'error'; readonly message: string };

/** The current deployment's workloads, for update rules that look at neighbours (a mounted disk). */
export interface UpdateContext {
  /** Name of the workload being updated. */
  readonly name: string;
  /** The workloads of the stored deployment, with their result states. */
  readonly current: readonly WorkloadRef[];
}

export type UpdateRule<D> = { readonly supported: false } | { readonly supported: true; predict(old: D, next: D, ctx: UpdateContext): UpdatePrediction };

/** One workload type. `D` is the decoded data, `R` the decoded result data. */
export interface WorkloadKind<D, R> {
  /** The wire type string. */
  readonly type: string;
  /** Go type name used in the node's decode errors, e.g. `*zos.ZMount`. */
  readonly goType: string;
  /** Sharable across deployments of one twin (network names are unique per twin per node). */
  readonly sharable: boolean;
  readonly data: z.ZodType<D, z.ZodTypeDef, unknown>;
  readonly result: z.ZodType<R, z.ZodTypeDef, unknown>;
  /** Writes the data part of the challenge (§2.4). */
  challenge(data: D, w: ChallengeWriter): void;
  /** The node's synchronous `Valid`: its exact error text, or undefined when valid. */
  validate(data: D, deployment: WorkloadGetter): string | undefined;
  capacity(data: D): Capacity;
  readonly update: UpdateRule<D>;
}

/** Update rule of a type the node cannot update in place. */
export const NOT_UPDATABLE = { supported: false } as const;

/** Update rule of a type the node re-applies wholesale (network, qsfs). */
export const UPSERT: UpdateRule<unknown> = { supported: true, predict: () => ({ outcome: 'apply' }) };

/** Binary size units (gridtypes/common.go). */
export const KIB = 1024n;
export const MIB = 1024n * KIB;
export const GIB = 1024n * MIB;
export const TIB = 1024n * GIB;

/** Any kind, for the `satisfies` check of `WORKLOAD_KINDS` only (data types differ per kind). */
// biome-ignore lint/suspicious/noExplicitAny: the data type differs per kind; only the satisfies check uses this
export type AnyWorkloadKind = WorkloadKind<any, unknown>;
