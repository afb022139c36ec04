/**
 * Readiness checks for the local grid's daemons: a service is ready when it answers (an RPC reply, a TCP
 * accept, a line it prints), never after a sleep. Every wait also watches the process: if it died, the error
 * says so and quotes its log (DESIGN.md §4; style.md §4 messages).
 * @module
 */
import * as fs from 'fs';
import * as net from 'net';
import { TfgridError } from '../../protocol/common/errors';
import type { Progress } from '../../protocol/common/log';
import { isRunning, tailFile, type ProcessRecord } from './supervisor';

export class ReadinessError extends TfgridError {}

export type Check = () => Promise<boolean>;

export interface WaitOptions {
  /** What is being waited for, e.g. "chain RPC on ws://127.0.0.1:8000". */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** When given, a dead process ends the wait at once. */
  process?: ProcessRecord;
  progress?: Progress;
}

/** Polls `check` until it returns true; throws a ReadinessError naming `what` (and the log tail) otherwise. */
export async function waitUntil(check: Check, opts: WaitOptions): Promise<number> {
  const start = Date.now();
  const interval = opts.intervalMs ?? 100;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return Date.now() - start;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    const elapsed = Date.now() - start;
    if (opts.process && !isRunning(opts.process)) {
      const tail = tailFile(opts.process.logFile);
      throw new ReadinessError(`${opts.what}: ${opts.process.name} (pid ${opts.process.pid}) exited before it was ready; log ${opts.process.logFile}:\n${tail}`, {
        fix: `read ${opts.process.logFile}`,
      });
    }
    if (elapsed > opts.timeoutMs) {
      const tail = opts.process ? `\nlast lines of ${opts.process.logFile}:\n${tailFile(opts.process.logFile)}` : '';
      throw new ReadinessError(`${opts.what}: not ready after ${Math.round(elapsed / 1000)}s${lastError ? ` (${lastError})` : ''}${tail}`);
    }
    opts.progress?.update(`${opts.what} (${Math.round(elapsed / 1000)}s)`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** True when something accepts TCP connections on host:port. */
export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Resolves once `file` exists; throws after `timeoutMs`. A node process `up` starts before the chain has
 * registered its node (issue 16: it loads its code meanwhile) waits here for the config the grid writes then.
 */
export async function fileAppears(file: string, timeoutMs = 180_000, intervalMs = 50): Promise<void> {
  const start = Date.now();
  while (!fs.existsSync(file)) {
    if (Date.now() - start > timeoutMs)
      throw new ReadinessError(`${file} did not appear in ${Math.round(timeoutMs / 1000)} s`, { fix: 'the `tfgrid local up` that started this node stopped before writing its config; run it again' });
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether a listener could bind 127.0.0.1:`port` now (nothing listens there, on it or on any address). */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A check that is true once `file` contains a line matching `pattern`. */
export function logLine(file: string, pattern: RegExp): Check {
  return async () => {
    try {
      return pattern.test(fs.readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  };
}
