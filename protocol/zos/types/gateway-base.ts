/**
 * What both gateway types share (zos/gw.go): `tls_passthrough`, `backends`, optional `network`, the backend
 * rules and the challenge tail. zos-protocol.md §1.5 (gateways), §2.4.
 * @module
 */
import { goBool, goOptionalString, goSlice, goString } from '../go-json';
import { parseGoIP, isGoLoopback } from '../go-net';
import { goSplitHostPort, goUrlHostname, parseGoUrl } from '../go-url';
import type { ChallengeWriter } from '../challenge-writer';

export const gatewayBaseShape = {
  tls_passthrough: goBool(),
  backends: goSlice(goString('zos.Backend'), '[]zos.Backend'),
  /** Name of a network of the same twin on the node; absent (Go nil pointer) is not hashed. */
  network: goOptionalString('gridtypes.Name'),
};

export interface GatewayBase {
  tls_passthrough: boolean;
  backends: string[];
  network?: string | undefined;
}

/** Go `asIpPort`: `ip:port` with an IP literal and a port ≤ 65535. Throws Go's text. */
function asIpPort(a: string): void {
  let hp: { host: string; port: string };
  try {
    hp = goSplitHostPort(a);
  } catch (err) {
    throw new Error(`failed to parse backend ${a} with error: ${(err as Error).message}`);
  }
  if (!parseGoIP(hp.host)) throw new Error('invalid ip');
  if (!/^[0-9]+$/.test(hp.port) || BigInt(hp.port) > 0xffffffffffffffffn) throw new Error(`invalid port in backend: ${hp.port}`);
  if (BigInt(hp.port) > 65535n) throw new Error(`port '${hp.port}' must be <= 65535`);
}

/** Go `Backend.Valid`: the error text, or undefined. */
export function backendError(backend: string, tlsPassthrough: boolean): string | undefined {
  if (tlsPassthrough) {
    try {
      asIpPort(backend);
    } catch (err) {
      return `failed to parse backend ${backend} with error: ${(err as Error).message}`;
    }
    return undefined;
  }
  let host: string;
  try {
    const u = parseGoUrl(backend);
    if (u.scheme !== 'http') return 'scheme expected to be http';
    host = goUrlHostname(u);
  } catch (err) {
    return `failed to parse backend with error: ${(err as Error).message}`;
  }
  const ip = parseGoIP(host);
  if (!ip || isGoLoopback(ip)) return `invalid ip address in backend: ${host}`;
  return undefined;
}

/** Go `GatewayBase.Valid`. */
export function validateGatewayBase(g: GatewayBase): string | undefined {
  if (g.backends.length === 0) return 'backends list can not be empty';
  for (const b of g.backends) {
    const err = backendError(b, g.tls_passthrough);
    if (err) return `failed to validate backend '${b}': ${err}`;
  }
  return undefined;
}

/** Go `GatewayBase.Challenge`: passthrough, each backend, then the network if present. */
export function gatewayBaseChallenge(g: GatewayBase, w: ChallengeWriter): void {
  w.bool(g.tls_passthrough);
  for (const b of g.backends) w.str(b);
  if (g.network !== undefined) w.str(g.network);
}
