/**
 * Decoding of the small request payloads of the node API (`{"contract_id": N}`, `{"network_name": S}`,
 * `{"name": S}`, `{"twin_id": N}`) the way the Go node does (zos-protocol.md §0.1, §5.2): lossless numbers,
 * case-insensitive keys, unknown keys ignored, Go's decode error texts.
 * @module
 */
import type { z } from 'zod';
import { goDecodeMessage, goString, goStruct, goUint, goUint64, parseJsonLossless } from '../../protocol/zos/go-json';
import { ZosError } from '../../protocol/common/errors';

/**
 * Go's `json.Unmarshal` syntax error text, from lossless-json's position: `unexpected end of JSON input`
 * when the input stops early, else `invalid character '<c>' ...` naming the offending character.
 */
function syntaxError(text: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const at = /position (\d+)/.exec(msg);
  const pos = at ? Number(at[1]) : text.length;
  if (pos >= text.trimEnd().length) return 'unexpected end of JSON input';
  const ch = text[pos];
  return `invalid character ${JSON.stringify(ch).replace(/^"|"$/g, "'")} looking for beginning of value`;
}

/** Parses `text` into `schema` or throws ZosError with the Go decode text. */
export function decodePayload<T>(text: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): T {
  let value: unknown;
  try {
    value = parseJsonLossless(text);
  } catch (err) {
    const m = syntaxError(text, err);
    throw new ZosError(m, { nodeMessage: m });
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const m = goDecodeMessage(issue, issue.path);
  throw new ZosError(m, { nodeMessage: m });
}

export const contractArgsSchema = goStruct('struct', { contract_id: goUint64('uint64') });
export const networkNameArgsSchema = goStruct('struct', { network_name: goString() });
export const perfArgsSchema = goStruct('struct', { name: goString() });
export const debugListArgsSchema = goStruct('struct', { twin_id: goUint(32) });
export const debugDeploymentArgsSchema = goStruct('struct', { deployment: goString() });
/** `zos.admin.set_public_nic` takes a bare JSON string. */
export const ifaceArgSchema = goString();
