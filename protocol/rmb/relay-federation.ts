/**
 * Federation between relays (rmb-tfchain.md §A8): an envelope for a twin whose relay is not ours goes by HTTP
 * POST of the raw envelope to one of that twin's relays (202 = accepted, 4xx = permanent, anything else retried
 * over `passes` passes with jittered backoff); envelopes other relays POST to us are delivered to the live
 * session or held for it (`fail-fast` → 404 `destination offline`).
 * @module
 */
import type * as http from 'http';
import { errorText, RmbError } from '../common/errors';
import { decodeEnvelope, formatAddress, type Envelope, type RmbAddress } from './envelope';
import type { HoldResult } from './relay-held';
import { hasFailFast, RELAY_ERRORS } from './relay-protocol';
import { relayHosts } from './twin-directory';

export interface FederationOptions {
  /** URL to POST envelopes for a relay host (default `https://<host>/`). Local grids map hosts to ports. */
  urlFor?: (host: string) => string;
  /** Per POST (default 5 s). */
  timeoutMs?: number;
  /** Passes over the twin's relays before giving up (default 3). */
  passes?: number;
  /** Base pause between passes, jittered (default 200 ms). */
  backoffMs?: number;
}

/**
 * Posts `bytes` to one of the relays in the twin's `relay` field other than ours (`domains`, lower case).
 * Resolves once one accepted; rejects with the text to send back to the sender.
 */
export type Federate = (env: Envelope, bytes: Uint8Array, relayField: string | undefined) => Promise<void>;

export function createFederation(options: FederationOptions | undefined, domains: Set<string>): Federate {
  const fed = {
    urlFor: options?.urlFor ?? ((h: string) => `https://${h}/`),
    timeoutMs: options?.timeoutMs ?? 5_000,
    passes: options?.passes ?? 3,
    backoffMs: options?.backoffMs ?? 200,
  };

  async function postEnvelope(url: string, bytes: Uint8Array): Promise<{ status: number; text: string }> {
    const res = await fetch(url, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/x-protobuf' },
      signal: AbortSignal.timeout(fed.timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  }

  return async (env, bytes, relayField) => {
    const hosts = relayHosts(relayField).filter((h) => !domains.has(h.toLowerCase()));
    let last = 'no relay host to try';
    for (let pass = 0; pass < fed.passes; pass++) {
      for (const host of hosts) {
        const url = fed.urlFor(host);
        try {
          const res = await postEnvelope(url, bytes);
          if (res.status === 202) return;
          if (res.status >= 400 && res.status < 500) {
            // permanent: the remote relay refused this envelope
            throw new RmbError(res.text || RELAY_ERRORS.OFFLINE, { status: res.status });
          }
          last = `${url} answered HTTP ${res.status}${res.text ? `: ${res.text}` : ''}`;
        } catch (err) {
          if (err instanceof RmbError) throw err;
          last = `${url}: ${errorText(err)}`;
        }
      }
      if (pass + 1 < fed.passes) await new Promise((r) => setTimeout(r, fed.backoffMs * (pass + 1) * (0.5 + Math.random())));
    }
    throw new RmbError(`failed to route message to peer '${formatAddress(env.destination)}': ${last}`);
  };
}

/** Where an envelope POSTed by another relay goes. */
export interface FederationInbox {
  maxBytes: number;
  deliverLocal(dst: RmbAddress, bytes: Uint8Array): boolean;
  hold(dst: RmbAddress, env: Envelope, bytes: Uint8Array): HoldResult;
}

/** Serves `POST /` from other relays; anything else is 404 `page not found`. */
export function handleFederationPost(req: http.IncomingMessage, res: http.ServerResponse, inbox: FederationInbox): void {
  const { maxBytes } = inbox;
  if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
    res.writeHead(404).end('page not found');
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > maxBytes) {
      res.writeHead(413).end(`${RELAY_ERRORS.TOO_LARGE}: limit ${maxBytes}`);
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    const bytes = Buffer.concat(chunks);
    let env: Envelope;
    try {
      env = decodeEnvelope(bytes);
    } catch (err) {
      res.writeHead(400).end(`bad request: ${errorText(err)}`);
      return;
    }
    // anyone may POST here: an envelope nobody can receive is refused, not held
    if (env.destination.twin === 0) {
      res.writeHead(400).end(RELAY_ERRORS.MISSING_DESTINATION);
      return;
    }
    if (inbox.deliverLocal(env.destination, bytes)) {
      res.writeHead(202).end();
      return;
    }
    if (hasFailFast(env)) {
      res.writeHead(404).end(RELAY_ERRORS.OFFLINE);
      return;
    }
    const held = inbox.hold(env.destination, env, bytes);
    if (held === 'expired') res.writeHead(400).end(RELAY_ERRORS.EXPIRED);
    else if (held === 'full') res.writeHead(503).end(RELAY_ERRORS.HELD_FULL);
    else res.writeHead(202).end();
  });
}
