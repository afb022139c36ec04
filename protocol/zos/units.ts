/**
 * Size units (zos-protocol.md §7): every size on the wire is an integer number of bytes; Ki/Mi/Gi/Ti are
 * powers of 1024. `parseSize("10GiB")` is for the edges (CLI, provider inputs); the wire stays bytes.
 * @module
 */
import { InputError } from '../common/errors';
import { GIB, KIB, MIB, TIB } from './types/kind';

export { KIB, MIB, GIB, TIB };

const UNITS: Record<string, bigint> = { '': 1n, b: 1n, kib: KIB, mib: MIB, gib: GIB, tib: TIB, k: KIB, m: MIB, g: GIB, t: TIB };

/**
 * Parses `"10GiB"`, `"512MiB"`, `"1.5GiB"` (whole bytes only), `"1024"` (bytes) or a number/bigint of bytes.
 * Decimal units (`GB`) are refused because ZOS sizes are binary. `field` names the input in the error.
 * @example parseSize('10GiB') // 10737418240n
 */
export function parseSize(input: string | number | bigint, field = 'size'): bigint {
  const bad = (why: string): never => {
    throw new InputError(`${field}: ${JSON.stringify(String(input))} is not a size${why}; use bytes or a binary unit such as "10GiB"`, {
      path: field,
      fix: 'write the size as bytes or with KiB/MiB/GiB/TiB',
    });
  };
  if (typeof input === 'bigint') return input >= 0n ? input : bad(' (negative)');
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? BigInt(input) : bad('');
  const m = /^\s*([0-9]+)(?:\.([0-9]+))?\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) return bad('');
  const unit = UNITS[m[3].toLowerCase()];
  if (unit === undefined) return bad(` (unknown unit "${m[3]}")`);
  const frac = m[2] ?? '';
  const scale = 10n ** BigInt(frac.length);
  const scaled = (BigInt(m[1]) * scale + BigInt(frac || '0')) * unit;
  if (scaled % scale !== 0n) return bad(' (not a whole number of bytes)');
  return scaled / scale;
}

/** The largest exact binary unit: `10737418240n` → `"10GiB"`, `1000n` → `"1000B"`. */
export function formatSize(bytes: bigint | number): string {
  const b = BigInt(bytes);
  for (const [unit, size] of [['TiB', TIB], ['GiB', GIB], ['MiB', MIB], ['KiB', KIB]] as const) {
    if (b !== 0n && b % size === 0n) return `${b / size}${unit}`;
  }
  return `${b}B`;
}
