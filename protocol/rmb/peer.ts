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
 * @module
 */
import { randomBytes, randomUUID } from 'crypto';
import WebSocket, { type RawData } from 'ws';
import type { Clock } from '../common/clock';
import { systemClock } from '../common/clock';
import { errorText, RmbError } from '../common/errors';
import type { Identity } from '../common/identity';
import type { Logger } from '../common/log';
import { silentLogger } from '../common/log';
import { e2eDecryptWithKey, e2eEncryptWithKey, e2ePublicKey, e2eSharedKey } from './e2e';
import {
  deadlineOf,
  decodeEnvelope,
  encodeEnvelope,
  formatAddress,
  isExpired,
  JSON_SCHEMA,
  RMB_ERROR_CODE,
  signEnvelope,
  toUnixSeconds,
  verifyEnvelope,
  type Envelope,
  type RmbAddress,
} from './envelope';
import { createRelayJwt } from './jwt';
import { RELAY_CLOSE } from './relay';
import type { TwinDirectory, TwinRecord } from './twin-directory';

/** Reply text of ZOS's router for a command nobody handles (rmb-sdk-go peer/router.go). */
export const FUNCTION_NOT_FOUND = 'function is not found';

/** A handler's result sent as this exact JSON text (for codecs that keep big integers). */
export class RawJson {
  constructor(readonly text: string) {}
}

export interface RequestContext {
  /** The authenticated sender (signature checked against its twin key). */
  source: RmbAddress;
  command: string;
  uid: string;
  /** The request body as received (after decryption), UTF-8; `''` when empty. */
  raw: string;
  /** The body came end-to-end encrypted (the reply is encrypted too). */
  encrypted: boolean;
}

/** Serves one command. Throw to reply an error whose text is the thrown message. */
export type RmbHandler = (payload: unknown, ctx: RequestContext) => unknown;

export interface CallOptions {
  /** Reply deadline (default: the peer's `timeoutMs`). Also the envelope's expiration, rounded up to seconds. */
  timeoutMs?: number;
  tags?: string;
  /** Encrypt when the destination publishes `pk` (default: the peer's `e2e`). */
  encrypt?: boolean;
}

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

interface Pending {
  uid: string;
  twin: number;
  command: string;
  bytes: Uint8Array;
  deadlineS: number;
  sentVia?: RelayConnection;
  timer: NodeJS.Timeout;
  resolve(text: string): void;
  reject(err: Error): void;
}

interface RelayConnection {
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
}

