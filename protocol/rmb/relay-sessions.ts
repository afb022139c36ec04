/**
 * The relay's logged-in sessions: one live connection per (twin, sid), a new login evicting the old one; binary
 * frames only (a text frame or an undecodable envelope drops the connection); a ping round every keepalive
 * period drops connections that stayed silent for a whole period, so a vanished peer does not keep its session
 * and swallow messages meant to be held.
 * @module
 */
import type { Duplex } from 'stream';
import type { WebSocket, RawData } from 'ws';
import { errorText } from '../common/errors';
import type { Logger } from '../common/log';
import { decodeEnvelope, formatAddress, type Envelope, type RmbAddress } from './envelope';
import { RELAY_CLOSE } from './relay-protocol';
import { coalesceWrites } from './ws-coalesce';

/** One logged-in connection. */
export interface Conn {
  key: string;
  address: RmbAddress;
  ws: WebSocket;
  /** Something arrived since the last keepalive round. */
  alive: boolean;
  /** Sends a frame, coalesced with the other frames written to this connection in this turn. */
  send(bytes: Uint8Array): void;
}

/** The key of a session: twin and connection id. */
export function sessionKey(a: RmbAddress): string {
  return `${a.twin}:${a.connection ?? ''}`;
}

export interface Sessions {
  /** Sends to the session's live connection; false when it has none. */
  deliverLocal(dst: RmbAddress, bytes: Uint8Array): boolean;
  /** Takes a logged-in WebSocket (over `socket`) as the session `address`; its envelopes go to `onEnvelope`. */
  attach(ws: WebSocket, socket: Duplex, address: RmbAddress, onEnvelope: (conn: Conn, env: Envelope, bytes: Buffer) => void): Conn;
  size(): number;
  /** Stops the keepalive and terminates every connection. */
  close(): void;
}

export function createSessions(opts: { log: Logger; keepaliveMs?: number; counters: { routed: number; logins: number } }): Sessions {
  const { log, counters } = opts;
  const sessions = new Map<string, Conn>();

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

  function attach(ws: WebSocket, socket: Duplex, address: RmbAddress, onEnvelope: (conn: Conn, env: Envelope, bytes: Buffer) => void): Conn {
    const coalesce = coalesceWrites(socket);
    const send = (bytes: Uint8Array) => {
      coalesce();
      ws.send(bytes);
    };
    const conn: Conn = { key: sessionKey(address), address, ws, alive: true, send };
    ws.on('pong', () => (conn.alive = true));
    const old = sessions.get(conn.key);
    if (old) {
      log.debug('evicting older connection of session', { session: formatAddress(address) });
      old.ws.close(RELAY_CLOSE.EVICTED, 'session replaced by a newer connection');
    }
    sessions.set(conn.key, conn);
    counters.logins++;
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
      onEnvelope(conn, env, bytes);
    });
    ws.on('close', () => {
      if (sessions.get(conn.key) === conn) sessions.delete(conn.key);
    });
    ws.on('error', (err) => log.debug('connection error', { session: formatAddress(address), error: err.message }));
    return conn;
  }

  return {
    deliverLocal(dst, bytes) {
      const conn = sessions.get(sessionKey(dst));
      if (!conn || conn.ws.readyState !== conn.ws.OPEN) return false;
      conn.send(bytes);
      counters.routed++;
      return true;
    },
    attach,
    size: () => sessions.size,
    close() {
      clearInterval(heartbeat);
      for (const c of sessions.values()) c.ws.terminate();
      sessions.clear();
    },
  };
}
