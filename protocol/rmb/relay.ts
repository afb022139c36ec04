/**
 * An RMB relay (rmb-tfchain.md §A1, §A4, §A7, §A8, §A10), behaving like rmb-rs `rmb-relay`:
 * - WebSocket login: the whole URL query is a JWT; 400 `missing jwt`, 401 invalid jwt / unknown twin, 500 when
 *   the twin lookup fails. One live connection per (twin, sid): a new login evicts the old connection.
 * - Binary frames only (a text frame or an undecodable envelope drops the connection). Every envelope's source
 *   must equal the session (`message wrong source`), a `ping` envelope comes back as `pong` + "hello world".
 * - Routing: local session → deliver; else look the twin up: `unknown twin destination`, `relay info is not set
 *   for this twin`; twin's relay shares a domain with ours → hold for the offline session (bounded count and
 *   time; tag `fail-fast` → `destination offline`); else federate with HTTP POST of the raw envelope to one of
 *   the twin's relays (202 = accepted, 4xx = permanent, else retried over 3 passes).
 * - Optional per-twin fixed-window limits (`exceeded rate limits, dropping message`).
 * - Errors go back as unsigned `Error{code 0}` envelopes with the request's uid, only for requests; the
 *   connection stays open. Additions of ours, documented here: expired envelopes are refused with
 *   `message has expired` and envelopes over `maxEnvelopeBytes` with `message too large`.
 *
 * The concepts live in their own files: login of twins (`relay-login.ts`), sessions and keepalive
 * (`relay-sessions.ts`), routing of their envelopes (`relay-routing.ts`), federation both ways
 * (`relay-federation.ts`), held messages for offline sessions (`relay-held.ts`), per-twin limits
 * (`relay-limits.ts`), wire texts and close codes (`relay-protocol.ts`); this file wires them and listens.
 * @module
 */
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { WebSocketServer } from 'ws';
import type { Clock } from '../common/clock';
import { systemClock } from '../common/clock';
import { errorText } from '../common/errors';
import type { Logger } from '../common/log';
import { silentLogger } from '../common/log';
import { toUnixSeconds, type RmbAddress } from './envelope';
import { createFederation, handleFederationPost, type FederationOptions } from './relay-federation';
import { createHeldQueues } from './relay-held';
import { createRateLimiter, type RelayLimits } from './relay-limits';
import { loginHandler } from './relay-login';
import { RELAY_ERRORS } from './relay-protocol';
import { createRouter } from './relay-routing';
import { createSessions } from './relay-sessions';
import type { TwinDirectory } from './twin-directory';

export { RELAY_CLOSE, RELAY_ERRORS, hasFailFast } from './relay-protocol';
export type { FederationOptions } from './relay-federation';

export interface RelayOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  directory: TwinDirectory;
  /** The relay's own domain(s): bare host names as written in twins' `relay` fields. */
  domain: string | string[];
  federation?: FederationOptions;
  /** Serve wss:// and https:// (PEM key and certificate). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Largest envelope routed (default 1 MiB); larger ones get `message too large`. */
  maxEnvelopeBytes?: number;
  /** Held messages for an offline session: at most `maxPerSession` (default 10 000, oldest dropped), each at most `maxMs` (default 1 h) or its own deadline; at most `maxBytes` in all (default 256 MiB). */
  hold?: { maxPerSession?: number; maxMs?: number; maxBytes?: number };
  /** Ping every connection this often; one that stayed silent for a whole period is dropped (default 30 s). */
  keepaliveMs?: number;
  /** Per-twin fixed-window limits (rmb-rs `limiter/fixed.rs`); none by default. */
  limits?: RelayLimits;
  clock?: Clock;
  log?: Logger;
}

export interface RelayStats {
  /** Live logged-in connections. */
  connections: number;
  /** Logins accepted since start: a client that keeps its connection adds one. */
  logins: number;
  /** `ping` envelopes answered with `pong`. */
  pongs: number;
  held: number;
  routed: number;
  federated: number;
  rejected: number;
}

export interface Relay {
  /** `ws://host:port` (or `wss://`). */
  readonly url: string;
  /** `http://host:port/` (or `https://`): where other relays POST federated envelopes. */
  readonly federationUrl: string;
  readonly port: number;
  stats(): RelayStats;
  /** Closes every connection and the listener. Held messages are dropped. */
  close(): Promise<void>;
}

/** Starts a relay; resolves once it listens. */
export async function createRelay(opts: RelayOptions): Promise<Relay> {
  const clock = opts.clock ?? systemClock;
  const log = (opts.log ?? silentLogger).child({ component: 'rmb-relay' });
  const domains = new Set((Array.isArray(opts.domain) ? opts.domain : [opts.domain]).map((d) => d.toLowerCase()));
  const maxBytes = opts.maxEnvelopeBytes ?? 1024 * 1024;
  const nowS = () => toUnixSeconds(clock.now());
  const counters = { routed: 0, federated: 0, rejected: 0, logins: 0, pongs: 0 };
  let closing = false;

  const withinLimits = createRateLimiter(opts.limits, clock);
  const sessions = createSessions({ log, keepaliveMs: opts.keepaliveMs, counters });
  const held = createHeldQueues({ clock, maxPerSession: opts.hold?.maxPerSession, maxMs: opts.hold?.maxMs, maxBytes: opts.hold?.maxBytes });
  const federate = createFederation(opts.federation, domains);
  const router = createRouter({ directory: opts.directory, domains, maxBytes, nowS, sessions, held, federate, counters });

  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }) : http.createServer();
  // The hard frame limit sits well above the routed limit so an oversized envelope gets an error reply
  // instead of a dropped connection.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBytes * 4 + 4096 });

  server.on(
    'upgrade',
    loginHandler({
      directory: opts.directory,
      log,
      nowS,
      closing: () => closing,
      accept: (req, socket, head, claims) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          const address: RmbAddress = claims.sid ? { twin: claims.sub, connection: claims.sid } : { twin: claims.sub };
          const conn = sessions.attach(ws, socket, address, (from, env, bytes) => {
            if (!withinLimits(address.twin, bytes.length)) {
              router.replyError(address, env, RELAY_ERRORS.RATE_LIMITED);
              return;
            }
            router.route(from, env, bytes).catch((err) => router.replyError(address, env, errorText(err)));
          });
          held.flush(conn.key, conn.send);
        }),
    }),
  );
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => handleFederationPost(req, res, { maxBytes, deliverLocal: sessions.deliverLocal, hold: held.hold }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const scheme = opts.tls ? 's' : '';
  log.info('relay listening', { url: `ws${scheme}://${host}:${addr.port}`, domains: [...domains] });

  return {
    url: `ws${scheme}://${host}:${addr.port}`,
    federationUrl: `http${scheme}://${host}:${addr.port}/`,
    port: addr.port,
    stats: () => ({ connections: sessions.size(), held: held.count(), ...counters }),
    async close() {
      closing = true;
      held.close();
      sessions.close();
      await new Promise<void>((resolve) => {
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
