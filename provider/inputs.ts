/**
 * Shared input rules for every resource (zos-protocol.md §1.2 names, §7 units): sizes as bytes or binary units
 * ("10GiB"), workload names, node ids, the preview "unknown" sentinel, and turning zod issues into Pulumi
 * check failures that name the field and the fix (style.md §4).
 * @module
 */
import { z } from 'zod';
import { formatSize, notASize, parseSize as parseSizeBytes } from '../protocol/zos/units';
import { MAX_NAME_LENGTH, NAME_CHARS } from '../protocol/zos/validate';

/** What the engine sends for a value not known yet during preview (`@pulumi/pulumi/runtime/rpc.js`). */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

/**
 * A size given as a number of bytes or a string with a binary unit (`"10GiB"`, `"512 MiB"`, `"1073741824"`), in
 * bytes as a JS number; the rule and its error text are protocol/zos's `parseSize` (decimal units like "10GB" are
 * refused on purpose: ZOS counts in powers of 1024). Throws InputError naming `field`, also for sizes past 2^53.
 */
export function parseSize(value: unknown, field: string): number {
  const bytes = parseSizeBytes(value, field);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw notASize(value, field);
  return Number(bytes);
}

export { formatSize };

/** A size input: bytes or "10GiB"; kept as given in inputs and parsed where used. */
export const sizeSchema = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  try {
    parseSize(v, 'size');
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a size; use bytes or a binary unit such as "10GiB"` });
  }
});

/** True when `v` is a size without a unit (a number, or a string of digits): ZOS reads it as bytes. */
function isBareNumber(v: unknown): boolean {
  return typeof v === 'number' || (typeof v === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(v));
}

/**
 * A size input of at least `min` bytes (`min` 1: more than zero). The message names the ZOS rule and, for a bare
 * number, says that it counts bytes (`memory: "256"` is 256 bytes, not 256 MiB).
 */
export function sizeAtLeast(min: number | bigint, zosRule: string): z.ZodType<number | string, z.ZodTypeDef, unknown> {
  return sizeSchema.superRefine((v, ctx) => {
    let bytes: number;
    try {
      bytes = parseSize(v, 'size');
    } catch {
      return; // sizeSchema said so already
    }
    if (bytes >= min) return;
    const bare = isBareNumber(v) && bytes > 0 ? `; a number without a unit counts bytes: write "${String(v).trim()}MiB" or "${String(v).trim()}GiB"` : '';
    const at = min <= 1 ? 'must be more than 0' : `must be at least ${formatSize(min)}`;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} ${at} (ZOS: ${zosRule})${bare}` });
  }) as unknown as z.ZodType<number | string, z.ZodTypeDef, unknown>;
}

/** Workload names (gridtypes/id.go, protocol/zos/validate.ts): `^[a-zA-Z0-9_]+$`, 1..36 characters, not `ygg`. */
export const workloadNameSchema = z
  .string()
  .min(1, 'name cannot be empty')
  .max(MAX_NAME_LENGTH, `name cannot exceed ${MAX_NAME_LENGTH} characters (ZOS limit)`)
  .regex(NAME_CHARS, 'only letters, digits and _ are allowed in ZOS workload names (no "-")')
  .refine((n) => n !== 'ygg', "'ygg' is a reserved name");

/** Turns a Pulumi resource name into a valid workload name: `web-1` → `web_1`, cut to 36 characters. */
export function toWorkloadName(resourceName: string): string {
  const n = resourceName.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, MAX_NAME_LENGTH);
  return n === '' || n === 'ygg' ? `w_${n}` : n;
}

export const nodeIdSchema = z.number().int().positive('a node id is a positive integer');

/** Deployment group names end up in deployment metadata; keep them short and printable. */
export const groupSchema = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'a deployment group is 1..64 of [a-zA-Z0-9_.-]');

export interface CheckFailure {
  property: string;
  reason: string;
}

/** True when `v` is, or contains, the preview unknown sentinel. */
export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === 'object') return Object.values(v as Record<string, unknown>).some(containsUnknown);
  return false;
}

function valueAt(obj: unknown, path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** `mounts[0].mountpoint` from a zod path. */
export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/**
 * Validates raw inputs; issues on values that are unknown at preview are dropped (they are checked on `up`).
 * Returns the parsed value (when fully valid) and check failures `{property, reason}`.
 */
export function validateInputs<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: unknown, typeName: string, resourceName: string): { value?: T; failures: CheckFailure[] } {
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data, failures: [] };
  const failures: CheckFailure[] = [];
  for (const issue of r.error.issues) {
    if (containsUnknown(valueAt(raw, issue.path))) continue;
    const property = formatPath(issue.path) || '(inputs)';
    let reason = issue.message;
    if (issue.code === 'invalid_type' && issue.received === 'undefined') reason = `is required (expected ${issue.expected})`;
    failures.push({ property, reason: `${typeName} "${resourceName}": ${property} ${reason}` });
  }
  return { failures };
}

/**
 * The `checkTransition` of a size that grows in place and never shrinks (ZMount, Volume): a smaller size is refused
 * at check with ZOS's reason and the way out, instead of failing on the node. `noun` names the thing in the fix.
 */
export function refuseShrink(noun: string, zosText: string) {
  return (olds: { size: number | string }, news: { size: number | string }, resource: string): CheckFailure[] => {
    const before = parseSize(olds.size, 'size');
    const after = parseSize(news.size, 'size');
    if (after >= before) return [];
    return [
      {
        property: 'size',
        reason: `${resource}: size cannot shrink from ${formatSize(before)} to ${formatSize(after)} (ZOS: ${zosText}); keep ${formatSize(before)} or more, or give the ${noun} a new name to replace it`,
      },
    ];
  };
}
