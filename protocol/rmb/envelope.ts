/**
 * The RMB envelope: protobuf codec (types.proto, rmb-tfchain.md §A2), the signed challenge and the 65-byte
 * prefixed signature (§A3), TTL stamping and expiry (§A7), and the error envelopes relays and peers send (§A10).
 * Pure: time comes in as unix seconds, keys as an `Identity`.
 * @module
 */
import { createHash, verify as nodeVerify, type KeyObject } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { z } from 'zod';
import type { Identity, KeyType } from '../common/identity';
import { ed25519PublicKeyObject, verifySignature } from '../common/identity';
import { InternalError, RmbError } from '../common/errors';

/** Payload format of JSON bodies; ZOS drops requests with any other schema (§A6). */
export const JSON_SCHEMA = 'application/json';
/** Signature on the wire: one type byte, then 64 signature bytes. */
export const SIGNATURE_LENGTH = 65;
export const SIGNATURE_PREFIX: Record<KeyType, number> = { ed25519: 0x65 /* 'e' */, sr25519: 0x73 /* 's' */ };

/** Peer protocol error codes (rmb-rs src/peer/protocol.rs, §A10). Relays and ZOS handlers use 0. */
export const RMB_ERROR_CODE = {
  OTHER_RELAY_OR_HANDLER: 0,
  INVALID_MESSAGE_TYPE: 100,
  INVALID_PAYLOAD: 101,
  VALIDATION: 102,
  UNKNOWN_TWIN: 103,
  INVALID_SIGNATURE: 104,
  NO_PUBLIC_KEY: 105,
  E2E: 106,
  INTERNAL: 500,
} as const;

/** `twin` or `twin:connection`. An empty connection is the same as none. */
export interface RmbAddress {
  twin: number;
  connection?: string;
}

/**
 * A decoded envelope. Exactly one of request/response/error/ping/pong is set on a valid envelope, and at most
 * one of plain/cipher.
 */
export interface Envelope {
  uid: string;
  tags?: string;
  /** Unix seconds at send. */
  timestamp: number;
  /** TTL in seconds relative to `timestamp`. */
  expiration: number;
  source: RmbAddress;
  destination: RmbAddress;
  request?: { command: string };
  response?: Record<string, never>;
  error?: { code: number; message: string };
  ping?: Record<string, never>;
  pong?: Record<string, never>;
  signature?: Uint8Array;
  schema?: string;
  federation?: string;
  plain?: Uint8Array;
  cipher?: Uint8Array;
  relays?: string[];
}

/** `twin` or `twin:connection`, the text form of an address (rmb-rs `AddressExt`). */
export function formatAddress(a: RmbAddress): string {
  return a.connection ? `${a.twin}:${a.connection}` : `${a.twin}`;
}

export function sameAddress(a: RmbAddress, b: RmbAddress): boolean {
  return a.twin === b.twin && (a.connection || '') === (b.connection || '');
}

// --- protobuf codec -----------------------------------------------------------------------------------------

let envelopeType: protobuf.Type | undefined;

