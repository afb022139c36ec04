/**
 * The relay side of an RMB peer (rmb-tfchain.md §A4, §A13): one WebSocket per relay URL, logged in with a fresh
 * JWT on every (re)connect; WebSocket ping every `keepaliveMs`, reconnect when nothing was read for two periods;
 * exponential backoff with jitter; a relay that evicts the session (a newer connection of it) is left alone.
 * Frames sent while no relay is open wait in an outbox until one opens (while still valid). What else must go
 * out again when a connection opens (calls in flight) is the caller's business, reached through `resend`.
 * @module
 */
import WebSocket, { type RawData } from 'ws';
import type { Clock } from '../common/clock';
import { RmbError } from '../common/errors';
import type { Identity } from '../common/identity';
import type { Logger } from '../common/log';
import { formatAddress, type RmbAddress } from './envelope';
import { createRelayJwt } from './jwt';
import { RELAY_CLOSE } from './relay-protocol';
import { coalesceWrites } from './ws-coalesce';

/** One relay URL's connection state. The peer's caller reads `open`/`ws` to send and to re-send after a drop. */
export interface RelayConnection {
  url: string;
  ws?: WebSocket;
  open: boolean;
  attempts: number;
  lastSeen: number;
  lastError?: string;
  retry?: NodeJS.Timeout;
  /** The relay handed this session to a newer connection: do not fight it. */
  evicted: boolean;
  /** Ever logged in: a refusal after that is a restart, waited out; before it, a wrong URL, reported at once. */
  everOpen?: boolean;
  /** Why the last attempt was answered with a no (refused, no such host, HTTP reply), until the next open. */
  refused?: string;
  /** Corks the socket for the rest of this event-loop turn (`ws-coalesce.ts`); set once the upgrade succeeded. */
  coalesce?: () => void;
}

/** Sends `bytes` on `c`'s socket, coalesced with the other frames of this turn. */
export function sendOn(c: RelayConnection, bytes: Uint8Array): void {
  c.coalesce?.();
  c.ws?.send(bytes);
}

export interface RelayLinksOptions {
  identity: Identity;
  twinId: number;
  /** JWT `sid`; `''` for none. */
  session: string;
  /** This peer's address (for the eviction message). */
  me: RmbAddress;
  relayUrls: string[];
  keepaliveMs: number;
  handshakeTimeoutMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  jwtTtlS: number;
  clock: Clock;
  log: Logger;
  nowS(): number;
  /** Every frame read from any relay. */
  onFrame(bytes: Buffer): void;
  /** `c` is open and carries what waits: send whatever is not on an open connection yet. */
  resend(c: RelayConnection): void;
  /** `c` closed: nothing sent through it will be answered through it. */
  dropped(c: RelayConnection): void;
}

export interface RelayLinks {
  /** An open connection to send on, if any. */
  openConn(): RelayConnection | undefined;
  /** Sends on an open connection, or keeps `bytes` until one opens (dropped once `deadlineS` passed). */
  sendOrQueue(bytes: Uint8Array, deadlineS: number): void;
  /** Every relay answered no and none was ever open: the URLs are wrong, waiting cannot help. */
  allRefused(): string | undefined;
  /** Each relay's last error (or `connecting`), for error texts. */
  describe(): string;
  ready(timeoutMs: number): Promise<void>;
  connected(): number;
  /** Stops reconnecting and closes every connection. */
  close(): Promise<void>;
}

/** Socket errors that are an answer (nothing listens, no such host), not silence. */
const REFUSAL_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The fix named when no relay accepts connections. */
export const RELAY_URL_FIX = 'check tfgrid:relayUrls (an RMB relay websocket such as ws://127.0.0.1:8080)';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * `ready()` callers: resolved when a connection opens, failed at once when every relay refused before ever
 * logging in, else after their timeout with each relay's last error.
 */
function createReadyWaiters(twinId: number) {
  const openWaiters: (() => void)[] = [];
  const refusalWaiters: ((why: string) => void)[] = [];
  return {
    opened: () => openWaiters.splice(0).forEach((w) => w()),
    allRefused: (all: string) => refusalWaiters.splice(0).forEach((w) => w(all)),
    wait(timeoutMs: number, describe: () => string, allRefused: string | undefined): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          const i = openWaiters.indexOf(done);
          if (i >= 0) openWaiters.splice(i, 1);
          reject(new RmbError(`rmb peer of twin ${twinId}: no relay connection after ${timeoutMs} ms: ${describe()}`, { twin: twinId }));
        }, timeoutMs);
        const done = () => {
          clearTimeout(t);
          resolve();
        };
        openWaiters.push(done);
        const refused = (why: string) => {
          clearTimeout(t);
          const i = openWaiters.indexOf(done);
          if (i >= 0) openWaiters.splice(i, 1);
          reject(new RmbError(`rmb peer of twin ${twinId}: no relay accepts connections (${why})`, { twin: twinId, fix: RELAY_URL_FIX }));
        };
        if (allRefused) refused(allRefused);
        else refusalWaiters.push(refused);
      });
    },
  };
}

/** Stops reconnecting `c` and closes its socket (terminated after 1 s without a close handshake). */
function closeOne(c: RelayConnection): Promise<void> {
  return new Promise<void>((resolve) => {
    if (c.retry) clearTimeout(c.retry);
    const ws = c.ws;
    c.open = false;
    if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(1000, 'peer closing');
    setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1000).unref();
  });
}

