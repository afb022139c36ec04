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

/**
 * True when every number token outside strings is a plain non-negative integer of at most 15 digits, so
 * `JSON.parse` reads it exactly and Go would accept it as an unsigned integer as written.
 */
function hasOnlySmallUints(text: string): boolean {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (c === 0x2d) return false;
      let j = i;
      while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
      const next = text.charCodeAt(j);
      if (j - i > 15 || next === 0x2e || next === 0x65 || next === 0x45) return false; // long, fraction, exponent
      if (text.charCodeAt(i) === 0x30 && j - i > 1) return false; // leading zero: let the strict parser refuse it
      i = j - 1;
    }
  }
  return true;
}

/**
 * Parses JSON keeping every number exact, fast: `JSON.parse` when all numbers are small plain unsigned
 * integers (JS numbers are then exact), lossless-json numbers otherwise. Duplicate keys: the last wins, as in Go.
 */
export function parseJsonExact(text: string): unknown {
  if (hasOnlySmallUints(text)) return JSON.parse(text);
  return losslessParse(text);
}

/** Decodes `v` with a schema built here, taking the fast path when it succeeds. */
export function goParse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, v: unknown): z.SafeParseReturnType<unknown, T> {
  const fast = fastOf(schema);
  if (fast) {
    const r = fast(v);
    if (r !== FAIL) return { success: true, data: r };
  }
  return schema.safeParse(v);
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

/**
 * Fast path. Decoding every RMB payload through zod's machinery costs milliseconds for a 20-workload
 * deployment, so each schema built here also carries a plain decoder. It returns `FAIL` on any problem, and
 * the zod path then runs to produce the issue with Go's text. Both paths implement the same rules.
 */
const FAIL = Symbol('go-json-fail');
type Fast<T> = (v: unknown) => T | typeof FAIL;
const FAST = Symbol('go-json-fast');

function withFast<S extends z.ZodTypeAny>(schema: S, fast: Fast<z.output<S>>): S {
  (schema as unknown as { [FAST]: Fast<z.output<S>> })[FAST] = fast;
  return schema;
}

function fastOf<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>): Fast<T> | undefined {
  return (schema as unknown as { [FAST]?: Fast<T> })[FAST];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);

const UINT_TEXT = /^(0|[1-9][0-9]*)$/;

/** Go unsigned integer of `bits` bits as a bigint (uint64 sizes exceed 2^53). `null`/missing → 0n. */
export function goUint64(goType = 'uint64', bits = 64) {
  const max = (1n << BigInt(bits)) - 1n;
  const fast: Fast<bigint> = (v) => {
    if (isAbsent(v)) return 0n;
    const text = numberText(v);
    if (text === undefined || !UINT_TEXT.test(text)) return FAIL;
    const n = BigInt(text);
    return n > max ? FAIL : n;
  };
  return withFast(
    z.unknown().transform((v, ctx): bigint => {
      if (isAbsent(v)) return 0n;
      const text = numberText(v);
      if (text === undefined) return typeIssue(ctx, v, goType);
      if (!/^(0|[1-9][0-9]*)$/.test(text)) return typeIssue(ctx, v, goType, `number ${text}`);
      const n = BigInt(text);
      if (n > max) return typeIssue(ctx, v, goType, `number ${text}`);
      return n;
    }),
    fast,
  );
}

/** Go unsigned integer up to 32 bits as a JS number. `null`/missing → 0. */
export function goUint(bits: 8 | 16 | 32, goType = `uint${bits}`) {
  return goUintNumber(goType, 2 ** bits - 1);
}

/** Go unsigned integer as a JS number, at most `max` (Go `uint` is capped at 2^53 - 1 to stay exact). */
export function goUintNumber(goType = 'uint', max = Number.MAX_SAFE_INTEGER) {
  const fast: Fast<number> = (v) => {
    if (isAbsent(v)) return 0;
    if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 && v <= max ? v : FAIL;
    const text = numberText(v);
    if (text === undefined || !UINT_TEXT.test(text)) return FAIL;
    const n = Number(text);
    return n <= max ? n : FAIL;
  };
  const slow = goUint64(goType);
  return withFast(
    z.unknown().transform((v, ctx): number => {
      const r = fast(v);
      if (r !== FAIL) return r;
      const big = slow.safeParse(v);
      if (!big.success) {
        for (const issue of big.error.issues) ctx.addIssue({ ...(issue as z.IssueData), path: issue.path });
        return z.NEVER;
      }
      return typeIssue(ctx, v, goType, `number ${big.data}`);
    }),
    fast,
  );
}