/** Socket errors that are an answer (nothing listens, no such host), not silence. */
const REFUSAL_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const SESSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomSession(): string {
  return [...randomBytes(10)].map((b) => SESSION_ALPHABET[b % SESSION_ALPHABET.length]).join('');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Creates a peer and starts connecting to every relay. */
export function createRmbPeer(opts: RmbPeerOptions): RmbPeer {
  const clock = opts.clock ?? systemClock;
  const session = opts.session ?? randomSession();
  const me: RmbAddress = session ? { twin: opts.twinId, connection: session } : { twin: opts.twinId };
  const log = (opts.log ?? silentLogger).child({ component: 'rmb-peer', twin: opts.twinId });
  const defaultTimeout = opts.timeoutMs ?? 30_000;
  const keepalive = opts.keepaliveMs ?? 20_000;
  const handshakeTimeout = opts.handshakeTimeoutMs ?? Math.min(10_000, Math.max(1_000, 2 * keepalive));
  const minBackoff = opts.reconnect?.minMs ?? 100;
  const maxBackoff = opts.reconnect?.maxMs ?? 5_000;
  const e2e = opts.e2e ?? true;
  const myPk = e2ePublicKey(opts.identity.seed);
  const nowS = () => toUnixSeconds(clock.now());
  /** ECDH results per peer pk (hex): the curve math costs far more than AES. */
  const sharedKeys = new Map<string, Uint8Array>();
  const sharedKey = (pk: Uint8Array): Uint8Array => {
    const k = Buffer.from(pk).toString('hex');
    let key = sharedKeys.get(k);
    if (!key) {
      key = e2eSharedKey(opts.identity.seed, pk);
      if (sharedKeys.size > 10_000) sharedKeys.clear();
      sharedKeys.set(k, key);
    }
    return key;
  };

  const pending = new Map<string, Pending>();
  const handlers = new Map<string, RmbHandler>();
  /** Replies that could not be sent while no relay was open; flushed on reconnect while still valid. */
  const outbox: { bytes: Uint8Array; deadlineS: number }[] = [];
  const conns: RelayConnection[] = opts.relayUrls.map((url) => ({ url, open: false, attempts: 0, lastSeen: 0, evicted: false }));
  const openWaiters: (() => void)[] = [];
  /** `ready()` callers to fail at once when every relay refused before ever logging in. */
  const refusalWaiters: ((why: string) => void)[] = [];

  /** Every relay answered no and none was ever open: the URLs are wrong, waiting cannot help. */
  function allRefused(): string | undefined {
    if (!conns.every((c) => !c.everOpen && c.refused)) return undefined;
    return conns.map((c) => `${c.url}: ${c.refused}`).join('; ');
  }

  function noteRefusal(c: RelayConnection, why: string): void {
    c.refused = why;
    const all = allRefused();
    if (all) refusalWaiters.splice(0).forEach((w) => w(all));
  }
  let closed = false;

  if (conns.length === 0) throw new RmbError('rmb peer needs at least one relay URL', { twin: opts.twinId, fix: 'pass relayUrls, e.g. ["ws://127.0.0.1:8080"]' });

  // --- connections -------------------------------------------------------------------------------------------

  function loginUrl(url: string): string {
    const jwt = createRelayJwt(opts.identity, opts.twinId, { nowS: nowS(), ttlS: opts.jwtTtlS ?? 60, sid: session || undefined });
    return `${url.replace(/\?$/, '')}?${jwt}`;
  }

  function connect(c: RelayConnection): void {
    if (closed) return;
    c.retry = undefined;
    const ws = new WebSocket(loginUrl(c.url), { perMessageDeflate: false, handshakeTimeout: handshakeTimeout });
    c.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      c.open = true;
      c.attempts = 0;
      c.lastSeen = clock.now();
      c.lastError = undefined;
      c.everOpen = true;
      c.refused = undefined;
      log.debug('connected to relay', { relay: c.url });
      flush(c);
      openWaiters.splice(0).forEach((w) => w());
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
      onFrame(toBuffer(data));
    });
    ws.on('pong', () => (c.lastSeen = clock.now()));
    ws.on('error', (err: Error & { code?: string }) => {
      c.lastError = c.lastError ?? `relay ${c.url}: ${err.message}`;
      if (err.code && REFUSAL_CODES.has(err.code)) noteRefusal(c, `${err.code === 'ECONNREFUSED' ? 'connection refused' : 'unreachable'} (${err.message})`);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (c.ws !== ws) return;
      const wasOpen = c.open;
      c.open = false;
      c.ws = undefined;
      for (const p of pending.values()) if (p.sentVia === c) p.sentVia = undefined;
      if (code === RELAY_CLOSE.EVICTED) {
        c.evicted = true;
        c.lastError = `relay ${c.url} evicted this connection: session ${formatAddress(me)} was opened elsewhere`;
        log.warn('evicted by a newer connection of the same session; not reconnecting', { relay: c.url, session });
        return;
      }
      if (wasOpen) log.debug('relay connection closed', { relay: c.url, code, reason: reason.toString() });
      // calls sent through this relay go out again on another open one
      const other = conns.find((o) => o.open);
      if (other) flush(other);
      schedule(c);
    });
  }

  function schedule(c: RelayConnection): void {
    if (closed || c.retry) return;
    const base = Math.min(maxBackoff, minBackoff * 2 ** c.attempts);
    c.attempts++;
    c.retry = setTimeout(() => connect(c), base * (0.5 + Math.random() / 2));
  }

  function openConn(): RelayConnection | undefined {
    return conns.find((c) => c.open && c.ws && c.ws.readyState === WebSocket.OPEN);
  }

  function flush(c: RelayConnection): void {
    if (!c.ws) return;
    const now = nowS();
    for (const o of outbox.splice(0)) if (o.deadlineS > now) c.ws.send(o.bytes);
    for (const p of pending.values()) {
      if (p.sentVia && p.sentVia.open) continue;
      if (p.deadlineS <= now) continue;
      p.sentVia = c;
      c.ws.send(p.bytes);
    }
  }

  const keepaliveTimer = setInterval(() => {
    const now = clock.now();
    for (const c of conns) {
      if (!c.open || !c.ws) continue;
      if (now - c.lastSeen > 2 * keepalive) {
        log.warn('relay silent for two keepalive periods; reconnecting', { relay: c.url });
        c.ws.terminate();
      } else c.ws.ping();
    }
  }, keepalive);
  keepaliveTimer.unref();

  for (const c of conns) connect(c);

  // --- sending -----------------------------------------------------------------------------------------------

  async function twinOrFail(id: number, command: string): Promise<TwinRecord> {
    let twin: TwinRecord | undefined;
    try {
      twin = await opts.directory.getTwin(id);
    } catch (err) {
      throw new RmbError(`rmb ${command} to twin ${id}: twin lookup failed: ${errorText(err)}`, { twin: id, command }, { cause: err });
    }
    if (!twin) throw new RmbError(`rmb ${command} to twin ${id}: no such twin on the chain`, { twin: id, command, fix: 'check the twin id (a node is addressed by its twin id, not its node id)' });
    return twin;
  }

  function sendOrQueue(bytes: Uint8Array, deadlineS: number): void {
    const c = openConn();
    if (c?.ws) c.ws.send(bytes);
    else outbox.push({ bytes, deadlineS });
  }

  async function callRaw(twin: number, command: string, body: string | undefined, callOpts: CallOptions = {}): Promise<string> {
    if (closed) throw new RmbError(`rmb ${command} to twin ${twin}: peer is closed`, { twin, command });
    const timeoutMs = callOpts.timeoutMs ?? defaultTimeout;
    const refusedBy = openConn() ? undefined : allRefused();
    if (refusedBy) {
      throw new RmbError(`rmb ${command} to twin ${twin}: no relay accepts connections (${refusedBy})`, { twin, command, fix: 'check tfgrid:relayUrls (an RMB relay websocket such as ws://127.0.0.1:8080)' });
    }
    const started = clock.now();
    // the deadline covers the twin lookup too (a chain that does not answer must not hang the call)
    let lookupTimer: NodeJS.Timeout | undefined;
    const dest = await Promise.race([
      twinOrFail(twin, command),
      new Promise<never>((_, reject) => {
        lookupTimer = setTimeout(() => reject(new RmbError(`rmb ${command} to twin ${twin}: twin lookup gave no answer within ${timeoutMs / 1000}s`, { twin, command })), timeoutMs);
      }),
    ]).finally(() => clearTimeout(lookupTimer));
    const remainingMs = Math.max(1, timeoutMs - (clock.now() - started));
    const plain = Buffer.from(body ?? '', 'utf8');
    const encrypt = (callOpts.encrypt ?? e2e) && dest.pk !== undefined && dest.pk.length > 0 && plain.length > 0;
    const uid = randomUUID();
    const ts = nowS();
    let env: Envelope = {
      uid,
      timestamp: ts,
      expiration: Math.max(1, Math.ceil(timeoutMs / 1000)),
      source: me,
      destination: { twin },
      request: { command },
      schema: JSON_SCHEMA,
    };
    if (callOpts.tags) env.tags = callOpts.tags;
    if (encrypt && dest.pk) env.cipher = e2eEncryptWithKey(sharedKey(dest.pk), plain);
    else env.plain = plain;
    if (opts.relays && opts.relays.length) env.relays = opts.relays;
    env = signEnvelope(env, opts.identity);
    const bytes = encodeEnvelope(env);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(uid);
        const relayState = openConn() ? '' : `; not connected to any relay (${conns.map((c) => c.lastError ?? `${c.url}: connecting`).join('; ')})`;
        reject(
          new RmbError(`rmb ${command} to twin ${twin}: no reply within ${Math.round(timeoutMs / 100) / 10}s${relayState}`, {
            twin,
            command,
            uid,
            fix: 'check that the node is online and that it and you use the same relay/chain',
          }),
        );
      }, remainingMs);
      const p: Pending = { uid, twin, command, bytes, deadlineS: ts + env.expiration, timer, resolve, reject };
      pending.set(uid, p);
      const c = openConn();
      if (c?.ws) {
        p.sentVia = c;
        c.ws.send(bytes);
      }
    });
  }

  // --- receiving ---------------------------------------------------------------------------------------------

  function onFrame(bytes: Buffer): void {
    let env: Envelope;
    try {
      env = decodeEnvelope(bytes);
    } catch (err) {
      log.warn('dropping undecodable frame', { error: errorText(err) });
      return;
    }
    const failed = (err: unknown) => log.error('failed to handle an envelope; please report this', { uid: env.uid, error: errorText(err) });
    if (env.request) serve(env).catch(failed);
    else if (env.response || env.error) onReply(env).catch(failed);
  }

  async function onReply(env: Envelope): Promise<void> {
    const p = pending.get(env.uid);
    if (!p) return;
    if (env.source.twin !== 0 && env.source.twin !== p.twin) {
      log.warn('dropping reply from a twin that was not asked', { uid: env.uid, from: env.source.twin, asked: p.twin });
      return;
    }
    let sender: TwinRecord | undefined;
    if (env.source.twin !== 0) {
      try {
        sender = await opts.directory.getTwin(env.source.twin);
      } catch (err) {
        log.warn('cannot look up the replying twin; dropping reply', { uid: env.uid, twin: env.source.twin, error: errorText(err) });
        return;
      }
      if (!sender || !verifyEnvelope(env, sender.publicKey)) {
        log.warn('dropping reply with an invalid signature', { uid: env.uid, twin: env.source.twin, command: p.command });
        return;
      }
    }
    if (!pending.has(env.uid)) return; // answered while we verified
    pending.delete(env.uid);
    clearTimeout(p.timer);
    if (env.error) {
      const from = env.source.twin === 0 ? 'the relay' : `twin ${env.source.twin}`;
      p.reject(
        new RmbError(`rmb ${p.command} to twin ${p.twin}: ${from} replied with an error: ${env.error.message}`, {
          twin: p.twin,
          command: p.command,
          uid: p.uid,
          code: env.error.code,
          nodeMessage: env.error.message,
          fromRelay: env.source.twin === 0,
        }),
      );
      return;
    }
    try {
      let body: Uint8Array = env.plain ?? new Uint8Array();
      if (env.cipher && env.cipher.length) {
        if (!sender?.pk) throw new RmbError('reply is encrypted but the sender publishes no pk', { code: RMB_ERROR_CODE.NO_PUBLIC_KEY });
        body = e2eDecryptWithKey(sharedKey(sender.pk), env.cipher);
      }
      p.resolve(Buffer.from(body).toString('utf8'));
    } catch (err) {
      p.reject(new RmbError(`rmb ${p.command} to twin ${p.twin}: cannot read the reply: ${errorText(err)}`, { twin: p.twin, command: p.command }, { cause: err }));
    }
  }

  function reply(req: Envelope, result: { body: string; cipherFor?: Uint8Array } | { code: number; message: string }): Uint8Array {
    let env: Envelope = {
      uid: req.uid,
      timestamp: nowS(),
      expiration: 300,
      source: me,
      destination: { ...req.source },
      schema: JSON_SCHEMA,
    };
    if ('body' in result) {
      env.response = {};
      const plain = Buffer.from(result.body, 'utf8');
      if (result.cipherFor) env.cipher = e2eEncryptWithKey(sharedKey(result.cipherFor), plain);
      else env.plain = plain;
    } else env.error = { code: result.code, message: result.message };
    env = signEnvelope(env, opts.identity);
    const bytes = encodeEnvelope(env);
    sendOrQueue(bytes, env.timestamp + env.expiration);
    return bytes;
  }

  /**
   * Requests served recently, by sender session and uid. A requester re-sends calls in flight after a
   * reconnect; a repeat must not run the handler again (a second `zos.deployment.deploy` would fail although
   * the first worked): while the first runs the repeat is ignored, after it the same signed reply is re-sent.
   */
  const served = new Map<string, { untilS: number; reply?: Uint8Array }>();
  const SERVED_MAX = 10_000;

  function rememberServed(key: string, untilS: number): { untilS: number; reply?: Uint8Array } {
    const now = nowS();
    for (const [k, v] of served) {
      if (served.size < SERVED_MAX && v.untilS > now) break;
      served.delete(k);
    }
    const entry = { untilS };
    served.set(key, entry);
    return entry;
  }

  async function serve(req: Envelope): Promise<void> {
    const command = req.request?.command ?? '';
    if (req.source.twin === 0) return;
    const fail = (code: number, message: string) => {
      log.debug('refusing request', { uid: req.uid, from: formatAddress(req.source), command, code, message });
      reply(req, { code, message });
    };
    if (isExpired(req, nowS())) return fail(RMB_ERROR_CODE.VALIDATION, 'message has expired');
    let sender: TwinRecord | undefined;
    try {
      sender = await opts.directory.getTwin(req.source.twin);
    } catch (err) {
      return fail(RMB_ERROR_CODE.INTERNAL, `failed to get twin ${req.source.twin}: ${errorText(err)}`);
    }
    if (!sender) return fail(RMB_ERROR_CODE.UNKNOWN_TWIN, `unknown twin ${req.source.twin}`);
    if (!verifyEnvelope(req, sender.publicKey)) return fail(RMB_ERROR_CODE.INVALID_SIGNATURE, 'invalid signature');
    const servedKey = `${formatAddress(req.source)}/${req.uid}`;
    const previous = served.get(servedKey);
    if (previous && previous.untilS > nowS()) {
      log.debug('repeated request', { uid: req.uid, from: formatAddress(req.source), command, answered: !!previous.reply });
      if (previous.reply) sendOrQueue(previous.reply, previous.untilS);
      return;
    }
    const entry = rememberServed(servedKey, deadlineOf(req));
    const answer = (result: Parameters<typeof reply>[1]) => {
      entry.reply = reply(req, result);
    };
    const answerFail = (code: number, message: string) => answer({ code, message });
    if ((req.schema ?? '') !== JSON_SCHEMA) return answerFail(RMB_ERROR_CODE.INVALID_PAYLOAD, `unsupported schema '${req.schema ?? ''}', expected ${JSON_SCHEMA}`);
    let body: Uint8Array = req.plain ?? new Uint8Array();
    const encrypted = req.cipher !== undefined && req.cipher.length > 0;
    if (encrypted && req.cipher) {
      if (!e2e) return answerFail(RMB_ERROR_CODE.E2E, 'this peer does not accept encrypted payloads');
      if (!sender.pk || sender.pk.length === 0) return answerFail(RMB_ERROR_CODE.NO_PUBLIC_KEY, `twin ${sender.id} has no public key for encryption`);
      try {
        body = e2eDecryptWithKey(sharedKey(sender.pk), req.cipher);
      } catch (err) {
        return answerFail(RMB_ERROR_CODE.E2E, errorText(err));
      }
    }
    const handler = handlers.get(command);
    if (!handler) return answerFail(0, FUNCTION_NOT_FOUND);
    const raw = Buffer.from(body).toString('utf8');
    let payload: unknown;
    if (raw.trim().length > 0) {
      try {
        payload = JSON.parse(raw);
      } catch (err) {
        return answerFail(0, `invalid json payload: ${errorText(err)}`);
      }
    }
    try {
      const result = await handler(payload, { source: { ...req.source }, command, uid: req.uid, raw, encrypted });
      const text = result instanceof RawJson ? result.text : JSON.stringify(result === undefined ? null : result);
      answer({ body: text, cipherFor: encrypted ? sender.pk : undefined });
    } catch (err) {
      // the handler's text travels unchanged (ZOS error strings are matched by clients)
      answer({ code: 0, message: errorText(err) });
    }
  }

  // --- public ------------------------------------------------------------------------------------------------

  return {
    twinId: opts.twinId,
    session,
    e2ePublicKey: myPk,
    ready(timeoutMs = 10_000) {
      if (openConn()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          const i = openWaiters.indexOf(done);
          if (i >= 0) openWaiters.splice(i, 1);
          reject(new RmbError(`rmb peer of twin ${opts.twinId}: no relay connection after ${timeoutMs} ms: ${conns.map((c) => c.lastError ?? `${c.url}: connecting`).join('; ')}`, { twin: opts.twinId }));
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
          reject(new RmbError(`rmb peer of twin ${opts.twinId}: no relay accepts connections (${why})`, { twin: opts.twinId, fix: 'check tfgrid:relayUrls (an RMB relay websocket such as ws://127.0.0.1:8080)' }));
        };
        const all = allRefused();
        if (all) refused(all);
        else refusalWaiters.push(refused);
      });
    },
    async call<T>(twin: number, command: string, payload?: unknown, callOpts?: CallOptions): Promise<T> {
      const text = await callRaw(twin, command, payload === undefined ? undefined : JSON.stringify(payload), callOpts);
      if (text.trim() === '') return null as T;
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new RmbError(`rmb ${command} to twin ${twin}: reply is not JSON: ${errorText(err)}`, { twin, command }, { cause: err });
      }
    },
    callRaw,
    handle(command, handler) {
      handlers.set(command, handler);
    },
    connected: () => conns.filter((c) => c.open).length,
    inFlight: () => pending.size,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(keepaliveTimer);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new RmbError(`rmb ${p.command} to twin ${p.twin}: peer closed before the reply`, { twin: p.twin, command: p.command }));
      }
      pending.clear();
      await Promise.all(
        conns.map(
          (c) =>
            new Promise<void>((resolve) => {
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
            }),
        ),
      );
    },
  };
}
