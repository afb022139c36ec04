/**
 * Processes by PID, for the node's daemons (runc, qemu, wireguard-go, zdb …) and the local grid's (chain, relay,
 * nodes …): whether one is alive, when it started (to tell it from a later process with the same PID), how to stop
 * it, and a free port to give it. One implementation for both layers.
 * @module
 */
import * as fs from 'fs';
import * as net from 'net';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The fields of `/proc/<pid>/stat` after the command name (which may hold spaces and parentheses), or undefined. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while a process with this pid exists and is not a zombie (one we may not signal counts as alive). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  if (fields) return fields[0] !== 'Z';
  return process.platform !== 'linux';
}

/**
 * The start time of a live process (clock ticks since boot, `/proc/<pid>/stat` field 22), or undefined when there is
 * no such process; '' where /proc does not exist. A recorded PID plus its start time names one process for good.
 */
export function processStartTime(pid: number): string | undefined {
  const fields = statFields(pid);
  if (fields) return fields[0] === 'Z' ? undefined : fields[19];
  if (process.platform === 'linux') return undefined;
  return isAlive(pid) ? '' : undefined;
}

/** Stops a process by PID: SIGTERM, SIGKILL after `graceMs`; resolves once it is gone (or after ~1 s more). */
export async function stopPid(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return;
    await sleep(25);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 40 && isAlive(pid); i++) await sleep(25);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}
