/**
 * The calling side of an RMB peer (rmb-tfchain.md §A13): builds and signs request envelopes, keeps the calls in
 * flight by uid until their reply or deadline, and matches replies.
 * - Calls in flight are re-sent (same uid, same signed bytes) on the next open connection after a drop, so a
 *   relay restart loses nothing silently: each call ends with its reply or a timeout naming twin and command.
 * - A reply must come from the twin asked (or the relay, twin 0) and be signed by its on-chain key; others are
 *   dropped and logged. Payloads are end-to-end encrypted when the destination publishes `pk` (§A6).
 * @module
 */
import { randomUUID } from 'crypto';
import type { Clock } from '../common/clock';
import { errorText, RmbError } from '../common/errors';
import type { Identity } from '../common/identity';
import type { Logger } from '../common/log';
import { e2eDecryptWithKey, e2eEncryptWithKey } from './e2e';
import { encodeEnvelope, JSON_SCHEMA, RMB_ERROR_CODE, signEnvelope, verifyEnvelope, type Envelope, type RmbAddress } from './envelope';
import { RELAY_URL_FIX, sendOn, type RelayConnection, type RelayLinks } from './peer-connection';
import type { TwinDirectory, TwinRecord } from './twin-directory';

export interface CallOptions {
  /** Reply deadline (default: the peer's `timeoutMs`). Also the envelope's expiration, rounded up to seconds. */
  timeoutMs?: number;
  tags?: string;
  /** Encrypt when the destination publishes `pk` (default: the peer's `e2e`). */
  encrypt?: boolean;
}

export interface CallerOptions {
  identity: Identity;
  me: RmbAddress;
  directory: TwinDirectory;
  /** Default reply deadline per call. */
  timeoutMs: number;
  /** Encrypt by default to twins that publish `pk`. */
  e2e: boolean;
  /** Hosts for the envelopes' `relays` field. */
  relays?: string[];
  sharedKey(pk: Uint8Array): Uint8Array;
  clock: Clock;
  log: Logger;
  nowS(): number;
  links: RelayLinks;
}

