/**
 * Test harness for RMB (rmb-tfchain.md §A): identities and a static directory of twins, a relay on loopback,
 * peers, and a raw WebSocket client that speaks envelopes directly (to send what a real peer never would).
 * @module
 */
import WebSocket from 'ws';
import { cryptoReady, identityFromSecret, type Identity, type KeyType } from '../../protocol/common/identity';
import { decodeEnvelope, encodeEnvelope, signEnvelope, toUnixSeconds, type Envelope } from '../../protocol/rmb/envelope';
import { e2ePublicKey } from '../../protocol/rmb/e2e';
import { createRelayJwt } from '../../protocol/rmb/jwt';
import { createStaticTwinDirectory, type StaticTwinDirectory } from '../../protocol/rmb/twin-directory';

export const MNEMONICS = [
  'bottom drive obey lake curtain smoke basket hold race lonely fit walk',
  'legal winner thank year wave sausage worth useful legal winner thank yellow',
  'letter advice cage absurd amount doctor acoustic avoid letter advice cage above',
  'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong',
];

export interface TestTwin {
  id: number;
  identity: Identity;
}

/** Twins 1..n with alternating sr25519/ed25519 keys, all registered on `relay` with their e2e pk. */
export async function makeTwins(n: number, relay: string | ((id: number) => string), opts: { e2e?: boolean } = {}): Promise<{ twins: TestTwin[]; directory: StaticTwinDirectory }> {
  await cryptoReady();
  const directory = createStaticTwinDirectory();
  const twins: TestTwin[] = [];
  for (let i = 0; i < n; i++) {
    const type: KeyType = i % 2 === 0 ? 'sr25519' : 'ed25519';
    const identity = identityFromSecret(MNEMONICS[i % MNEMONICS.length], type);
    const id = i + 1;
    twins.push({ id, identity });
    directory.set({
      id,
      publicKey: identity.publicKey,
      relay: typeof relay === 'string' ? relay : relay(id),
      pk: opts.e2e === false ? undefined : e2ePublicKey(identity.seed),
    });
  }
  return { twins, directory };
}

/** A raw relay client: one WebSocket, every decoded envelope collected. */
export interface RawClient {
  ws: WebSocket;
  received: Envelope[];
  send(env: Envelope, signer?: Identity): void;
  next(pred?: (e: Envelope) => boolean, timeoutMs?: number): Promise<Envelope>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function rawConnect(url: string, identity: Identity, twin: number, sid?: string, jwtOverride?: string): Promise<RawClient> {
  const jwt = jwtOverride ?? createRelayJwt(identity, twin, { nowS: toUnixSeconds(Date.now()), sid });
  const ws = new WebSocket(`${url}?${jwt}`);
  const received: Envelope[] = [];
  const waiters: { pred: (e: Envelope) => boolean; resolve: (e: Envelope) => void }[] = [];
  ws.on('message', (d: Buffer) => {
    const env = decodeEnvelope(d);
    received.push(env);
    for (const w of [...waiters]) {
      if (w.pred(env)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(env);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode} ${body}`)));
    });
    ws.on('error', (e) => reject(e));
    ws.on('open', () =>
      resolve({
        ws,
        received,
        closed,
        send: (env, signer) => ws.send(encodeEnvelope(signer ? signEnvelope(env, signer) : env)),
        next: (pred = () => true, timeoutMs = 5000) => {
          const hit = received.find(pred);
          if (hit) {
            received.splice(received.indexOf(hit), 1);
            return Promise.resolve(hit);
          }
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error('no matching envelope in time')), timeoutMs);
            waiters.push({
              pred,
              resolve: (e) => {
                clearTimeout(t);
                received.splice(received.indexOf(e), 1);
                res(e);
              },
            });
          });
        },
        close: () => ws.close(),
      }),
    );
  });
}

/** A request envelope from `from` (session `sid`) to `to`, stamped now. */
export function requestEnvelope(from: number, sid: string | undefined, to: number, command: string, body = '', extra: Partial<Envelope> = {}): Envelope {
  return {
    uid: `${from}-${to}-${Math.random().toString(36).slice(2)}`,
    timestamp: toUnixSeconds(Date.now()),
    expiration: 60,
    source: sid ? { twin: from, connection: sid } : { twin: from },
    destination: { twin: to },
    request: { command },
    schema: 'application/json',
    plain: new Uint8Array(Buffer.from(body)),
    ...extra,
  };
}

/** Polls `cond` every 20 ms until true; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
