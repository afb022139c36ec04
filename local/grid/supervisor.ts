/**
 * Detached daemons of the local grid (DESIGN.md §4): each service (chain, relay, hub, DNS, node) is its own
 * process, started in its own session so it outlives `tfgrid local up`, logging to a file, and tracked by PID
 * plus the kernel's start time so a recycled PID is never mistaken for ours (machine.md: stop by PID, never
 * by name).
 * @module
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import { freePort, processStartTime } from '../../protocol/common/processes';

// the grid's callers get process handling from here too
export { freePort, processStartTime };
import * as path from 'path';
import { z } from 'zod';
import { InputError, InternalError } from '../../protocol/common/errors';

/** One daemon as written in the state file. Persisted: add fields, never rename. */
export const processRecordSchema = z.object({
  name: z.string(),
  pid: z.number().int().positive(),
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); empty when /proc is unavailable. */
  startTime: z.string(),
  logFile: z.string(),
  command: z.array(z.string()),
  /** How many times this daemon was started again after the grid's first start (`tfgrid local up` healing it, `restart`). */
  restarts: z.number().int().nonnegative().optional(),
  /** Set when `up` found the daemon started by hand and adopted it: its output is not in `logFile`. */
  adopted: z.boolean().optional(),
  /**
   * Set when this node shares one process with other sim nodes (local/grid/node-hosts.ts, issue 16): that
   * process's own log (its stderr). `logFile` is still this node's log; the nodes whose records hold the same
   * pid and start time are that process's other nodes, stopped and started with it.
   */
  hostLogFile: z.string().optional(),
});
export type ProcessRecord = z.infer<typeof processRecordSchema>;

export interface SpawnDaemonOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a daemon in its own session with stdout+stderr appended to `logFile`. */
export function spawnDaemon(opts: SpawnDaemonOptions): ProcessRecord {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    if (child.pid === undefined) throw new InternalError(`could not start ${opts.name} (${opts.command})`);
    child.unref();
    return {
      name: opts.name,
      pid: child.pid,
      startTime: processStartTime(child.pid) ?? '',
      logFile: opts.logFile,
      command: [opts.command, ...opts.args],
    };
  } finally {
    fs.closeSync(fd);
  }
}

/** True when the recorded process is still the one we started. */
export function isRunning(rec: ProcessRecord): boolean {
  const now = processStartTime(rec.pid);
  if (now === undefined) return false;
  return rec.startTime === '' || now === '' || now === rec.startTime;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Stops a daemon by its PID: SIGTERM to its process group (it leads one: it was spawned detached), then
 * SIGKILL after `graceMs`. Resolves once it is gone. A process that is not ours any more is left alone.
 */
export async function stopProcess(rec: ProcessRecord, graceMs = 5000): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isRunning(rec)) return 'not-running';
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-rec.pid, sig);
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(rec)) return 'stopped';
    await sleep(50);
  }
  signal('SIGKILL');
  for (let i = 0; i < 100 && isRunning(rec); i++) await sleep(20);
  return 'killed';
}

/** The last `lines` lines of a log file (for error messages). */
export function tailFile(file: string, lines = 20): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** How to run one of our TypeScript entry files as a separate node process (source checkout or dist/). */
export function nodeEntry(relFromRepo: string): { command: string; args: string[] } {
  const root = path.resolve(__dirname, '..', '..');
  const ts = path.join(root, relFromRepo);
  if (ts.endsWith('.ts') && fs.existsSync(ts) && __filename.endsWith('.ts')) {
    return { command: process.execPath, args: ['-r', require.resolve('@swc-node/register'), ts] };
  }
  const js = ts.replace(/\.ts$/, '.js');
  if (!fs.existsSync(js)) throw new InputError(`${relFromRepo}: no such entry (looked for ${ts} and ${js})`, { fix: 'run `npm run build`' });
  return { command: process.execPath, args: [js] };
}
