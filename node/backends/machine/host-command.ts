/**
 * Running host tools (ip, losetup, mount, runc, wg …) for the Linux backends (machine.md: what works here).
 * One place that turns a failed command into an error naming the command, its exit code and its stderr.
 * @module
 */
import { execFile, spawn } from 'child_process';
import { ZosError } from '../../../protocol/common/errors';
import { isAlive, sleep, stopPid } from '../../../protocol/common/processes';

export { isAlive, sleep };

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs `cmd args…`; rejects with ZosError `<cmd> <args>: exit <n>: <stderr>` on failure. */
export function runCommand(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20, env: opts.env ?? process.env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
        const text = String(stderr || err.message).trim();
        reject(new ZosError(`${cmd} ${args.join(' ')}: exit ${String(code)}: ${text}`, { command: cmd, args }, { cause: err }));
        return;
      }
      resolve({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like runCommand but a failure is ignored (cleanup paths); returns whether it succeeded. */
export async function tryCommand(cmd: string, args: string[]): Promise<boolean> {
  try {
    await runCommand(cmd, args, { timeoutMs: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** `ip -n <ns> …` or plain `ip …`. */
export function ipIn(ns: string | undefined, ...args: string[]): Promise<CommandResult> {
  return runCommand('ip', ns ? ['-n', ns, ...args] : args);
}

/** Runs a command inside a network namespace through nsenter (keeps /sys and cgroups visible, unlike `ip netns exec`). */
export function inNetns(ns: string, cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return runCommand('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], opts);
}

/** Starts a long-lived process detached from us, its output appended to `logFile`'s fd; returns its pid. */
export function spawnDaemon(cmd: string, args: string[], opts: { logFd: number; env?: NodeJS.ProcessEnv }): number {
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', opts.logFd, opts.logFd], env: opts.env ?? process.env });
  child.unref();
  if (child.pid === undefined) throw new ZosError(`failed to start ${cmd}`);
  return child.pid;
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL (protocol/common/processes.ts). */
export function killPid(pid: number, graceMs = 2000): Promise<void> {
  return stopPid(pid, graceMs);
}
