/**
 * An RMB peer, the direct client of rmb-tfchain.md §A13 that also serves requests (the node runtime's side):
 * - one WebSocket per relay URL, logged in with a fresh JWT (§A4) on every (re)connect; WebSocket ping every
 *   `keepaliveMs`, reconnect when nothing was read for two periods; exponential backoff with jitter;
 * - requests in flight are re-sent (same uid, same signed bytes) after a reconnect, so a relay restart loses
 *   nothing silently: each call ends with its reply or a timeout error naming the twin and the command;
 * - replies are matched by uid and must come from the twin asked (or the relay, twin 0), signed by its
 *   on-chain key; badly signed replies are dropped and logged;
 * - payloads are JSON (`application/json`), end-to-end encrypted when both twins publish `pk` (§A6);
 * - `handle(command, fn)` serves requests: unknown commands get `function is not found` (code 0), a thrown
 *   error's message travels unchanged, a handler returning nothing replies JSON `null` (§A.x).
 *
 * The concepts live in their own files: relay connections (`peer-connection.ts`), outgoing calls
 * (`peer-caller.ts`), serving requests (`peer-server.ts`); this file wires them and holds the public API.
 * @module
 */
import { randomBytes } from 'crypto';
import { systemClock } from '../common/clock';
import type { Clock } from '../common/clock';
import { errorText, RmbError } from '../common/errors';
import type { Identity } from '../common/identity';
import type { Logger } from '../common/log';
import { silentLogger } from '../common/log';
import { createSharedKeyCache, e2ePublicKey } from './e2e';
import { decodeEnvelope, toUnixSeconds, type Envelope, type RmbAddress } from './envelope';
import { createCaller, type CallOptions } from './peer-caller';
import { createRelayLinks } from './peer-connection';
import { createServer, type RmbHandler } from './peer-server';
import type { TwinDirectory } from './twin-directory';

export type { CallOptions } from './peer-caller';
export { FUNCTION_NOT_FOUND, RawJson, type RequestContext, type RmbHandler } from './peer-server';

export interface RmbPeerOptions {
  identity: Identity;
  twinId: number;
  relayUrls: string[];
  directory: TwinDirectory;
  /** Session id (JWT `sid`, address `connection`). Default: 10 random characters; `''` for none (rmb-peer style). */
  session?: string;
  /** Default reply deadline per call (default 30 s). */
  timeoutMs?: number;
  /** WebSocket ping period (default 20 s); no frame for two periods → reconnect. */
  keepaliveMs?: number;
  /** Give up on a login that gets no answer (default: two keepalive periods, 1..10 s). */
  handshakeTimeoutMs?: number;
  reconnect?: { minMs?: number; maxMs?: number };
  /** Lifetime of login tokens (default 60 s; only checked at login). */
  jwtTtlS?: number;
  /** Encrypt to twins that publish `pk` and accept encrypted requests (default true). */
  e2e?: boolean;
  /** Hosts to list in the envelopes' `relays` field (deprecated upstream; signed when present). */
  relays?: string[];
  clock?: Clock;
  log?: Logger;
}

export interface RmbPeer {
  readonly twinId: number;
  readonly session: string;
  /** This peer's e2e public key (33 bytes), to publish on chain as the twin's `pk`. */
  readonly e2ePublicKey: Uint8Array;
  /** Resolves once a relay connection is open; rejects after `timeoutMs` (default 10 s) with the last error. */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends a JSON request and resolves with the parsed JSON reply. */
  call<T = unknown>(twin: number, command: string, payload?: unknown, opts?: CallOptions): Promise<T>;
  /** Sends `body` as is (JSON text) and resolves with the reply text: for codecs that keep big integers. */
  callRaw(twin: number, command: string, body: string | undefined, opts?: CallOptions): Promise<string>;
  handle(command: string, handler: RmbHandler): void;
  /** Number of open relay connections. */
  connected(): number;
  /** Calls waiting for a reply. */
  inFlight(): number;
  /** Rejects calls in flight, closes connections, stops reconnecting. */
  close(): Promise<void>;
}

const SESSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSession(): string {
  return [...randomBytes(10)].map((b) => SESSION_ALPHABET[b % SESSION_ALPHABET.length]).join('');
}

/** Creates a peer and starts connecting to every relay. */
export function createRmbPeer(opts: RmbPeerOptions): RmbPeer {
  const clock = opts.clock ?? systemClock;
  const session = opts.session ?? randomSession();
  const me: RmbAddress = session ? { twin: opts.twinId, connection: session } : { twin: opts.twinId };
  const log = (opts.log ?? silentLogger).child({ component: 'rmb-peer', twin: opts.twinId });
  const keepaliveMs = opts.keepaliveMs ?? 20_000;
  const e2e = opts.e2e ?? true;
  const nowS = () => toUnixSeconds(clock.now());
  const myPk = e2ePublicKey(opts.identity.seed);
  const sharedKey = createSharedKeyCache(opts.identity.seed);
  if (opts.relayUrls.length === 0) throw new RmbError('rmb peer needs at least one relay URL', { twin: opts.twinId, fix: 'pass relayUrls, e.g. ["ws://127.0.0.1:8080"]' });

  function onFrame(bytes: Buffer): void {
    let env: Envelope;
    try {
      env = decodeEnvelope(bytes);
    } catch (err) {
      log.warn('dropping undecodable frame', { error: errorText(err) });
      return;
    }
    const failed = (err: unknown) => log.error('failed to handle an envelope; please report this', { uid: env.uid, error: errorText(err) });
    if (env.request) server.serve(env).catch(failed);
    else if (env.response || env.error) caller.onReply(env).catch(failed);
  }

  // The hooks reach `caller` and `server` only from socket events, which fire after this function returns.
  const links = createRelayLinks({
    identity: opts.identity,
    twinId: opts.twinId,
    session,
    me,
    relayUrls: opts.relayUrls,
    keepaliveMs,
    handshakeTimeoutMs: opts.handshakeTimeoutMs ?? Math.min(10_000, Math.max(1_000, 2 * keepaliveMs)),
    minBackoffMs: opts.reconnect?.minMs ?? 100,
    maxBackoffMs: opts.reconnect?.maxMs ?? 5_000,
    jwtTtlS: opts.jwtTtlS ?? 60,
    clock,
    log,
    nowS,
    onFrame,
    resend: (c) => caller.resend(c),
    dropped: (c) => caller.dropped(c),
  });
  const caller = createCaller({
    identity: opts.identity,
    me,
    directory: opts.directory,
    timeoutMs: opts.timeoutMs ?? 30_000,
    e2e,
    relays: opts.relays,
    sharedKey,
    clock,
    log,
    nowS,
    links,
  });
  const server = createServer({ identity: opts.identity, me, directory: opts.directory, e2e, sharedKey, log, nowS, sendOrQueue: links.sendOrQueue });
  let closed = false;

  return {
    twinId: opts.twinId,
    session,
    e2ePublicKey: myPk,
    ready: (timeoutMs = 10_000) => links.ready(timeoutMs),
    async call<T>(twin: number, command: string, payload?: unknown, callOpts?: CallOptions): Promise<T> {
      const text = await caller.callRaw(twin, command, payload === undefined ? undefined : JSON.stringify(payload), callOpts);
      if (text.trim() === '') return null as T;
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new RmbError(`rmb ${command} to twin ${twin}: reply is not JSON: ${errorText(err)}`, { twin, command }, { cause: err });
      }
    },
    callRaw: caller.callRaw,
    handle: server.handle,
    connected: links.connected,
    inFlight: caller.inFlight,
    async close() {
      if (closed) return;
      closed = true;
      caller.close();
      await links.close();
    },
  };
}
