/**
 * ThreeFold's own `@threefold/rmb_direct_client` 2.9.2 against our relay (rmb-tfchain.md §A.x): the pieces
 * both interop tests need. The official client derives its twin's on-chain relay from the relay URL by
 * stripping `wss://` and `/`, and the chain accepts only a bare host there, so the relay must be
 * `wss://<host>/` on port 443: a loopback address of the run's own, TLS with a throwaway certificate that
 * `tls.connect` trusts for that host only. Port 443 needs root.
 * @module
 */
import { generateKeyPairSync, randomBytes } from 'crypto';
import * as path from 'path';
import type * as tls from 'tls';
import * as forge from 'node-forge';
import { e2ePublicKey } from '../../protocol/rmb/e2e';
import type { TestAccount } from './chain';

/** A loopback address of this run's own (`127.<base + pid>.x.y`), so port 443 is free whoever else runs tests. */
export function runLoopbackHost(base: number): string {
  return `127.${base + (process.pid % 200)}.${(process.pid >> 8) % 250}.${1 + Math.floor(Math.random() * 250)}`;
}

/** A self-signed certificate for `host` (an IP), PEM. */
export function selfSigned(host: string): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const attrs = [{ name: 'commonName', value: host }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 7, ip: host }] }]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}

/**
 * Makes `tls.connect` trust `cert` for `host` only; returns the undo. Both ws clients (ours and the official
 * one, which takes no TLS options) connect through tls.connect; jest gives test files their own process.env,
 * so NODE_TLS_REJECT_UNAUTHORIZED cannot be used.
 */
export function trustCertificateFor(host: string, cert: string): () => void {
  // the real module object (an `import * as` namespace is a copy under swc's interop)
  const realTls = require('tls') as typeof tls;
  const originalConnect = realTls.connect;
  const patched = (...args: unknown[]) => {
    const o = args[0] as tls.ConnectionOptions | undefined;
    if (o && typeof o === 'object' && o.host === host) args[0] = { ...o, ca: cert };
    return (originalConnect as (...a: unknown[]) => tls.TLSSocket).apply(realTls, args);
  };
  (realTls as { connect: unknown }).connect = patched;
  return () => {
    (realTls as { connect: unknown }).connect = originalConnect;
  };
}

/** A relay on `wss://<host>/` port 443 that the official client reaches: the certificate, trusted by this process. */
export interface OfficialRelayTls {
  host: string;
  tls: { key: string; cert: string };
  /** Puts tls.connect back. */
  restore(): void;
}

/** A fresh loopback host (`127.<base + pid>…`) with a certificate trusted by this process. */
export function officialRelayTls(base: number): OfficialRelayTls {
  const host = runLoopbackHost(base);
  const cert = selfSigned(host);
  return { host, tls: cert, restore: trustCertificateFor(host, cert.cert) };
}

/** The part of the official `Client` the tests use. */
export interface OfficialClient {
  connect(): Promise<void>;
  send(cmd: string, data: string, twin: number, expirationMinutes: number): Promise<string>;
  read(uid: string): Promise<unknown>;
  disconnect(): Promise<void>;
  disconnectAndExit(): void;
}

/** The official client for `acc` (sr25519 seed as hex) on `wss://<host>/`, not yet connected. */
export function officialClient(chainUrl: string, host: string, acc: TestAccount, session: string): OfficialClient {
  const dir = path.dirname(require.resolve('@threefold/rmb_direct_client'));
  const { Client } = require(path.join(dir, 'client')) as {
    Client: new (chainUrl: string, relayUrl: string, mnemonic: string, session: string, keyType: string, retries: number) => OfficialClient;
  };
  const seedHex = '0x' + Buffer.from(acc.identity.seed).toString('hex');
  return new Client(chainUrl, `wss://${host}/`, seedHex, session, acc.identity.type, 3);
}

/** Disconnects the official client and drops the signal handlers it installed on the process. */
export async function closeOfficialClient(client: OfficialClient): Promise<void> {
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2'] as const) process.removeListener(sig, client.disconnectAndExit);
  await client.disconnect();
}

/**
 * The account's twin with `relay` and its e2e public key as `pk`. The official client updates the twin
 * unless relay and pk already match (and then waits on its own transaction), so tests set both first.
 * Checks that the chain stored exactly the key.
 */
export async function ensureTwinWithE2eKey(acc: TestAccount, relay: string): Promise<number> {
  const pk = e2ePublicKey(acc.identity.seed);
  const twin = await acc.chain.ensureTwin({ relay, pk });
  const stored = await acc.chain.getTwin(twin.id);
  expect(Buffer.from(stored.pk ?? []).toString('hex')).toBe(Buffer.from(pk).toString('hex'));
  return twin.id;
}
