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
 * @module
 */
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import type { Duplex } from 'stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { Clock } from '../common/clock';
import { systemClock } from '../common/clock';
import { errorText, RmbError } from '../common/errors';
import type { Logger } from '../common/log';
import { silentLogger } from '../common/log';
import {
  buildErrorEnvelope,
  decodeEnvelope,
  deadlineOf,
  encodeEnvelope,
  formatAddress,
  isExpired,
  sameAddress,
  toUnixSeconds,
  type Envelope,
  type RmbAddress,
} from './envelope';
import { parseRelayJwt, verifyRelayJwt, type RelayClaims } from './jwt';
import { hasFailFast, RELAY_CLOSE, RELAY_ERRORS } from './relay-protocol';
import { relayHosts, type TwinDirectory } from './twin-directory';

export { RELAY_CLOSE, RELAY_ERRORS, hasFailFast } from './relay-protocol';

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
  /** Held messages for an offline session: at most `maxPerSession` (default 10 000, oldest dropped), each at most `maxMs` (default 1 h) or its own deadline. */
  hold?: { maxPerSession?: number; maxMs?: number };
  /** Ping every connection this often; one that stayed silent for a whole period is dropped (default 30 s). */
  keepaliveMs?: number;
  /** Per-twin fixed-window limits (rmb-rs `limiter/fixed.rs`); none by default. */
  limits?: { windowMs?: number; messages?: number; bytes?: number };
  clock?: Clock;
  log?: Logger;
}

