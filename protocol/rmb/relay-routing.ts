/**
 * Routing of envelopes that logged-in sessions send to the relay (rmb-tfchain.md §A7, §A10): the source must be
 * the session, `ping` is answered `pong`; then deliver to a live local session, else look the destination twin
 * up and hold for its offline session (its relay is ours) or federate (another relay). A refused request gets an
 * unsigned `Error{code 0}` envelope back with its uid (rmb-rs `send_error_response`); other envelopes are only
 * counted.
 * @module
 */
import { RmbError } from '../common/errors';
import { buildErrorEnvelope, encodeEnvelope, isExpired, sameAddress, type Envelope, type RmbAddress } from './envelope';
import type { Federate } from './relay-federation';
import type { HeldQueues } from './relay-held';
import { hasFailFast, RELAY_ERRORS } from './relay-protocol';
import type { Conn, Sessions } from './relay-sessions';
import { relayHosts, type TwinDirectory } from './twin-directory';

export interface RouterOptions {
  directory: TwinDirectory;
  /** The relay's own domains, lower case. */
  domains: Set<string>;
  maxBytes: number;
  nowS(): number;
  sessions: Sessions;
  held: HeldQueues;
  federate: Federate;
  counters: { federated: number; rejected: number; pongs: number };
}

export interface Router {
  /** Routes one envelope from a connected session; rejects with the text to send back. */
  route(from: Conn, env: Envelope, bytes: Uint8Array): Promise<void>;
  /** Sends an error back to the sender session of a request. */
  replyError(to: RmbAddress, env: Envelope, message: string): void;
}

export function createRouter(opts: RouterOptions): Router {
  const { sessions, held, domains, maxBytes, counters } = opts;

  function replyError(to: RmbAddress, env: Envelope, message: string): void {
    counters.rejected++;
    if (!env.request) return;
    const err = buildErrorEnvelope(env, message, opts.nowS());
    err.destination = { ...to };
    const bytes = encodeEnvelope(err);
    if (!sessions.deliverLocal(to, bytes)) held.hold(to, err, bytes);
  }

  async function route(from: Conn, env: Envelope, bytes: Uint8Array): Promise<void> {
    if (!sameAddress(from.address, env.source)) throw new RmbError(RELAY_ERRORS.WRONG_SOURCE);
    if (env.ping) {
      const pong: Envelope = { ...env, ping: undefined, pong: {}, source: env.destination, destination: env.source, plain: Buffer.from('hello world'), cipher: undefined };
      from.send(encodeEnvelope(pong));
      counters.pongs++;
      return;
    }
    if (bytes.length > maxBytes) throw new RmbError(`${RELAY_ERRORS.TOO_LARGE}: ${bytes.length} bytes, limit ${maxBytes}`);
    if (isExpired(env, opts.nowS())) throw new RmbError(RELAY_ERRORS.EXPIRED);
    const dst = env.destination;
    if (dst.twin === 0) throw new RmbError(RELAY_ERRORS.MISSING_DESTINATION);
    if (sessions.deliverLocal(dst, bytes)) return;
    const twin = await opts.directory.getTwin(dst.twin);
    if (!twin) throw new RmbError(RELAY_ERRORS.UNKNOWN_TWIN);
    if (!twin.relay) throw new RmbError(RELAY_ERRORS.NO_RELAY_INFO);
    if (!relayHosts(twin.relay).some((h) => domains.has(h.toLowerCase()))) {
      await opts.federate(env, bytes, twin.relay);
      counters.federated++;
      return;
    }
    if (hasFailFast(env)) throw new RmbError(RELAY_ERRORS.OFFLINE);
    held.hold(dst, env, bytes);
  }

  return { route, replyError };
}
