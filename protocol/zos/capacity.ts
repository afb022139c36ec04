/**
 * Capacity of workloads and deployments (zos-protocol.md §1.5 per type, §3.7 contract resources): CRU, SRU,
 * HRU, MRU in bytes for memory and disks, IPV4U. The node reports the sum over ok/paused workloads.
 * @module
 */
import type { Deployment, Workload } from './deployment';
import { capacity, kindOf, type Capacity } from './types';

/** Capacity one workload consumes. */
export function workloadCapacity(w: Pick<Workload, 'type' | 'data'>): Capacity {
  return kindOf(w.type).capacity(w.data);
}

/** Sum of two capacities. */
export function addCapacity(a: Capacity, b: Capacity): Capacity {
  return { cru: a.cru + b.cru, sru: a.sru + b.sru, hru: a.hru + b.hru, mru: a.mru + b.mru, ipv4u: a.ipv4u + b.ipv4u };
}

/**
 * Capacity of a deployment. By default every workload counts (what the contract needs); pass
 * `{ activeOnly: true }` to count only ok/paused workloads, as the node reports usage.
 */
export function deploymentCapacity(d: Pick<Deployment, 'workloads'>, opts: { activeOnly?: boolean } = {}): Capacity {
  let total = capacity();
  for (const w of d.workloads) {
    if (opts.activeOnly && w.result.state !== 'ok' && w.result.state !== 'paused') continue;
    total = addCapacity(total, workloadCapacity(w));
  }
  return total;
}
