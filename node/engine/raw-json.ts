/**
 * Raw JSON as the node keeps it: workload `data` is stored as received, compacted and Go-escaped
 * (zos-protocol.md §0.1 "Stored data is re-encoded"), with big integers kept exact (lossless-json).
 * Replies are built as JSON text so u64 values never pass through a JS number.
 * @module
 */
import { isLosslessNumber, parse, stringify } from 'lossless-json';

/** Go `json.Marshal` of a RawMessage: compact, `<` `>` `&` U+2028 U+2029 escaped (only possible inside strings). */
export function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);

/** Go's field lookup: the last key equal to `name`, or failing that the last case-insensitive match. */
function goField(o: Obj, name: string): unknown {
  if (Object.hasOwn(o, name)) return o[name];
  let found: unknown;
  for (const k of Object.keys(o)) if (k.toLowerCase() === name.toLowerCase()) found = o[k];
  return found;
}

/**
 * The compact raw `data` of each workload of a deployment payload, by workload index.
 * Returns undefined entries where a workload has no data object.
 */
export function rawWorkloadData(payload: string): (string | undefined)[] {
  const root = parse(payload);
  if (!isObj(root)) return [];
  const wls = goField(root, 'workloads');
  if (!Array.isArray(wls)) return [];
  return wls.map((w) => {
    if (!isObj(w)) return undefined;
    const d = goField(w, 'data');
    return d === undefined ? undefined : goEscape(stringify(d) ?? 'null');
  });
}

/** A JSON string literal. */
export const str = (s: string): string => JSON.stringify(s);