/** Finds types.proto beside this file, or in the source tree when running from a compiled `dist/`. */
function protoPath(): string {
  const candidates = [path.join(__dirname, 'types.proto'), path.resolve(__dirname, '..', '..', '..', 'protocol', 'rmb', 'types.proto')];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new InternalError(`rmb: types.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

function getEnvelopeType(): protobuf.Type {
  if (!envelopeType) {
    const root = protobuf.parse(fs.readFileSync(protoPath(), 'utf8'), { keepCase: true }).root;
    envelopeType = root.lookupType('Envelope');
  }
  return envelopeType;
}

const bytesSchema = z.instanceof(Uint8Array);
// proto3: an Address sent empty (ThreeFold's rmb_direct_client pings with `destination = new Address()`) carries
// no twin on the wire, which means twin 0, not a malformed envelope.
const addressSchema = z.object({ twin: z.number().int().nonnegative().default(0), connection: z.string().optional() });
const emptySchema = z.object({}).strip();
/** Shape of protobufjs `toObject` output; the edge check after the protobuf decode. */
const decodedSchema = z.object({
  uid: z.string().default(''),
  tags: z.string().optional(),
  timestamp: z.number().nonnegative().default(0),
  expiration: z.number().nonnegative().default(0),
  source: addressSchema.default({ twin: 0 }),
  destination: addressSchema.default({ twin: 0 }),
  request: z.object({ command: z.string().default('') }).optional(),
  response: emptySchema.optional(),
  error: z.object({ code: z.number().int().default(0), message: z.string().default('') }).optional(),
  ping: emptySchema.optional(),
  pong: emptySchema.optional(),
  signature: bytesSchema.optional(),
  schema: z.string().optional(),
  federation: z.string().optional(),
  plain: bytesSchema.optional(),
  cipher: bytesSchema.optional(),
  relays: z.array(z.string()).optional(),
});

/** Serializes an envelope to protobuf bytes. */
export function encodeEnvelope(env: Envelope): Uint8Array {
  const T = getEnvelopeType();
  const obj: Record<string, unknown> = {
    uid: env.uid,
    timestamp: env.timestamp,
    expiration: env.expiration,
    source: addressToWire(env.source),
    destination: addressToWire(env.destination),
  };
  if (env.tags !== undefined) obj.tags = env.tags;
  if (env.request) obj.request = { command: env.request.command };
  else if (env.response) obj.response = {};
  else if (env.error) obj.error = { code: env.error.code, message: env.error.message };
  else if (env.ping) obj.ping = {};
  else if (env.pong) obj.pong = {};
  if (env.signature) obj.signature = env.signature;
  if (env.schema !== undefined) obj.schema = env.schema;
  if (env.federation !== undefined) obj.federation = env.federation;
  if (env.plain) obj.plain = env.plain;
  else if (env.cipher) obj.cipher = env.cipher;
  if (env.relays && env.relays.length) obj.relays = env.relays;
  return T.encode(T.fromObject(obj)).finish();
}

function addressToWire(a: RmbAddress): Record<string, unknown> {
  return a.connection ? { twin: a.twin, connection: a.connection } : { twin: a.twin };
}

/** Parses protobuf bytes; throws RmbError (code 101, invalid payload) on malformed input. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const T = getEnvelopeType();
  let raw: Record<string, unknown>;
  try {
    raw = T.toObject(T.decode(bytes), { longs: Number, defaults: false, arrays: false }) as Record<string, unknown>;
  } catch (err) {
    throw new RmbError(`rmb: cannot decode envelope (${bytes.length} bytes): ${(err as Error).message}`, { code: RMB_ERROR_CODE.INVALID_PAYLOAD }, { cause: err });
  }
  const parsed = decodedSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RmbError(`rmb: envelope has an invalid shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { code: RMB_ERROR_CODE.INVALID_PAYLOAD });
  }
  const d = parsed.data;
  const env: Envelope = {
    uid: d.uid,
    timestamp: d.timestamp,
    expiration: d.expiration,
    source: d.source.connection ? d.source : { twin: d.source.twin },
    destination: d.destination.connection ? d.destination : { twin: d.destination.twin },
  };
  if (d.tags !== undefined) env.tags = d.tags;
  if (d.request) env.request = { command: d.request.command };
  else if (d.response) env.response = {};
  else if (d.error) env.error = { code: d.error.code, message: d.error.message };
  else if (d.ping) env.ping = {};
  else if (d.pong) env.pong = {};
  if (d.signature) env.signature = new Uint8Array(d.signature);
  if (d.schema !== undefined) env.schema = d.schema;
  if (d.federation !== undefined) env.federation = d.federation;
  if (d.plain) env.plain = new Uint8Array(d.plain);
  else if (d.cipher) env.cipher = new Uint8Array(d.cipher);
  if (d.relays && d.relays.length) env.relays = d.relays;
  return env;
}

// --- challenge and signature --------------------------------------------------------------------------------

/**
 * The bytes the signature covers, before hashing: the concatenation of §A3 in order, no separators. Unset
 * optional strings contribute nothing (same as the empty string).
 */
