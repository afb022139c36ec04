/**
 * Messages the relay holds for an offline session of one of its twins (rmb-rs keeps them in Redis; we keep
 * them in memory): at most `maxPerSession` per session (oldest dropped), each until its own deadline or
 * `maxMs`, whichever comes first; handed over when the session connects. Swept every 10 s. Anyone may POST
 * envelopes for any session (federation), so the whole store is bounded too: at most `maxBytes` in all (new
 * envelopes are refused once full), and an envelope already past its deadline is never held.
 * @module
 */
import type { Clock } from '../common/clock';
import { deadlineOf, type Envelope, type RmbAddress } from './envelope';
import { sessionKey } from './relay-sessions';

/** What became of an envelope to hold: held, already expired (dropped), or refused because the store is full. */
export type HoldResult = 'held' | 'expired' | 'full';

export interface HeldQueues {
  hold(dst: RmbAddress, env: Envelope, bytes: Uint8Array): HoldResult;
  /** Removes the session's queue and sends what is still valid with `send`. */
  flush(key: string, send: (bytes: Uint8Array) => void): void;
  count(): number;
  /** Bytes held in all. */
  bytes(): number;
  /** Stops the sweep and drops everything held. */
  close(): void;
}

/** Default bound of the whole store (bytes). */
export const HELD_MAX_BYTES = 256 * 1024 * 1024;

export function createHeldQueues(opts: { clock: Clock; maxPerSession?: number; maxMs?: number; maxBytes?: number }): HeldQueues {
  const { clock } = opts;
  const holdMax = opts.maxPerSession ?? 10_000;
  const holdMs = opts.maxMs ?? 3_600_000;
  const maxBytes = opts.maxBytes ?? HELD_MAX_BYTES;
  const held = new Map<string, { bytes: Uint8Array; untilMs: number }[]>();
  let total = 0;
  const sum = (q: { bytes: Uint8Array }[]) => q.reduce((n, h) => n + h.bytes.length, 0);

  const sweep = setInterval(() => {
    const now = clock.now();
    for (const [key, q] of held) {
      const live = q.filter((h) => h.untilMs > now);
      total -= sum(q) - sum(live);
      if (live.length) held.set(key, live);
      else held.delete(key);
    }
  }, 10_000);
  sweep.unref();

  return {
    hold(dst, env, bytes) {
      const untilMs = Math.min(clock.now() + holdMs, deadlineOf(env) * 1000);
      if (untilMs <= clock.now()) return 'expired';
      if (total + bytes.length > maxBytes) return 'full';
      const key = sessionKey(dst);
      const q = held.get(key) ?? [];
      q.push({ bytes, untilMs });
      total += bytes.length;
      while (q.length > holdMax) total -= (q.shift() as { bytes: Uint8Array }).bytes.length;
      held.set(key, q);
      return 'held';
    },
    flush(key, send) {
      const q = held.get(key);
      if (!q) return;
      held.delete(key);
      total -= sum(q);
      const now = clock.now();
      for (const h of q) if (h.untilMs > now) send(h.bytes);
    },
    count: () => [...held.values()].reduce((n, q) => n + q.length, 0),
    bytes: () => total,
    close() {
      clearInterval(sweep);
      held.clear();
      total = 0;
    },
  };
}
