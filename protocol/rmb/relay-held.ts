/**
 * Messages the relay holds for an offline session of one of its twins (rmb-rs keeps them in Redis; we keep
 * them in memory): at most `maxPerSession` per session (oldest dropped), each until its own deadline or
 * `maxMs`, whichever comes first; handed over when the session connects. Swept every 10 s.
 * @module
 */
import type { Clock } from '../common/clock';
import { deadlineOf, type Envelope, type RmbAddress } from './envelope';
import { sessionKey } from './relay-sessions';

export interface HeldQueues {
  hold(dst: RmbAddress, env: Envelope, bytes: Uint8Array): void;
  /** Removes the session's queue and sends what is still valid with `send`. */
  flush(key: string, send: (bytes: Uint8Array) => void): void;
  count(): number;
  /** Stops the sweep and drops everything held. */
  close(): void;
}

export function createHeldQueues(opts: { clock: Clock; maxPerSession?: number; maxMs?: number }): HeldQueues {
  const { clock } = opts;
  const holdMax = opts.maxPerSession ?? 10_000;
  const holdMs = opts.maxMs ?? 3_600_000;
  const held = new Map<string, { bytes: Uint8Array; untilMs: number }[]>();

  const sweep = setInterval(() => {
    const now = clock.now();
    for (const [key, q] of held) {
      const live = q.filter((h) => h.untilMs > now);
      if (live.length) held.set(key, live);
      else held.delete(key);
    }
  }, 10_000);
  sweep.unref();

  return {
    hold(dst, env, bytes) {
      const key = sessionKey(dst);
      const q = held.get(key) ?? [];
      const untilMs = Math.min(clock.now() + holdMs, deadlineOf(env) * 1000);
      q.push({ bytes, untilMs });
      while (q.length > holdMax) q.shift();
      held.set(key, q);
    },
    flush(key, send) {
      const q = held.get(key);
      if (!q) return;
      held.delete(key);
      const now = clock.now();
      for (const h of q) if (h.untilMs > now) send(h.bytes);
    },
    count: () => [...held.values()].reduce((n, q) => n + q.length, 0),
    close() {
      clearInterval(sweep);
      held.clear();
    },
  };
}
