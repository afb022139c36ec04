/**
 * Per-twin fixed-window limits of the relay (rmb-rs `limiter/fixed.rs`): messages and bytes per window.
 * @module
 */
import type { Clock } from '../common/clock';

export interface RelayLimits {
  /** Window length (default 60 s). */
  windowMs?: number;
  messages?: number;
  bytes?: number;
}

/** Counts one envelope against its twin's window; false when over a limit. Always true without limits. */
export type LimitCheck = (twin: number, size: number) => boolean;

export function createRateLimiter(limits: RelayLimits | undefined, clock: Clock): LimitCheck {
  const windowMs = limits?.windowMs ?? 60_000;
  const usage = new Map<number, { start: number; messages: number; bytes: number }>();
  return (twin, size) => {
    if (!limits || (limits.messages === undefined && limits.bytes === undefined)) return true;
    const now = clock.now();
    let u = usage.get(twin);
    if (!u || now - u.start >= windowMs) {
      u = { start: now, messages: 0, bytes: 0 };
      usage.set(twin, u);
    }
    u.messages++;
    u.bytes += size;
    return (limits.messages === undefined || u.messages <= limits.messages) && (limits.bytes === undefined || u.bytes <= limits.bytes);
  };
}
