/**
 * JSON as the node's Go `encoding/json` reads it (zos-protocol.md §0.1), expressed as zod schemas:
 * integers stay exact (lossless-json numbers in, `bigint` for 64-bit fields), keys match case-insensitively
 * (exact match first), unknown keys are ignored, `null` and missing fields take Go zero values, IPs and CIDRs
 * are parsed and printed the Go way, hex byte fields are decoded and kept as lowercase hex.
 * Issues carry Go's error pieces so callers can rebuild the node's decode error text (`goDecodeMessage`).
 * @module
 */
import { isLosslessNumber, parse as losslessParse, stringify as losslessStringify, type LosslessNumber } from 'lossless-json';
import { z } from 'zod';
import { canonicalCIDR, canonicalIP } from './go-net';

/** Extra data on a zod issue raised by these schemas. */
export interface GoIssueParams {
  /** Set for an UnmarshalTypeError: the JSON value kind as Go names it (`string`, `number 1.5`, `object`, …). */
  goValue?: string;
  /** The Go type that refused the value, e.g. `gridtypes.Unit`. */
  goType?: string;
  /** The innermost Go struct being decoded when the error happened. */
  goStruct?: string;
  /** A text error returned verbatim by a Go `UnmarshalText`/`UnmarshalJSON` (IP, CIDR, hex, timestamp). */
  goText?: string;
}

/** Parses JSON text keeping every number exact (lossless-json numbers). Throws `SyntaxError`-like errors. */
export function parseJsonLossless(text: string): unknown {
  return losslessParse(text);
}

/** Serialises a value (with bigints and lossless numbers) to compact JSON. */
export function stringifyJson(value: unknown, space?: number): string {
  const out = losslessStringify(value, undefined, space);
  if (out === undefined) throw new TypeError('value cannot be serialised to JSON');
  return out;
}

/** The JSON kind name Go prints in `cannot unmarshal <kind>`. */
function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint' || isLosslessNumber(v)) return 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function typeIssue(ctx: z.RefinementCtx, value: unknown, goType: string, goValue = jsonKind(value)): typeof z.NEVER {
  const params: GoIssueParams = { goValue, goType };
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `cannot unmarshal ${goValue} into a Go value of type ${goType}`, params });
  return z.NEVER;
}

function textIssue(ctx: z.RefinementCtx, text: string): typeof z.NEVER {
  const params: GoIssueParams = { goText: text };
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: text, params });
  return z.NEVER;
}

/** Literal text of a JSON number, or undefined when `v` is not a number. */
function numberText(v: unknown): string | undefined {
  if (isLosslessNumber(v)) return (v as LosslessNumber).value;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  return undefined;
}

const isAbsent = (v: unknown): boolean => v === undefined || v === null;

/** Go unsigned integer of `bits` bits as a bigint (uint64 sizes exceed 2^53). `null`/missing → 0n. */
export function goUint64(goType = 'uint64', bits = 64) {
  const max = (1n << BigInt(bits)) - 1n;
  return z.unknown().transform((v, ctx): bigint => {
    if (isAbsent(v)) return 0n;
    const text = numberText(v);
    if (text === undefined) return typeIssue(ctx, v, goType);
    if (!/^(0|[1-9][0-9]*)$/.test(text)) return typeIssue(ctx, v, goType, `number ${text}`);
    const n = BigInt(text);
    if (n > max) return typeIssue(ctx, v, goType, `number ${text}`);
    return n;
  });
}

/** Go unsigned integer up to 32 bits as a JS number. `null`/missing → 0. */
export function goUint(bits: 8 | 16 | 32, goType = `uint${bits}`) {
  return goUint64(goType, bits).transform((n) => Number(n));
}

/** Go `int64` as a JS number (timestamps); must be a safe integer. */
export function goInt53(goType = 'int64') {
  return z.unknown().transform((v, ctx): number => {
    if (isAbsent(v)) return 0;
    const text = numberText(v);
    if (text === undefined) return typeIssue(ctx, v, goType);
    if (!/^-?(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text))) return typeIssue(ctx, v, goType, `number ${text}`);
    return Number(text);
  });
}

