/**
 * Capacity as the node reports it: the five counters ZOS reports (`cru`, `sru`, `hru`, `mru`, `ipv4u`,
 * bytes for sizes), typed and summed by protocol/zos, written here as JSON with exact integers.
 * Facts: zos-protocol.md §5.2 `zos.statistics.get`, §6.1.
 * @module
 */
import type { Capacity } from '../../protocol/zos';

export type { Capacity };

const KEYS = ['cru', 'sru', 'hru', 'mru', 'ipv4u'] as const;

/** JSON text of a Capacity with exact integers: `{"cru":1,"sru":...}`. */
export function capJson(c: Capacity): string {
  return `{${KEYS.map((k) => `"${k}":${c[k].toString()}`).join(',')}}`;
}
