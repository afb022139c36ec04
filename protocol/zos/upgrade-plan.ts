/**
 * The node's update planner (zos-protocol.md §3.4 `Deployment.Upgrade`, §3.5 updatable types, §3.6
 * `sortOperations`): pure, shared by the node engine (to apply) and the provider (to predict a diff).
 * @module
 */
import type { Deployment, Workload } from './deployment';
import { ENGINE_TYPE_ORDER, kindOf, type UpdatePrediction, type WorkloadType } from './types';
import { validateDeployment } from './validate';

export type UpgradeOpKind = 'add' | 'update' | 'remove' | 'untouched';

export interface UpgradeOp {
  readonly op: UpgradeOpKind;
  /** The workload from `next` (add, update, untouched; its result carried over) or from `current` (remove). */
  readonly workload: Workload;
  /** For `update`: the stored workload being replaced. */
  readonly previous?: Workload;
  /** For `update`: what the node's manager is expected to do (§3.5). */
  readonly prediction?: UpdatePrediction;
}

/** Suffix the engine appends to every planning error (`<cause>: upgrade validation error`). */
export const UPGRADE_VALIDATION_ERROR = 'upgrade validation error';

export type UpgradePlan =
  | { readonly ok: true; readonly ops: readonly UpgradeOp[] }
  /** `error` is the cause; `nodeMessage` is the full reply text `<cause>: upgrade validation error`. */
  | { readonly ok: false; readonly error: string; readonly nodeMessage: string };

/** Engine position of a type, starting at 1 (removes sort by its negation). */
function typeIndex(type: WorkloadType): number {
  return ENGINE_TYPE_ORDER.indexOf(type) + 1;
}

function refuse(error: string): UpgradePlan {
  return { ok: false, error, nodeMessage: `${error}: ${UPGRADE_VALIDATION_ERROR}` };
}

/**
 * Plans the update of `current` (stored) to `next` (received). Ops come in execution order: removes first
 * in reverse type order, then adds and updates in type order (stable), then untouched workloads.
 * Refusals carry the node's text: `new deployment is invalid: <cause>`, `cannot change deployment or twin id`,
 * `expecting deployment version <n>, got <m>`, `invalid version number for workload '<n>' expected '<v>'`,
 * `cannot change workload type '<n>'`, `workload '<type>' does not support upgrade`.
 * @example const plan = planUpgrade(stored, next); if (!plan.ok) throw new Error(plan.nodeMessage);
 */
export function planUpgrade(current: Deployment, next: Deployment): UpgradePlan {
  const invalid = validateDeployment(next);
  if (invalid) return refuse(`new deployment is invalid: ${invalid}`);
  if (current.twin_id !== next.twin_id || current.contract_id !== next.contract_id) return refuse('cannot change deployment or twin id');
  const expected = current.version + 1;
  if (next.version !== expected) return refuse(`expecting deployment version ${expected}, got ${next.version}`);

  const remaining = new Map(current.workloads.map((w) => [w.name, w] as const));
  const changes: UpgradeOp[] = [];
  const untouched: UpgradeOp[] = [];
  const currentRefs = current.workloads.map((w) => ({ name: w.name, type: w.type, data: w.data, state: w.result.state }));
  for (const wl of next.workloads) {
    const older = remaining.get(wl.name);
    if (!older) {
      if (wl.version !== expected) return refuse(`invalid version number for workload '${wl.name}' expected '${expected}'`);
      changes.push({ op: 'add', workload: wl });
    } else {
      if (older.type !== wl.type) return refuse(`cannot change workload type '${wl.name}'`);
      // The stored result carries over to the new workload.
      const carried = { ...wl, result: older.result } as Workload;
      if (wl.version === expected) {
        const rule = kindOf(wl.type).update;
        const prediction = rule.supported ? rule.predict(older.data, wl.data, { name: wl.name, current: currentRefs }) : undefined;
        changes.push({ op: 'update', workload: carried, previous: older, prediction });
      } else {
        untouched.push({ op: 'untouched', workload: carried });
      }
    }
    remaining.delete(wl.name);
  }
  for (const wl of remaining.values()) changes.push({ op: 'remove', workload: wl });

  for (const op of changes) {
    if (op.op === 'update' && !kindOf(op.workload.type).update.supported) {
      return refuse(`workload '${op.workload.type}' does not support upgrade`);
    }
  }
  const rank = (op: UpgradeOp) => (op.op === 'remove' ? -typeIndex(op.workload.type) : typeIndex(op.workload.type));
  const ordered = changes
    .map((op, i) => ({ op, i }))
    .sort((a, b) => rank(a.op) - rank(b.op) || a.i - b.i)
    .map((x) => x.op);
  return { ok: true, ops: [...ordered, ...untouched] };
}
