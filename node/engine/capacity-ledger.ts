/**
 * The capacity ledger: what each `ok` or `paused` workload holds, by workload id, in memory (rebuilt from storage
 * at boot). It answers the memory check before a provision (§6.1), the `used` of `statistics.get` (§5.2) and a
 * contract's usage for the chain's resource report (§3.7). Kept apart so those three read one set of counters.
 * @module
 */
import { addCapacity, capacity } from '../../protocol/zos';
import type { Capacity } from './capacity';
import type { NodeFacts } from './deps';
import { ENGINE_ERRORS } from './engine-errors';
import type { StoredWorkload } from './storage';
import { workloadCapacity, workloadIdOf } from './wire';

export interface CapacityLedger {
  /** Follows a written result: `ok`/`paused` count, `unchanged` keeps the old count, anything else frees it. */
  recount(twin: number, contract: bigint, wl: StoredWorkload, data: unknown): void;
  /** Frees the named workloads of a deleted deployment. */
  forget(twin: number, contract: bigint, names: string[]): void;
  /** Sum over every counted workload except `exclude` (a workload id). */
  used(exclude?: string): Capacity;
  /** Sum over the named workloads of one contract. */
  usedBy(twin: number, contract: bigint, names: string[]): Capacity;
  /** The §6.1 memory check for a workload about to be provisioned: the node's text, or undefined when it fits. */
  memoryCheck(wid: string, need: bigint): string | undefined;
}

/** `actualMemoryUsed`: memory used on the host; the sim has none, so only reservations count. */
export function createCapacityLedger(facts: NodeFacts, actualMemoryUsed?: () => bigint): CapacityLedger {
  const counted = new Map<string, Capacity>();
  const used = (exclude?: string): Capacity => {
    let sum = capacity();
    for (const [wid, c] of counted) if (wid !== exclude) sum = addCapacity(sum, c);
    return sum;
  };
  return {
    recount(twin, contract, wl, data) {
      const wid = workloadIdOf(twin, contract, wl.name);
      if (wl.result.state === 'ok' || wl.result.state === 'paused') counted.set(wid, workloadCapacity(wl.type, data));
      else if (wl.result.state !== 'unchanged') counted.delete(wid);
    },
    forget(twin, contract, names) {
      for (const name of names) counted.delete(workloadIdOf(twin, contract, name));
    },
    used,
    usedBy(twin, contract, names) {
      let sum = capacity();
      for (const name of names) {
        const c = counted.get(workloadIdOf(twin, contract, name));
        if (c) sum = addCapacity(sum, c);
      }
      return sum;
    },
    memoryCheck(wid, need) {
      if (need === 0n) return undefined;
      const inUse = used(wid).mru + facts.reserved.mru;
      const actual = actualMemoryUsed?.() ?? 0n;
      const usable = facts.total.mru - (inUse > actual ? inUse : actual);
      if (need > usable) return ENGINE_ERRORS.memory(need, usable < 0n ? 0n : usable);
      return undefined;
    },
  };
}