/** Opens a connection to every relay URL and keeps them open until `close`. */
export function createRelayLinks(opts: RelayLinksOptions): RelayLinks {
  const { clock, log, nowS } = opts;
  const conns: RelayConnection[] = opts.relayUrls.map((url) => ({ url, open: false, attempts: 0, lastSeen: 0, evicted: false }));
  /** Replies that could not be sent while no relay was open; flushed on reconnect while still valid. */
  const outbox: { bytes: Uint8Array; deadlineS: number }[] = [];
  const waiters = createReadyWaiters(opts.twinId);
  let closed = false;

  function allRefused(): string | undefined {
    if (!conns.every((c) => !c.everOpen && c.refused)) return undefined;
    return conns.map((c) => `${c.url}: ${c.refused}`).join('; ');
  }

  function noteRefusal(c: RelayConnection, why: string): void {
    c.refused = why;
    const all = allRefused();
    if (all) waiters.allRefused(all);
  }

  function loginUrl(url: string): string {
    const jwt = createRelayJwt(opts.identity, opts.twinId, { nowS: nowS(), ttlS: opts.jwtTtlS, sid: opts.session || undefined });
    return `${url.replace(/\?$/, '')}?${jwt}`;
  }

  function connect(c: RelayConnection): void {
    if (closed) return;
    c.retry = undefined;
    const ws = new WebSocket(loginUrl(c.url), { perMessageDeflate: false, handshakeTimeout: opts.handshakeTimeoutMs });
    c.ws = ws;
    ws.binaryType = 'nodebuffer';
    c.coalesce = undefined;
    ws.on('upgrade', (res) => (c.coalesce = coalesceWrites(res.socket)));
    ws.on('open', () => {
      c.open = true;
      c.attempts = 0;
      c.lastSeen = clock.now();
      c.lastError = undefined;
      c.everOpen = true;
      c.refused = undefined;
      log.debug('connected to relay', { relay: c.url });
      flush(c);
      waiters.opened();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        c.lastError = `relay ${c.url} refused the login: HTTP ${res.statusCode}${body ? ` ${body}` : ''}`;
        log.warn('relay refused login', { relay: c.url, status: res.statusCode, body });
        const status = `HTTP ${res.statusCode}${body ? ` ${body.slice(0, 200)}` : ''}`;
        // 401/403: a relay that read the JWT and said no (unknown twin, bad signature, expired); anything else is not a relay login
        noteRefusal(c, res.statusCode === 401 || res.statusCode === 403 ? `refused the login: ${status}` : `answered ${status} instead of a relay login (is it an RMB relay's websocket URL?)`);
      });
      ws.terminate();
    });
    ws.on('message', (data: RawData) => {
      c.lastSeen = clock.now();
      opts.onFrame(toBuffer(data));
    });
    ws.on('pong', () => (c.lastSeen = clock.now()));
    ws.on('error', (err: Error & { code?: string }) => {
      c.lastError = c.lastError ?? `relay ${c.url}: ${err.message}`;
      if (err.code && REFUSAL_CODES.has(err.code)) noteRefusal(c, `${err.code === 'ECONNREFUSED' ? 'connection refused' : 'unreachable'} (${err.message})`);
    });
    ws.on('close', (code: number, reason: Buffer) => onClose(c, ws, code, reason));
  }

  function onClose(c: RelayConnection, ws: WebSocket, code: number, reason: Buffer): void {
    if (c.ws !== ws) return;
    const wasOpen = c.open;
    c.open = false;
    c.ws = undefined;
    opts.dropped(c);
    if (code === RELAY_CLOSE.EVICTED) {
      c.evicted = true;
      c.lastError = `relay ${c.url} evicted this connection: session ${formatAddress(opts.me)} was opened elsewhere`;
      log.warn('evicted by a newer connection of the same session; not reconnecting', { relay: c.url, session: opts.session });
      return;
    }
    if (wasOpen) log.debug('relay connection closed', { relay: c.url, code, reason: reason.toString() });
    // calls sent through this relay go out again on another open one
    const other = conns.find((o) => o.open);
    if (other) flush(other);
    schedule(c);
  }

  function schedule(c: RelayConnection): void {
    if (closed || c.retry) return;
    const base = Math.min(opts.maxBackoffMs, opts.minBackoffMs * 2 ** c.attempts);
    c.attempts++;
    c.retry = setTimeout(() => connect(c), base * (0.5 + Math.random() / 2));
  }

  function openConn(): RelayConnection | undefined {
    return conns.find((c) => c.open && c.ws && c.ws.readyState === WebSocket.OPEN);
  }

  function flush(c: RelayConnection): void {
    if (!c.ws) return;
    const now = nowS();
    for (const o of outbox.splice(0)) if (o.deadlineS > now) sendOn(c, o.bytes);
    opts.resend(c);
  }

  const keepaliveTimer = setInterval(() => {
    const now = clock.now();
    for (const c of conns) {
      if (!c.open || !c.ws) continue;
      if (now - c.lastSeen > 2 * opts.keepaliveMs) {
        log.warn('relay silent for two keepalive periods; reconnecting', { relay: c.url });
        c.ws.terminate();
      } else c.ws.ping();
    }
  }, opts.keepaliveMs);
  keepaliveTimer.unref();

  const describe = () => conns.map((c) => c.lastError ?? `${c.url}: connecting`).join('; ');

  for (const c of conns) connect(c);

  return {
    openConn,
    sendOrQueue(bytes, deadlineS) {
      const c = openConn();
      if (c?.ws) sendOn(c, bytes);
      else outbox.push({ bytes, deadlineS });
    },
    allRefused,
    describe,
    ready: (timeoutMs) => (openConn() ? Promise.resolve() : waiters.wait(timeoutMs, describe, allRefused())),
    connected: () => conns.filter((c) => c.open).length,
    async close() {
      closed = true;
      clearInterval(keepaliveTimer);
      await Promise.all(conns.map(closeOne));
    },
  };
}