// RFC 3339 as Go's time.Time UnmarshalJSON accepts it.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** gridtypes.Timestamp: a JSON integer (unix seconds) or an RFC 3339 string, as unix seconds. */
export function goTimestamp() {
  const message = 'unknown timestamp format, expecting a timestamp or an ISO-8601 date';
  return z.unknown().transform((v, ctx): number => {
    if (isAbsent(v)) return 0;
    const text = numberText(v);
    if (text !== undefined) {
      if (/^-?(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
      return textIssue(ctx, message);
    }
    if (typeof v === 'string') {
      const m = RFC3339.exec(v);
      if (m) {
        const [, y, mo, d, h, mi, s, , zone] = m;
        let secs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
        if (zone !== 'Z' && zone !== 'z') {
          const sign = zone[0] === '-' ? -1 : 1;
          secs -= sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
        }
        if (Number.isFinite(secs)) return secs;
      }
    }
    return textIssue(ctx, message);
  });
}

/** Go string (also gridtypes.Name and other string types). `null`/missing → `''`. */
export function goString(goType = 'string') {
  return z.unknown().transform((v, ctx): string => {
    if (isAbsent(v)) return '';
    if (typeof v !== 'string') return typeIssue(ctx, v, goType);
    return v;
  });
}

/** Go bool. `null`/missing → false. */
export function goBool() {
  return z.unknown().transform((v, ctx): boolean => {
    if (isAbsent(v)) return false;
    if (typeof v !== 'boolean') return typeIssue(ctx, v, 'bool');
    return v;
  });
}

/** `net.IP` kept as its canonical Go text (`''` for a nil IP). */
export function goIP() {
  return z.unknown().transform((v, ctx): string => {
    if (isAbsent(v)) return '';
    if (typeof v !== 'string') return typeIssue(ctx, v, 'net.IP');
    try {
      return canonicalIP(v);
    } catch (err) {
      return textIssue(ctx, (err as Error).message);
    }
  });
}

/** gridtypes.IPNet kept as its canonical Go text, host bits kept (`''` for an empty network, hashed as `<nil>`). */
export function goIPNet() {
  return z.unknown().transform((v, ctx): string => {
    if (isAbsent(v)) return '';
    if (typeof v !== 'string') return typeIssue(ctx, v, 'gridtypes.IPNet');
    try {
      return canonicalCIDR(v);
    } catch (err) {
      return textIssue(ctx, (err as Error).message);
    }
  });
}

/** Go `hex.DecodeString` error text for `s`, or undefined when it is valid hex. */
export function goHexError(s: string): string | undefined {
  // Go walks the bytes (UTF-8) and reports the first non-hex byte before it reports an odd length.
  const bytes = new TextEncoder().encode(s);
  for (const b of bytes) {
    const isHex = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
    if (!isHex) {
      const code = `U+${b.toString(16).toUpperCase().padStart(4, '0')}`;
      // %#U adds the quoted character when it is printable.
      const printable = (b >= 0x20 && b < 0x7f) || b >= 0xa1;
      return `encoding/hex: invalid byte: ${printable ? `${code} '${String.fromCharCode(b)}'` : code}`;
    }
  }
  if (bytes.length % 2 === 1) return 'encoding/hex: odd length hex string';
  return undefined;
}

/** Hex byte field (`zos.Bytes`, `EncryptionKey`): decoded like Go and kept as lowercase hex. */
export function goHexBytes(goType = 'zos.Bytes') {
  return z.unknown().transform((v, ctx): string => {
    if (isAbsent(v)) return '';
    if (typeof v !== 'string') return typeIssue(ctx, v, goType);
    const err = goHexError(v);
    if (err) return textIssue(ctx, err);
    return v.toLowerCase();
  });
}

/** Go slice: `null`/missing → `[]` (a nil slice hashes and counts like an empty one). */
export function goSlice<T extends z.ZodTypeAny>(item: T, goType = '[]') {
  return z.unknown().transform((v, ctx): z.output<T>[] => {
    if (isAbsent(v)) return [];
    if (!Array.isArray(v)) return typeIssue(ctx, v, goType);
    const out: z.output<T>[] = [];
    let failed = false;
    v.forEach((el, i) => {
      const r = item.safeParse(el);
      if (r.success) out.push(r.data);
      else {
        failed = true;
        for (const issue of r.error.issues) ctx.addIssue({ ...(issue as z.IssueData), path: [i, ...issue.path] });
      }
    });
    return failed ? z.NEVER : out;
  });
}

/** Go `map[string]string`: `null`/missing → `{}`. Keys keep their input order; the challenge sorts them. */
export function goStringMap(goType = 'map[string]string') {
  return z.unknown().transform((v, ctx): Record<string, string> => {
    if (isAbsent(v)) return {};
    if (typeof v !== 'object' || Array.isArray(v) || isLosslessNumber(v)) return typeIssue(ctx, v, goType);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val !== 'string') {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `cannot unmarshal ${jsonKind(val)} into a Go value of type string`,
          params: { goValue: jsonKind(val), goType: 'string' } satisfies GoIssueParams,
          path: [k],
        });
        return z.NEVER;
      }
      out[k] = val;
    }
    return out;
  });
}

