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

/** A field protobufjs decoded from the wire (own property, not the prototype's default). */
function has(m: object, field: string): boolean {
  return Object.hasOwn(m, field) && (m as Record<string, unknown>)[field] != null;
}

/** A uint64 as protobufjs decodes it (a number, or a Long when long.js is present) as a JS number. */
function uint64(v: unknown): number {
  if (typeof v === 'number') return v;
  const l = v as { low: number; high: number };
  return new protobuf.util.LongBits(l.low >>> 0, l.high >>> 0).toNumber(true);
}

/** A decoded `Address` (absent = twin 0: ThreeFold's rmb_direct_client pings with `destination = new Address()`). */
function addressFromWire(m: unknown): RmbAddress {
  if (m == null) return { twin: 0 };
  const a = m as { twin: number; connection?: string };
  return has(a, 'connection') && a.connection ? { twin: a.twin, connection: a.connection } : { twin: a.twin };
}

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
  // the object already has the wire types (numbers, strings, bytes): `fromObject` would only copy it
  return T.encode(obj).finish();
}

function addressToWire(a: RmbAddress): Record<string, unknown> {
  return a.connection ? { twin: a.twin, connection: a.connection } : { twin: a.twin };
}

/**
 * Parses protobuf bytes; throws RmbError (code 101, invalid payload) on malformed input. The edge check is the
 * typed decode of types.proto itself (every field is read as its declared type), so the fields are taken off the
 * decoded message as they are: a schema pass over a `toObject` copy cost five times the decode (17 of 21 µs per
 * envelope, paid twice at the relay and once at each peer per message).
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const T = getEnvelopeType();
  let m: DecodedEnvelope;
  try {
    m = T.decode(bytes) as unknown as DecodedEnvelope;
  } catch (err) {
    throw new RmbError(`rmb: cannot decode envelope (${bytes.length} bytes): ${(err as Error).message}`, { code: RMB_ERROR_CODE.INVALID_PAYLOAD }, { cause: err });
  }
  const env: Envelope = {
    uid: m.uid,
    timestamp: uint64(m.timestamp),
    expiration: uint64(m.expiration),
    source: addressFromWire(m.source),
    destination: addressFromWire(m.destination),
  };
  if (has(m, 'tags')) env.tags = m.tags;
  if (has(m, 'request')) env.request = { command: m.request?.command ?? '' };
  else if (has(m, 'response')) env.response = {};
  else if (has(m, 'error')) env.error = { code: m.error?.code ?? 0, message: m.error?.message ?? '' };
  else if (has(m, 'ping')) env.ping = {};
  else if (has(m, 'pong')) env.pong = {};
  if (has(m, 'signature')) env.signature = new Uint8Array(m.signature as Uint8Array);
  if (has(m, 'schema')) env.schema = m.schema;
  if (has(m, 'federation')) env.federation = m.federation;
  if (has(m, 'plain')) env.plain = new Uint8Array(m.plain as Uint8Array);
  else if (has(m, 'cipher')) env.cipher = new Uint8Array(m.cipher as Uint8Array);
  if (m.relays && m.relays.length) env.relays = [...m.relays];
  return env;
}

/** The fields of a protobufjs-decoded `Envelope` (types.proto); unset scalars read as their defaults. */
interface DecodedEnvelope {
  uid: string;
  tags?: string;
  timestamp: unknown;
  expiration: unknown;
  source?: unknown;
  destination?: unknown;
  request?: { command: string };
  error?: { code: number; message: string };
  signature?: Uint8Array;
  schema?: string;
  federation?: string;
  plain?: Uint8Array;
  cipher?: Uint8Array;
  relays?: string[];
}

// --- challenge and signature --------------------------------------------------------------------------------

/**
 * The parts the signature covers, in the order of §A3, no separators: each non-empty string (UTF-8) and the
 * payload. Unset optional strings contribute nothing (same as the empty string).
 */
function challengeParts(env: Envelope, part: (p: string | Uint8Array) => void): void {
  const s = (v: string | undefined) => {
    if (v) part(v);
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
  if (payload && payload.length) part(payload);
  for (const r of env.relays ?? []) s(r);
}

/** The bytes the signature covers, before hashing. */
export function challengeBytes(env: Envelope): Buffer {
  const parts: Buffer[] = [];
  challengeParts(env, (p) => parts.push(typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  return Buffer.concat(parts);
}

/** MD5 of the challenge: the 16 bytes that are signed. Runs of strings are hashed as one (no byte copies). */
export function challengeDigest(env: Envelope): Uint8Array {
  const h = createHash('md5');
  let text = '';
  challengeParts(env, (p) => {
    if (typeof p === 'string') text += p;
    else {
      h.update(text, 'utf8').update(p);
      text = '';
    }
  });
  return h.update(text, 'utf8').digest();
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
