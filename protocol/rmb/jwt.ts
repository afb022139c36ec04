/**
 * Relay login token (rmb-tfchain.md §A4): `base64url(header).base64url(claims).base64url(65-byte prefixed sig)`.
 * The header is the fixed label `{"alg":"RS512","typ":"JWT"}` (not RSA); the signature is the twin key's
 * prefixed signature over the ASCII `header.claims` string itself (no md5). The whole URL query is the token.
 * @module
 */
import { z } from 'zod';
import type { Identity } from '../common/identity';
import { RmbError } from '../common/errors';
import { signPrefixed, verifyPrefixed } from './envelope';

export const JWT_HEADER = { alg: 'RS512', typ: 'JWT' } as const;

/** Claims of a relay login token; `sid` names the session (one live connection per twin and sid). */
export interface RelayClaims {
  sub: number;
  iat: number;
  exp: number;
  sid?: string;
}

const claimsSchema = z.object({
  sub: z.number().int().nonnegative().max(0xffffffff),
  iat: z.number().int().nonnegative(),
  exp: z.number().int().nonnegative(),
  sid: z.string().nullish(),
});

function b64url(data: Uint8Array | string): string {
  return Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64url');
}

/** Builds a signed login token for `twinId` valid for `ttlS` seconds from `nowS`. */
export function createRelayJwt(identity: Identity, twinId: number, opts: { nowS: number; ttlS?: number; sid?: string }): string {
  const claims: RelayClaims = { sub: twinId, iat: opts.nowS, exp: opts.nowS + (opts.ttlS ?? 60) };
  if (opts.sid) claims.sid = opts.sid;
  const unsigned = `${b64url(JSON.stringify(JWT_HEADER))}.${b64url(JSON.stringify(claims))}`;
  return `${unsigned}.${b64url(signPrefixed(identity, Buffer.from(unsigned, 'ascii')))}`;
}

/**
 * Longest lifetime (`exp - iat`) and how far in the future `iat` may be (clock skew) that the relay accepts. Ours:
 * rmb-rs only checks `exp`, so a token minted for years stays a bearer credential for years (a URL query, it lands
 * in proxy logs) and replaying it takes over the twin's session. Clients use 60 s (Go), 300 s (rmb-peer) and
 * 1000 s (TS rmb_direct_client).
 */
export const JWT_MAX_LIFETIME_S = 3600;
export const JWT_MAX_SKEW_S = 300;

/**
 * Reads the claims without checking the signature (the relay needs `sub` to find the key). Rejects malformed
 * tokens, expired ones (`exp` < now, as rmb-rs), and ours: tokens issued in the future or living longer than
 * `JWT_MAX_LIFETIME_S`. Errors are RmbError with `context.status` 401.
 */
export function parseRelayJwt(token: string, nowS: number): RelayClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new RmbError('invalid jwt: expected three dot-separated parts', { status: 401 });
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new RmbError('invalid jwt: claims are not base64url JSON', { status: 401 });
  }
  const parsed = claimsSchema.safeParse(json);
  if (!parsed.success) throw new RmbError(`invalid jwt: bad claims (${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')})`, { status: 401 });
  if (nowS > parsed.data.exp) throw new RmbError('invalid jwt: jwt has expired', { status: 401 });
  if (parsed.data.iat > nowS + JWT_MAX_SKEW_S) throw new RmbError('invalid jwt: issued in the future', { status: 401 });
  if (parsed.data.exp - parsed.data.iat > JWT_MAX_LIFETIME_S) throw new RmbError(`invalid jwt: lifetime over ${JWT_MAX_LIFETIME_S} s`, { status: 401 });
  const claims: RelayClaims = { sub: parsed.data.sub, iat: parsed.data.iat, exp: parsed.data.exp };
  if (parsed.data.sid) claims.sid = parsed.data.sid;
  return claims;
}

/** True when the token's third part is a valid prefixed signature of `header.claims` by `publicKey`. */
export function verifyRelayJwt(token: string, publicKey: Uint8Array): boolean {
  const last = token.lastIndexOf('.');
  if (last < 0) return false;
  const sig = Buffer.from(token.slice(last + 1), 'base64url');
  return verifyPrefixed(Buffer.from(token.slice(0, last), 'ascii'), sig, publicKey);
}