/**
 * Maps input keys onto declared field names the way Go does: an exact match first, then a case-insensitive
 * one; keys that match nothing are dropped; a later duplicate overwrites an earlier one.
 */
export function foldKeys(input: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lower = new Map(fields.map((f) => [f.toLowerCase(), f] as const));
  for (const [k, v] of Object.entries(input)) {
    const field = fields.includes(k) ? k : lower.get(k.toLowerCase());
    if (field !== undefined) out[field] = v;
  }
  return out;
}

/** A Go struct: an object schema read with Go's key folding; `null`/missing → all zero values. */
export function goStruct<S extends z.ZodRawShape>(goName: string, shape: S) {
  const inner = z.object(shape);
  const fields = Object.keys(shape);
  return z.unknown().transform((v, ctx): z.output<typeof inner> => {
    const obj = isAbsent(v) ? {} : v;
    if (typeof obj !== 'object' || Array.isArray(obj) || isLosslessNumber(obj)) return typeIssue(ctx, v, goName);
    const r = inner.safeParse(foldKeys(obj as Record<string, unknown>, fields));
    if (r.success) return r.data;
    for (const issue of r.error.issues) {
      const params = { ...((issue as { params?: GoIssueParams }).params ?? {}) };
      if (params.goValue !== undefined && params.goStruct === undefined) params.goStruct = goName.replace(/^\*?[a-z]+\./, '');
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: issue.message, params, path: issue.path });
    }
    return z.NEVER;
  });
}

/** A Go pointer to a struct: `null`/missing → undefined (absent, not hashed); present → decoded struct. */
export function goOptionalStruct<S extends z.ZodRawShape>(goName: string, shape: S) {
  const struct = goStruct(goName, shape);
  return z.unknown().transform((v, ctx): z.output<typeof struct> | undefined => {
    if (isAbsent(v)) return undefined;
    const r = struct.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ ...(issue as z.IssueData), path: issue.path });
    return z.NEVER;
  });
}

/** A Go `*string`: `null`/missing → undefined; present → the string. */
export function goOptionalString(goType = 'string') {
  const s = goString(goType);
  return z.unknown().transform((v, ctx): string | undefined => {
    if (isAbsent(v)) return undefined;
    const r = s.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ ...(issue as z.IssueData), path: issue.path });
    return z.NEVER;
  });
}

/**
 * The text Go's decoder gives for the first issue: a verbatim text error, or
 * `json: cannot unmarshal <kind> into Go struct field <Struct>.<a.b.c> of type <T>` (array indices dropped).
 */
export function goDecodeMessage(issue: z.ZodIssue, fieldPath: readonly (string | number)[]): string {
  const params = (issue as { params?: GoIssueParams }).params ?? {};
  if (params.goText !== undefined) return params.goText;
  if (params.goValue !== undefined && params.goType !== undefined) {
    const field = fieldPath.filter((p): p is string => typeof p === 'string').join('.');
    if (params.goStruct && field) {
      return `json: cannot unmarshal ${params.goValue} into Go struct field ${params.goStruct}.${field} of type ${params.goType}`;
    }
    return `json: cannot unmarshal ${params.goValue} into Go value of type ${params.goType}`;
  }
  return issue.message;
}

/** `a.b[0].c` for a zod path. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
