/**
 * Per-resource timeouts (issue 13): Pulumi keeps `customTimeouts` to itself and never hands them to a dynamic
 * provider, so every resource that waits for the grid takes a `timeout` input instead: one duration for every
 * operation, or `{ create?, update?, delete? }`. A duration is seconds (a number) or a string with a unit
 * (`"90s"`, `"10m"`, `"1h"`); what is not given is `tfgrid:deployTimeout`. It bounds how long the provider waits
 * for the node (workloads reaching `ok`, removals done), not the chain transaction itself.
 * @module
 */
import { z } from 'zod';

export type TimeoutOp = 'create' | 'update' | 'delete';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;

/** Milliseconds of a duration (seconds, or "10m"), undefined when it is not one. */
export function durationMs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const m = DURATION.exec(v);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's'];
  return ms > 0 ? ms : undefined;
}

/** A duration input: seconds, or a number with ms, s, m or h. */
export const durationSchema = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  if (durationMs(v) === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a duration; write seconds (300) or a number with s, m or h ("90s", "10m", "1h")` });
  }
});

/** Limits per operation (one schema type, `tfgrid:index:Timeout`, shared by every resource). */
export const timeoutPerOpSchema = z
  .object({
    create: durationSchema.optional().describe('Limit for a create: seconds or "10m".'),
    update: durationSchema.optional().describe('Limit for an update: seconds or "10m".'),
    delete: durationSchema.optional().describe('Limit for a delete: seconds or "10m".'),
  })
  .strict('names an operation other than create, update and delete; use create, update or delete');

/** The `timeout` input every waiting resource takes. */
export const timeoutSchema = z
  .union([durationSchema, timeoutPerOpSchema])
  .optional()
  .describe('How long to wait for the grid per operation: one duration for all, or { create, update, delete }; seconds or "10m". Default: tfgrid:deployTimeout.');

export type TimeoutInput = z.infer<typeof timeoutSchema>;

/** The limit for `op` in ms: the resource's own, else `deployTimeoutS` (tfgrid:deployTimeout, seconds). */
export function timeoutMsFor(timeout: unknown, op: TimeoutOp, deployTimeoutS: number): number {
  const given = timeout && typeof timeout === 'object' ? (timeout as Record<string, unknown>)[op] : timeout;
  return durationMs(given) ?? deployTimeoutS * 1000;
}

/** Where a limit came from, for messages: `timeout.create` or `tfgrid:deployTimeout`. */
export function timeoutSource(timeout: unknown, op: TimeoutOp): string {
  if (timeout && typeof timeout === 'object') return durationMs((timeout as Record<string, unknown>)[op]) !== undefined ? `timeout.${op}` : 'tfgrid:deployTimeout';
  return durationMs(timeout) !== undefined ? 'timeout' : 'tfgrid:deployTimeout';
}

/** "90s", "10m", "1h30m": a limit as a person reads it. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
}
