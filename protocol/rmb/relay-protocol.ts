/**
 * What our relay says on the wire besides envelopes: error texts, WebSocket close codes, and the `fail-fast` tag
 * it honours. Kept apart from the relay server so a peer can read the close codes without loading the server.
 * @module
 */
import type { Envelope } from './envelope';

/** Error texts sent to peers; rmb-rs wording except the two marked ours. */
export const RELAY_ERRORS = {
  WRONG_SOURCE: 'message wrong source',
  MISSING_DESTINATION: 'message with missing destination',
  UNKNOWN_TWIN: 'unknown twin destination',
  NO_RELAY_INFO: 'relay info is not set for this twin',
  OFFLINE: 'destination offline',
  RATE_LIMITED: 'exceeded rate limits, dropping message',
  /** ours */
  EXPIRED: 'message has expired',
  /** ours */
  TOO_LARGE: 'message too large',
  /** ours: the relay holds its maximum of messages for offline sessions */
  HELD_FULL: 'relay cannot hold more messages for offline sessions',
} as const;

/** WebSocket close codes the relay uses. */
export const RELAY_CLOSE = { EVICTED: 4000, TEXT_FRAME: 1003, BAD_ENVELOPE: 1007, SHUTDOWN: 1001 } as const;

/** True when `tags` holds the token `fail-fast` (comma/whitespace separated, case-sensitive). */
export function hasFailFast(env: Envelope): boolean {
  return (env.tags ?? '').split(/[\s,]+/).some((t) => t === 'fail-fast');
}