export interface RelayStats {
  connections: number;
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

interface Conn {
  key: string;
  address: RmbAddress;
  ws: WebSocket;
  /** Something arrived since the last keepalive round. */
  alive: boolean;
}

interface Held {
  bytes: Uint8Array;
  untilMs: number;
}

function sessionKey(a: RmbAddress): string {
  return `${a.twin}:${a.connection ?? ''}`;
}

/** Starts a relay; resolves once it listens. */
export async function createRelay(opts: RelayOptions): Promise<Relay> {
  const clock = opts.clock ?? systemClock;
  const log = (opts.log ?? silentLogger).child({ component: 'rmb-relay' });
  const domains = new Set((Array.isArray(opts.domain) ? opts.domain : [opts.domain]).map((d) => d.toLowerCase()));
  const maxBytes = opts.maxEnvelopeBytes ?? 1024 * 1024;
  const holdMax = opts.hold?.maxPerSession ?? 10_000;
  const holdMs = opts.hold?.maxMs ?? 3_600_000;
  const fed = {
    urlFor: opts.federation?.urlFor ?? ((h: string) => `https://${h}/`),
    timeoutMs: opts.federation?.timeoutMs ?? 5_000,
    passes: opts.federation?.passes ?? 3,
    backoffMs: opts.federation?.backoffMs ?? 200,
  };
  const nowS = () => toUnixSeconds(clock.now());

  const limitWindowMs = opts.limits?.windowMs ?? 60_000;
  const usage = new Map<number, { start: number; messages: number; bytes: number }>();
  /** Counts one envelope against its twin's window; false when over a limit. */
  function withinLimits(twin: number, size: number): boolean {
    if (!opts.limits || (opts.limits.messages === undefined && opts.limits.bytes === undefined)) return true;
    const now = clock.now();
    let u = usage.get(twin);
    if (!u || now - u.start >= limitWindowMs) {
      u = { start: now, messages: 0, bytes: 0 };
      usage.set(twin, u);
    }
    u.messages++;
    u.bytes += size;
    return (opts.limits.messages === undefined || u.messages <= opts.limits.messages) && (opts.limits.bytes === undefined || u.bytes <= opts.limits.bytes);
  }

  const sessions = new Map<string, Conn>();
  const held = new Map<string, Held[]>();
  const counters = { routed: 0, federated: 0, rejected: 0 };
  let closing = false;

  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }) : http.createServer();
  // The hard frame limit sits well above the routed limit so an oversized envelope gets an error reply
  // instead of a dropped connection.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBytes * 4 + 4096 });

  // --- delivery ---------------------------------------------------------------------------------------------

  function deliverLocal(dst: RmbAddress, bytes: Uint8Array): boolean {
    const conn = sessions.get(sessionKey(dst));
    if (!conn || conn.ws.readyState !== conn.ws.OPEN) return false;
    conn.ws.send(bytes);
    counters.routed++;
    return true;
  }

  function hold(dst: RmbAddress, env: Envelope, bytes: Uint8Array): void {
    const key = sessionKey(dst);
    const q = held.get(key) ?? [];
    const untilMs = Math.min(clock.now() + holdMs, deadlineOf(env) * 1000);
    q.push({ bytes, untilMs });
    while (q.length > holdMax) q.shift();
    held.set(key, q);
  }

  function flushHeld(conn: Conn): void {
    const q = held.get(conn.key);
    if (!q) return;
    held.delete(conn.key);
    const now = clock.now();
    for (const h of q) if (h.untilMs > now) conn.ws.send(h.bytes);
  }

  const sweep = setInterval(() => {
    const now = clock.now();
    for (const [key, q] of held) {
      const live = q.filter((h) => h.untilMs > now);
      if (live.length) held.set(key, live);
      else held.delete(key);
    }
  }, 10_000);
  sweep.unref();

  // A peer that vanished without closing would keep its session and swallow messages meant to be held.
  const heartbeat = setInterval(() => {
    for (const c of sessions.values()) {
      if (!c.alive) {
        log.debug('dropping a silent connection', { session: formatAddress(c.address) });
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }, opts.keepaliveMs ?? 30_000);
  heartbeat.unref();

  /** Sends an error back to the sender session of a request (rmb-rs `send_error_response`). */
  function replyError(to: RmbAddress, env: Envelope, message: string): void {
    counters.rejected++;
    if (!env.request) return;
    const err = buildErrorEnvelope(env, message, nowS());
    err.destination = { ...to };
    const bytes = encodeEnvelope(err);
    if (!deliverLocal(to, bytes)) hold(to, err, bytes);
  }

  // --- federation --------------------------------------------------------------------------------------------

  async function postEnvelope(url: string, bytes: Uint8Array): Promise<{ status: number; text: string }> {
    const res = await fetch(url, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/x-protobuf' },
      signal: AbortSignal.timeout(fed.timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  }

  async function federate(env: Envelope, bytes: Uint8Array, relayField: string | undefined): Promise<void> {
    const hosts = relayHosts(relayField).filter((h) => !domains.has(h.toLowerCase()));
    let last = 'no relay host to try';
    for (let pass = 0; pass < fed.passes; pass++) {
      for (const host of hosts) {
        const url = fed.urlFor(host);
        try {
          const res = await postEnvelope(url, bytes);
          if (res.status === 202) {
            counters.federated++;
            return;
          }
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
  }

  // --- routing -----------------------------------------------------------------------------------------------

  /** Routes one envelope from a connected session; rejects with the text to send back. */
  async function route(from: Conn, env: Envelope, bytes: Uint8Array): Promise<void> {
    if (!sameAddress(from.address, env.source)) throw new RmbError(RELAY_ERRORS.WRONG_SOURCE);
    if (env.ping) {
      const pong: Envelope = { ...env, ping: undefined, pong: {}, source: env.destination, destination: env.source, plain: Buffer.from('hello world'), cipher: undefined };
      from.ws.send(encodeEnvelope(pong));
      return;
    }
    if (bytes.length > maxBytes) throw new RmbError(`${RELAY_ERRORS.TOO_LARGE}: ${bytes.length} bytes, limit ${maxBytes}`);
    if (isExpired(env, nowS())) throw new RmbError(RELAY_ERRORS.EXPIRED);
    const dst = env.destination;
    if (dst.twin === 0) throw new RmbError(RELAY_ERRORS.MISSING_DESTINATION);
    if (deliverLocal(dst, bytes)) return;
    const twin = await opts.directory.getTwin(dst.twin);
    if (!twin) throw new RmbError(RELAY_ERRORS.UNKNOWN_TWIN);
    if (!twin.relay) throw new RmbError(RELAY_ERRORS.NO_RELAY_INFO);
    if (!relayHosts(twin.relay).some((h) => domains.has(h.toLowerCase()))) {
      await federate(env, bytes, twin.relay);
      return;
    }
    if (hasFailFast(env)) throw new RmbError(RELAY_ERRORS.OFFLINE);
    hold(dst, env, bytes);
  }

  function onConnection(ws: WebSocket, claims: RelayClaims): void {
    const address: RmbAddress = claims.sid ? { twin: claims.sub, connection: claims.sid } : { twin: claims.sub };
    const conn: Conn = { key: sessionKey(address), address, ws, alive: true };
    ws.on('pong', () => (conn.alive = true));
    const old = sessions.get(conn.key);
    if (old) {
      log.debug('evicting older connection of session', { session: formatAddress(address) });
      old.ws.close(RELAY_CLOSE.EVICTED, 'session replaced by a newer connection');
    }
    sessions.set(conn.key, conn);
    log.debug('peer connected', { session: formatAddress(address) });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true;
      if (!isBinary) {
        ws.close(RELAY_CLOSE.TEXT_FRAME, 'text frames are not supported');
        return;
      }
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let env: Envelope;
      try {
        env = decodeEnvelope(bytes);
      } catch (err) {
        log.debug('dropping connection after an undecodable envelope', { session: formatAddress(address), error: errorText(err) });
        ws.close(RELAY_CLOSE.BAD_ENVELOPE, 'failed to load input message');
        return;
      }
      if (!withinLimits(address.twin, bytes.length)) {
        replyError(address, env, RELAY_ERRORS.RATE_LIMITED);
        return;
      }
      route(conn, env, bytes).catch((err) => replyError(address, env, errorText(err)));
    });
    ws.on('close', () => {
      if (sessions.get(conn.key) === conn) sessions.delete(conn.key);
    });
    ws.on('error', (err) => log.debug('connection error', { session: formatAddress(address), error: err.message }));
    flushHeld(conn);
  }

  // --- HTTP: upgrade (login) and federation POST --------------------------------------------------------------

  function refuse(socket: Duplex, status: number, text: string): void {
    const reason = http.STATUS_CODES[status] ?? 'Error';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    login(req, socket, head).catch((err) => {
      log.warn('login failed unexpectedly', { error: errorText(err) });
      if (socket.writable) refuse(socket, 500, `relay error: ${errorText(err)}`);
    });
  });

  async function login(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (closing) return refuse(socket, 503, 'relay is shutting down');
    const url = req.url ?? '';
    const q = url.indexOf('?');
    let jwt = q >= 0 ? url.slice(q + 1) : '';
    try {
      jwt = decodeURIComponent(jwt);
    } catch {
      return refuse(socket, 401, 'invalid jwt: not URL-decodable');
    }
    if (!jwt) return refuse(socket, 400, 'missing jwt');
    let claims: RelayClaims;
    try {
      claims = parseRelayJwt(jwt, nowS());
    } catch (err) {
      return refuse(socket, 401, errorText(err));
    }
    let twin;
    try {
      twin = await opts.directory.getTwin(claims.sub);
    } catch (err) {
      return refuse(socket, 500, `failed to get twin: ${errorText(err)}`);
    }
    if (!twin) return refuse(socket, 401, `twin not found ${claims.sub}`);
    if (!verifyRelayJwt(jwt, twin.publicKey)) return refuse(socket, 401, 'invalid jwt: signature does not match the twin key');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, claims));
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
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
      if (deliverLocal(env.destination, bytes)) {
        res.writeHead(202).end();
        return;
      }
      if (hasFailFast(env)) {
        res.writeHead(404).end(RELAY_ERRORS.OFFLINE);
        return;
      }
      hold(env.destination, env, bytes);
      res.writeHead(202).end();
    });
  });

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
    stats: () => ({ connections: sessions.size, held: [...held.values()].reduce((n, q) => n + q.length, 0), ...counters }),
    async close() {
      closing = true;
      clearInterval(sweep);
      clearInterval(heartbeat);
      for (const c of sessions.values()) c.ws.terminate();
      sessions.clear();
      held.clear();
      await new Promise<void>((resolve) => {
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
