/**
 * Capacity arithmetic for the node: the five counters ZOS reports (`cru`, `sru`, `hru`, `mru`, `ipv4u`,
 * bytes for sizes) and conversions from whatever protocol/zos returns. Facts: zos-protocol.md §5.2
 * `zos.statistics.get`, §6.1.
 * @module
 */
export interface Capacity {
  cru: bigint;
  sru: bigint;
  hru: bigint;
  mru: bigint;
  ipv4u: bigint;
}

export const ZERO_CAP: Capacity = { cru: 0n, sru: 0n, hru: 0n, mru: 0n, ipv4u: 0n };
const KEYS = ['cru', 'sru', 'hru', 'mru', 'ipv4u'] as const;

const toBig = (v: unknown): bigint =>
  typeof v === 'bigint' ? v : typeof v === 'number' && Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;

/** A full Capacity from a partial one with number or bigint fields (missing = 0). */
export function capOf(partial: unknown): Capacity {
  const o = (typeof partial === 'object' && partial !== null ? partial : {}) as Record<string, unknown>;
  return { cru: toBig(o.cru), sru: toBig(o.sru), hru: toBig(o.hru), mru: toBig(o.mru), ipv4u: toBig(o.ipv4u) };
}

export function addCap(a: Capacity, b: Capacity): Capacity {
  const out = { ...ZERO_CAP };
  for (const k of KEYS) out[k] = a[k] + b[k];
  return out;
}

export function subCap(a: Capacity, b: Capacity): Capacity {
  const out = { ...ZERO_CAP };
  for (const k of KEYS) out[k] = a[k] - b[k];
  return out;
}

/** JSON text of a Capacity with exact integers: `{"cru":1,"sru":...}`. */
export function capJson(c: Capacity): string {
  return `{${KEYS.map((k) => `"${k}":${c[k].toString()}`).join(',')}}`;
}
