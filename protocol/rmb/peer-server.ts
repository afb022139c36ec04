/**
 * The serving side of an RMB peer (the node runtime's side of rmb-tfchain.md §A13): checks each request
 * (expiry, a timestamp not from the future, sender's twin and signature, schema, e2e), dispatches it to the
 * handler of its command and sends the signed reply. Unknown commands get `function is not found` (code 0), a
 * thrown error's message travels unchanged, a handler returning nothing replies JSON `null` (§A.x).
 * @module
 */
import { errorText } from '../common/errors';
import type { Identity } from '../common/identity';
import type { Logger } from '../common/log';
import { e2eDecryptWithKey, e2eEncryptWithKey } from './e2e';
import { deadlineOf, encodeEnvelope, formatAddress, isExpired, JSON_SCHEMA, RMB_ERROR_CODE, signEnvelope, verifyEnvelope, type Envelope, type RmbAddress } from './envelope';
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

export interface ServerOptions {
  identity: Identity;
  me: RmbAddress;
  directory: TwinDirectory;
  /** Accept end-to-end encrypted requests. */
  e2e: boolean;
  sharedKey(pk: Uint8Array): Uint8Array;
  log: Logger;
  nowS(): number;
  /** Sends a reply now, or as soon as a relay is open (until `deadlineS`). */
  sendOrQueue(bytes: Uint8Array, deadlineS: number): void;
}

export interface Server {
  handle(command: string, handler: RmbHandler): void;
  /** A request envelope read from a relay. */
  serve(req: Envelope): Promise<void>;
}

type ReplyResult = { body: string; cipherFor?: Uint8Array } | { code: number; message: string };

/** A served request: its deadline, and the signed reply once there is one. */
interface Served {
  untilS: number;
  reply?: Uint8Array;
}

const SERVED_MAX = 10_000;

/**
 * How far ahead of our clock a request's timestamp may be (clock skew). Ours: rmb-rs peers stamp a future
 * timestamp down to now before signing, so a request stamped later than this was forged or made by a broken
 * clock; accepting it would keep it valid (and replayable) longer than its sender's `expiration` says.
 */
export const MAX_CLOCK_SKEW_S = 300;

export function createServer(opts: ServerOptions): Server {
  const { log, nowS, sharedKey } = opts;
  const handlers = new Map<string, RmbHandler>();
  /**
   * Requests served recently, by sender session and uid. A requester re-sends calls in flight after a
   * reconnect; a repeat must not run the handler again (a second `zos.deployment.deploy` would fail although
   * the first worked): while the first runs the repeat is ignored, after it the same signed reply is re-sent.
   */
  const served = new Map<string, Served>();

  function rememberServed(key: string, untilS: number): Served {
    const now = nowS();
    for (const [k, v] of served) {
      if (served.size < SERVED_MAX && v.untilS > now) break;
      served.delete(k);
    }
    const entry = { untilS };
    served.set(key, entry);
    return entry;
  }

  function reply(req: Envelope, result: ReplyResult): Uint8Array {
    let env: Envelope = {
      uid: req.uid,
      timestamp: nowS(),
      expiration: 300,
      source: opts.me,
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
    opts.sendOrQueue(bytes, env.timestamp + env.expiration);
    return bytes;
  }

  /** Checks a request up to its sender's signature; the sender's record, or undefined once refused. */
  async function authenticate(req: Envelope, command: string): Promise<TwinRecord | undefined> {
    const fail = (code: number, message: string) => {
      log.debug('refusing request', { uid: req.uid, from: formatAddress(req.source), command, code, message });
      reply(req, { code, message });
      return undefined;
    };
    if (isExpired(req, nowS())) return fail(RMB_ERROR_CODE.VALIDATION, 'message has expired');
    if (req.timestamp > nowS() + MAX_CLOCK_SKEW_S) return fail(RMB_ERROR_CODE.VALIDATION, 'message timestamp is in the future');
    let sender: TwinRecord | undefined;
    try {
      sender = await opts.directory.getTwin(req.source.twin);
    } catch (err) {
      return fail(RMB_ERROR_CODE.INTERNAL, `failed to get twin ${req.source.twin}: ${errorText(err)}`);
    }
    if (!sender) return fail(RMB_ERROR_CODE.UNKNOWN_TWIN, `unknown twin ${req.source.twin}`);
    if (!verifyEnvelope(req, sender.publicKey)) return fail(RMB_ERROR_CODE.INVALID_SIGNATURE, 'invalid signature');
    return sender;
  }

  /** The request's body as text, or the error to answer with. */
  function readBody(req: Envelope, sender: TwinRecord): { raw: string; encrypted: boolean } | { code: number; message: string } {
    if ((req.schema ?? '') !== JSON_SCHEMA) return { code: RMB_ERROR_CODE.INVALID_PAYLOAD, message: `unsupported schema '${req.schema ?? ''}', expected ${JSON_SCHEMA}` };
    let body: Uint8Array = req.plain ?? new Uint8Array();
    const encrypted = req.cipher !== undefined && req.cipher.length > 0;
    if (encrypted && req.cipher) {
      if (!opts.e2e) return { code: RMB_ERROR_CODE.E2E, message: 'this peer does not accept encrypted payloads' };
      if (!sender.pk || sender.pk.length === 0) return { code: RMB_ERROR_CODE.NO_PUBLIC_KEY, message: `twin ${sender.id} has no public key for encryption` };
      try {
        body = e2eDecryptWithKey(sharedKey(sender.pk), req.cipher);
      } catch (err) {
        return { code: RMB_ERROR_CODE.E2E, message: errorText(err) };
      }
    }
    return { raw: Buffer.from(body).toString('utf8'), encrypted };
  }

  async function serve(req: Envelope): Promise<void> {
    const command = req.request?.command ?? '';
    if (req.source.twin === 0) return;
    const sender = await authenticate(req, command);
    if (!sender) return;
    const servedKey = `${formatAddress(req.source)}/${req.uid}`;
    const previous = served.get(servedKey);
    if (previous && previous.untilS > nowS()) {
      log.debug('repeated request', { uid: req.uid, from: formatAddress(req.source), command, answered: !!previous.reply });
      if (previous.reply) opts.sendOrQueue(previous.reply, previous.untilS);
      return;
    }
    const entry = rememberServed(servedKey, deadlineOf(req));
    const answer = (result: ReplyResult) => {
      entry.reply = reply(req, result);
    };
    const read = readBody(req, sender);
    if ('code' in read) return answer(read);
    const handler = handlers.get(command);
    if (!handler) return answer({ code: 0, message: FUNCTION_NOT_FOUND });
    const { raw, encrypted } = read;
    let payload: unknown;
    if (raw.trim().length > 0) {
      try {
        payload = JSON.parse(raw);
      } catch (err) {
        return answer({ code: 0, message: `invalid json payload: ${errorText(err)}` });
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

  return {
    handle(command, handler) {
      handlers.set(command, handler);
    },
    serve,
  };
}
