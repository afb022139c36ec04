/**
 * Size units (zos-protocol.md §7): every size on the wire is an integer number of bytes; Ki/Mi/Gi/Ti are
 * powers of 1024. `parseSize("10GiB")` is for the edges (CLI, provider inputs); the wire stays bytes.
 * @module
 */
import { InputError } from '../common/errors';
import { GIB, KIB, MIB, TIB } from './types/kind';

export { KIB, MIB, GIB, TIB };

/** Binary units only, by their full names: `10GB` (decimal) and `10G` (which one?) are refused, not guessed. */
const UNITS: Record<string, bigint> = { '': 1n, b: 1n, kib: KIB, mib: MIB, gib: GIB, tib: TIB };

/**
 * Parses `"10GiB"`, `"512 MiB"`, `"1.5GiB"` (whole bytes only), `"1024"` (bytes) or a number/bigint of bytes.
 * Decimal units (`GB`) and bare letters (`G`) are refused because ZOS sizes are binary. `field` names the input in
 * the error. The one size parser: the provider's inputs (`provider/inputs.ts`) and the CLI read sizes through it.
 * @example parseSize('10GiB') // 10737418240n
 */
export function parseSize(input: unknown, field = 'size'): bigint {
  const bad = (): never => {
    throw notASize(input, field);
  };
  if (typeof input === 'bigint') return input >= 0n ? input : bad();
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? BigInt(input) : bad();
  if (typeof input !== 'string') return bad();
  const m = /^\s*([0-9]+)(?:\.([0-9]+))?\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) return bad();
  const unit = UNITS[m[3].toLowerCase()];
  if (unit === undefined) return bad();
  const frac = m[2] ?? '';
  const scale = 10n ** BigInt(frac.length);
  const scaled = (BigInt(m[1]) * scale + BigInt(frac || '0')) * unit;
  if (scaled % scale !== 0n) return bad(); // not a whole number of bytes
  return scaled / scale;
}

/** The error for a value that is not a size (or not one the caller can hold), naming `field` and the fix. */
export function notASize(input: unknown, field: string): InputError {
  const shown = typeof input === 'bigint' ? String(input) : JSON.stringify(input);
  return new InputError(`${field}: ${shown} is not a size; use bytes or a binary unit such as "10GiB"`, {
    path: field,
    fix: 'write a whole number of bytes or a number with KiB, MiB, GiB or TiB',
  });
}

/** The largest exact binary unit: `10737418240n` → `"10GiB"`, `1000n` → `"1000B"`. */
export function formatSize(bytes: bigint | number): string {
  const b = BigInt(bytes);
  for (const [unit, size] of [
    ['TiB', TIB],
    ['GiB', GIB],
    ['MiB', MIB],
    ['KiB', KIB],
  ] as const) {
    if (b !== 0n && b % size === 0n) return `${b / size}${unit}`;
  }
  return `${b}B`;
}