export function challengeBytes(env: Envelope): Buffer {
  const parts: Buffer[] = [];
  const s = (v: string | undefined) => {
    if (v) parts.push(Buffer.from(v, 'utf8'));
  };
  s(env.uid);
  s(env.tags);
  s(String(env.timestamp));
  s(String(env.expiration));
  s(String(env.source.twin));
  s(env.source.connection);
  s(String(env.destination.twin));
  s(env.destination.connection);
  if (env.request) s(env.request.command);
  else if (env.error) s(`${env.error.code}${env.error.message}`);
  s(env.schema);
  s(env.federation);
  const payload = env.plain && env.plain.length ? env.plain : env.cipher;
  if (payload && payload.length) parts.push(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  for (const r of env.relays ?? []) s(r);
  return Buffer.concat(parts);
}

/** MD5 of the challenge: the 16 bytes that are signed. */
export function challengeDigest(env: Envelope): Uint8Array {
  return createHash('md5').update(challengeBytes(env)).digest();
}

/** Signs `message` and prepends the key-type byte: the 65-byte form used by envelopes and JWTs. */
export function signPrefixed(identity: Identity, message: Uint8Array): Uint8Array {
  const sig = identity.sign(message);
  const out = new Uint8Array(1 + sig.length);
  out[0] = SIGNATURE_PREFIX[identity.type];
  out.set(sig, 1);
  return out;
}

// node:crypto key objects of ed25519 twin keys: building one costs about as much as the verification itself.
const edKeys = new Map<string, KeyObject>();

function ed25519VerifyCached(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  const k = Buffer.from(publicKey).toString('hex');
  let key = edKeys.get(k);
  try {
    if (!key) {
      key = ed25519PublicKeyObject(publicKey);
      if (edKeys.size >= 4096) edKeys.clear();
      edKeys.set(k, key);
    }
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Verifies a prefixed signature; the first byte picks ed25519 (`e`) or sr25519 (`s`). Never throws. */
export function verifyPrefixed(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  if (signature[0] === SIGNATURE_PREFIX.ed25519) return ed25519VerifyCached(message, signature.subarray(1), publicKey);
  if (signature[0] === SIGNATURE_PREFIX.sr25519) return verifySignature('sr25519', message, signature.subarray(1), publicKey);
  return false;
}

/** Returns the envelope with its signature set (over every other field, §A3). */
export function signEnvelope(env: Envelope, identity: Identity): Envelope {
  const unsigned = { ...env, signature: undefined };
  return { ...env, signature: signPrefixed(identity, challengeDigest(unsigned)) };
}

/** True when the envelope carries a valid signature by `publicKey`. */
export function verifyEnvelope(env: Envelope, publicKey: Uint8Array): boolean {
  if (!env.signature) return false;
  return verifyPrefixed(challengeDigest(env), env.signature, publicKey);
}

// --- TTL --------------------------------------------------------------------------------------------------

/** Unix seconds at which the envelope stops being valid. */
export function deadlineOf(env: Envelope): number {
  return env.timestamp + env.expiration;
}

/** An envelope is valid while `timestamp + expiration > now` (§A7). */
export function isExpired(env: Envelope, nowS: number): boolean {
  return deadlineOf(env) <= nowS;
}

/**
 * rmb-rs `stamp`: a zero or future timestamp becomes now; a past one becomes now with the expiration shrunk so
 * the deadline is unchanged. Call before signing.
 */
export function stampEnvelope(env: Envelope, nowS: number): Envelope {
  if (env.timestamp === 0 || env.timestamp > nowS) return { ...env, timestamp: nowS };
  const deadline = deadlineOf(env);
  return { ...env, timestamp: nowS, expiration: Math.max(0, deadline - nowS) };
}

/** Unix seconds from milliseconds. */
export function toUnixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/**
 * An unsigned error reply as relays build them (rmb-rs `build_error_envelope`): same uid, no source (twin 0),
 * expiration 300 s, destination = the original sender.
 */
export function buildErrorEnvelope(req: Envelope, message: string, nowS: number, code: number = RMB_ERROR_CODE.OTHER_RELAY_OR_HANDLER): Envelope {
  return {
    uid: req.uid,
    timestamp: nowS,
    expiration: 300,
    source: { twin: 0 },
    destination: { ...req.source },
    error: { code, message },
  };
}