// RFC 3339 as Go's time.Time UnmarshalJSON accepts it.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** gridtypes.Timestamp: a JSON integer (unix seconds) or an RFC 3339 string, as unix seconds. */
export function goTimestamp() {
  const message = 'unknown timestamp format, expecting a timestamp or an ISO-8601 date';
  const fast: Fast<number> = (v) => {
    if (isAbsent(v)) return 0;
    if (typeof v === 'number') return Number.isSafeInteger(v) ? v : FAIL;
    const text = isLosslessNumber(v) ? (v as LosslessNumber).value : undefined;
    if (text !== undefined && /^-?(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
    return FAIL; // strings and odd numbers take the full path
  };
  return withFast(
    z.unknown().transform((v, ctx): number => {
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
    }),
    fast,
  );
}

/** Go string (also gridtypes.Name and other string types). `null`/missing → `''`. */
export function goString(goType = 'string') {
  const fast: Fast<string> = (v) => (typeof v === 'string' ? v : isAbsent(v) ? '' : FAIL);
  return withFast(
    z.unknown().transform((v, ctx): string => {
      const r = fast(v);
      return r !== FAIL ? r : typeIssue(ctx, v, goType);
    }),
    fast,
  );
}

/** A Go string type limited to `values` (or `''`); anything else fails with `message` verbatim. */
export function goEnumString<T extends string>(values: readonly T[], goType: string, message: string) {
  const fast: Fast<T | ''> = (v) => {
    if (isAbsent(v) || v === '') return '';
    return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : FAIL;
  };
  return withFast(
    z.unknown().transform((v, ctx): T | '' => {
      const r = fast(v);
      if (r !== FAIL) return r;
      return typeof v === 'string' ? textIssue(ctx, message) : typeIssue(ctx, v, goType);
    }),
    fast,
  );
}

/** A `json.RawMessage`: the value as parsed (lossless numbers kept); missing stays undefined unless `orElse`. */
export function goRawJson(orElse?: null) {
  const fast: Fast<unknown> = (v) => (v === undefined ? orElse : v);
  return withFast(
    z.unknown().transform((v) => fast(v)),
    fast,
  );
}

/** Go bool. `null`/missing → false. */
export function goBool() {
  const fast: Fast<boolean> = (v) => (typeof v === 'boolean' ? v : isAbsent(v) ? false : FAIL);
  return withFast(
    z.unknown().transform((v, ctx): boolean => {
      const r = fast(v);
      return r !== FAIL ? r : typeIssue(ctx, v, 'bool');
    }),
    fast,
  );
}

/** `net.IP` kept as its canonical Go text (`''` for a nil IP). */
export function goIP() {
  const fast: Fast<string> = (v) => {
    if (isAbsent(v)) return '';
    if (typeof v !== 'string') return FAIL;
    try {
      return canonicalIP(v);
    } catch {
      return FAIL;
    }
  };
  return withFast(
    z.unknown().transform((v, ctx): string => {
      if (isAbsent(v)) return '';
      if (typeof v !== 'string') return typeIssue(ctx, v, 'net.IP');
      try {
        return canonicalIP(v);
      } catch (err) {
        return textIssue(ctx, (err as Error).message);
      }
    }),
    fast,
  );
}

/** gridtypes.IPNet kept as its canonical Go text, host bits kept (`''` for an empty network, hashed as `<nil>`). */
export function goIPNet() {
  const fast: Fast<string> = (v) => {
    if (isAbsent(v)) return '';
    if (typeof v !== 'string') return FAIL;
    try {
      return canonicalCIDR(v);
    } catch {
      return FAIL;
    }
  };
  return withFast(
    z.unknown().transform((v, ctx): string => {
      if (isAbsent(v)) return '';
      if (typeof v !== 'string') return typeIssue(ctx, v, 'gridtypes.IPNet');
      try {
        return canonicalCIDR(v);
      } catch (err) {
        return textIssue(ctx, (err as Error).message);
      }
    }),
    fast,
  );
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
  const fast: Fast<string> = (v) => {
    if (isAbsent(v)) return '';
    return typeof v === 'string' && v.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(v) ? v.toLowerCase() : FAIL;
  };
  return withFast(
    z.unknown().transform((v, ctx): string => {
      const r = fast(v);
      if (r !== FAIL) return r;
      if (typeof v !== 'string') return typeIssue(ctx, v, goType);
      return textIssue(ctx, goHexError(v) ?? 'encoding/hex: invalid input');
    }),
    fast,
  );
}

/** Go slice: `null`/missing → `[]` (a nil slice hashes and counts like an empty one). */
export function goSlice<T extends z.ZodTypeAny>(item: T, goType = '[]') {
  const itemFast = fastOf<z.output<T>>(item);
  const fast: Fast<z.output<T>[]> | undefined = itemFast
    ? (v) => {
        if (isAbsent(v)) return [];
        if (!Array.isArray(v)) return FAIL;
        const out: z.output<T>[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const r = itemFast(v[i]);
          if (r === FAIL) return FAIL;
          out[i] = r;
        }
        return out;
      }
    : undefined;
  const schema = z.unknown().transform((v, ctx): z.output<T>[] => {
    const quick = fast ? fast(v) : FAIL;
    if (quick !== FAIL) return quick;
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
  return fast ? withFast(schema, fast) : schema;
}

/** Go `map[string]string`: `null`/missing → `{}`. Keys keep their input order; the challenge sorts them. */
export function goStringMap(goType = 'map[string]string') {
  const fast: Fast<Record<string, string>> = (v) => {
    if (isAbsent(v)) return {};
    if (!isPlainObject(v)) return FAIL;
    for (const k in v) if (typeof v[k] !== 'string') return FAIL;
    return { ...(v as Record<string, string>) };
  };
  return withFast(
    z.unknown().transform((v, ctx): Record<string, string> => {
      const quick = fast(v);
      if (quick !== FAIL) return quick;
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
    }),
    fast,
  );
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
  type Out = z.output<typeof inner>;
  const fields = Object.keys(shape);
  const fieldSet = new Set(fields);
  const lower = new Map(fields.map((f) => [f.toLowerCase(), f] as const));
  const fieldFasts = fields.map((f) => fastOf(shape[f] as z.ZodTypeAny));
  const allFast = fieldFasts.every((f) => f !== undefined);
  const fast: Fast<Out> | undefined = allFast
    ? (v) => {
        if (isAbsent(v)) v = {};
        if (!isPlainObject(v)) return FAIL;
        // Go key folding: exact name, else case-insensitive; a later key for the same field wins.
        const folded: Record<string, unknown> = {};
        for (const k in v) {
          const field = fieldSet.has(k) ? k : lower.get(k.toLowerCase());
          if (field !== undefined) folded[field] = v[k];
        }
        const out: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) {
          const r = (fieldFasts[i] as Fast<unknown>)(folded[fields[i]]);
          if (r === FAIL) return FAIL;
          out[fields[i]] = r;
        }
        return out as Out;
      }
    : undefined;
  const schema = z.unknown().transform((v, ctx): Out => {
    const quick = fast ? fast(v) : FAIL;
    if (quick !== FAIL) return quick;
    const obj = isAbsent(v) ? {} : v;
    if (!isPlainObject(obj)) return typeIssue(ctx, v, goName);
    const r = inner.safeParse(foldKeys(obj, fields));
    if (r.success) return r.data;
    for (const issue of r.error.issues) {
      const params = { ...((issue as { params?: GoIssueParams }).params ?? {}) };
      if (params.goValue !== undefined && params.goStruct === undefined) params.goStruct = goName.replace(/^\*?[a-z]+\./, '');
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: issue.message, params, path: issue.path });
    }
    return z.NEVER;
  });
  return fast ? withFast(schema, fast) : schema;
}

/** A Go pointer to a struct: `null`/missing → undefined (absent, not hashed); present → decoded struct. */
export function goOptionalStruct<S extends z.ZodRawShape>(goName: string, shape: S) {
  const struct = goStruct(goName, shape);
  const structFast = fastOf(struct);
  const fast: Fast<z.output<typeof struct> | undefined> | undefined = structFast ? (v) => (isAbsent(v) ? undefined : structFast(v)) : undefined;
  const schema = z.unknown().transform((v, ctx): z.output<typeof struct> | undefined => {
    if (isAbsent(v)) return undefined;
    const r = struct.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ ...(issue as z.IssueData), path: issue.path });
    return z.NEVER;
  });
  return fast ? withFast(schema, fast) : schema;
}

/** A Go `*string`: `null`/missing → undefined; present → the string. */
export function goOptionalString(goType = 'string') {
  const s = goString(goType);
  const fast: Fast<string | undefined> = (v) => (isAbsent(v) ? undefined : typeof v === 'string' ? v : FAIL);
  return withFast(
    z.unknown().transform((v, ctx): string | undefined => {
      if (isAbsent(v)) return undefined;
      const r = s.safeParse(v);
      if (r.success) return r.data;
      for (const issue of r.error.issues) ctx.addIssue({ ...(issue as z.IssueData), path: issue.path });
      return z.NEVER;
    }),
    fast,
  );
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