export interface Caller {
  callRaw(twin: number, command: string, body: string | undefined, opts?: CallOptions): Promise<string>;
  /** A reply or error envelope read from a relay. */
  onReply(env: Envelope): Promise<void>;
  /** Sends every call in flight not on an open connection through `c`. */
  resend(c: RelayConnection): void;
  /** `c` closed: its calls go out again on the next open connection. */
  dropped(c: RelayConnection): void;
  inFlight(): number;
  /** Refuses new calls and rejects those in flight. */
  close(): void;
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

async function twinOrFail(directory: TwinDirectory, id: number, command: string): Promise<TwinRecord> {
  let twin: TwinRecord | undefined;
  try {
    twin = await directory.getTwin(id);
  } catch (err) {
    throw new RmbError(`rmb ${command} to twin ${id}: twin lookup failed: ${errorText(err)}`, { twin: id, command }, { cause: err });
  }
  if (!twin) throw new RmbError(`rmb ${command} to twin ${id}: no such twin on the chain`, { twin: id, command, fix: 'check the twin id (a node is addressed by its twin id, not its node id)' });
  return twin;
}

/** The destination's record; the call's deadline covers the lookup too (a chain that does not answer must not hang it). */
async function lookupWithin(directory: TwinDirectory, twin: number, command: string, timeoutMs: number): Promise<TwinRecord> {
  let lookupTimer: NodeJS.Timeout | undefined;
  return Promise.race([
    twinOrFail(directory, twin, command),
    new Promise<never>((_, reject) => {
      lookupTimer = setTimeout(() => reject(new RmbError(`rmb ${command} to twin ${twin}: twin lookup gave no answer within ${timeoutMs / 1000}s`, { twin, command })), timeoutMs);
    }),
  ]).finally(() => clearTimeout(lookupTimer));
}

export function createCaller(opts: CallerOptions): Caller {
  const { clock, log, nowS, sharedKey, links } = opts;
  const pending = new Map<string, Pending>();
  let closed = false;

  function requestEnvelope(r: { uid: string; ts: number; twin: number; pk?: Uint8Array; command: string; body: string | undefined; timeoutMs: number; callOpts: CallOptions }): Envelope {
    const { uid, ts, twin, pk, command, timeoutMs, callOpts } = r;
    const plain = Buffer.from(r.body ?? '', 'utf8');
    const encrypt = (callOpts.encrypt ?? opts.e2e) && pk !== undefined && pk.length > 0 && plain.length > 0;
    const env: Envelope = {
      uid,
      timestamp: ts,
      expiration: Math.max(1, Math.ceil(timeoutMs / 1000)),
      source: opts.me,
      destination: { twin },
      request: { command },
      schema: JSON_SCHEMA,
    };
    if (callOpts.tags) env.tags = callOpts.tags;
    if (encrypt && pk) env.cipher = e2eEncryptWithKey(sharedKey(pk), plain);
    else env.plain = plain;
    if (opts.relays && opts.relays.length) env.relays = opts.relays;
    return signEnvelope(env, opts.identity);
  }

  async function callRaw(twin: number, command: string, body: string | undefined, callOpts: CallOptions = {}): Promise<string> {
    if (closed) throw new RmbError(`rmb ${command} to twin ${twin}: peer is closed`, { twin, command });
    const timeoutMs = callOpts.timeoutMs ?? opts.timeoutMs;
    const refusedBy = links.openConn() ? undefined : links.allRefused();
    if (refusedBy) throw new RmbError(`rmb ${command} to twin ${twin}: no relay accepts connections (${refusedBy})`, { twin, command, fix: RELAY_URL_FIX });
    const started = clock.now();
    const dest = await lookupWithin(opts.directory, twin, command, timeoutMs);
    const remainingMs = Math.max(1, timeoutMs - (clock.now() - started));
    const uid = randomUUID();
    const ts = nowS();
    const env = requestEnvelope({ uid, ts, twin, pk: dest.pk, command, body, timeoutMs, callOpts });
    const bytes = encodeEnvelope(env);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(uid);
        const relayState = links.openConn() ? '' : `; not connected to any relay (${links.describe()})`;
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
      const c = links.openConn();
      if (c?.ws) {
        p.sentVia = c;
        sendOn(c, bytes);
      }
    });
  }

  /** The replying twin's record, or undefined (logged) when the reply must be dropped; `null` for the relay. */
  async function verifiedSender(env: Envelope, p: Pending): Promise<TwinRecord | null | undefined> {
    if (env.source.twin === 0) return null;
    let sender: TwinRecord | undefined;
    try {
      sender = await opts.directory.getTwin(env.source.twin);
    } catch (err) {
      log.warn('cannot look up the replying twin; dropping reply', { uid: env.uid, twin: env.source.twin, error: errorText(err) });
      return undefined;
    }
    if (!sender || !verifyEnvelope(env, sender.publicKey)) {
      log.warn('dropping reply with an invalid signature', { uid: env.uid, twin: env.source.twin, command: p.command });
      return undefined;
    }
    return sender;
  }

  async function onReply(env: Envelope): Promise<void> {
    const p = pending.get(env.uid);
    if (!p) return;
    if (env.source.twin !== 0 && env.source.twin !== p.twin) {
      log.warn('dropping reply from a twin that was not asked', { uid: env.uid, from: env.source.twin, asked: p.twin });
      return;
    }
    const sender = await verifiedSender(env, p);
    if (sender === undefined) return;
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

  return {
    callRaw,
    onReply,
    resend(c) {
      if (!c.ws) return;
      const now = nowS();
      for (const p of pending.values()) {
        if (p.sentVia && p.sentVia.open) continue;
        if (p.deadlineS <= now) continue;
        p.sentVia = c;
        sendOn(c, p.bytes);
      }
    },
    dropped(c) {
      for (const p of pending.values()) if (p.sentVia === c) p.sentVia = undefined;
    },
    inFlight: () => pending.size,
    close() {
      closed = true;
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new RmbError(`rmb ${p.command} to twin ${p.twin}: peer closed before the reply`, { twin: p.twin, command: p.command }));
      }
      pending.clear();
    },
  };
}
