/**
 * A machine's console (zos-protocol.md §4 zmachine result `console_url` = `<subnet .0>:<20000 + last octet>`;
 * §7 VM console port): a TCP listener in the network resource's namespace that streams the machine's console log
 * (the last 200 lines, then follows). It runs busybox `nc -ll … -e tail -f` inside its own cgroup, so stopping it
 * stops every follower it forked (a `tail -f` only notices a gone client on its next write).
 * @module
 */
import { closeSync, openSync, promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { isAlive, killPid, sleep, spawnDaemon } from './host-command';

const CONTROLLERS = ['memory', 'pids'];

export interface ConsoleTarget {
  /** `/sys/fs/cgroup/<controller>/<parent>/<name>` is created for it. */
  cgroupParent: string;
  cgroupName: string;
  /** NR namespace to listen in. */
  netns: string;
  port: number;
  logFile: string;
  /** Directory for `console.pid` / `console.err`. */
  dir: string;
}

/** 20000 + the last octet of the machine's private IPv4 (§7). */
export function consolePort(ip: string): number {
  return 20000 + Number(ip.split('.')[3]);
}

const cg = (root: string, t: ConsoleTarget, c: string) => path.join(root, c, t.cgroupParent, t.cgroupName);

export async function startConsole(t: ConsoleTarget, cgroupRoot = '/sys/fs/cgroup'): Promise<number> {
  const running = Number(await fs.readFile(path.join(t.dir, 'console.pid'), 'utf8').catch(() => '0'));
  if (running > 1 && isAlive(running)) return running;
  for (const c of CONTROLLERS) await fs.mkdir(cg(cgroupRoot, t, c), { recursive: true });
  await fs.appendFile(t.logFile, '');
  const err = openSync(path.join(t.dir, 'console.err'), 'a');
  let pid: number;
  try {
    pid = spawnDaemon(
      'sh',
      [
        '-c',
        'for g in "$1" "$2"; do echo $$ > "$g/cgroup.procs" || exit 1; done; exec nsenter --net="$3" busybox nc -ll -p "$4" -e tail -n 200 -f "$5"',
        'console',
        ...CONTROLLERS.map((c) => cg(cgroupRoot, t, c)),
        `/run/netns/${t.netns}`,
        String(t.port),
        t.logFile,
      ],
      { logFd: err },
    );
  } finally {
    closeSync(err);
  }
  await fs.writeFile(path.join(t.dir, 'console.pid'), String(pid));
  return pid;
}

export async function stopConsole(t: Pick<ConsoleTarget, 'cgroupParent' | 'cgroupName' | 'dir'>, cgroupRoot = '/sys/fs/cgroup'): Promise<void> {
  const procs = (): number[] => {
    try {
      return readFileSync(path.join(cgroupRoot, 'memory', t.cgroupParent, t.cgroupName, 'cgroup.procs'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const pid = Number(await fs.readFile(path.join(t.dir, 'console.pid'), 'utf8').catch(() => '0'));
  if (pid > 1) await killPid(pid, 500);
  for (let i = 0; i < 20 && procs().length; i++) {
    for (const p of procs()) await killPid(p, 200);
    await sleep(20);
  }
  for (const c of CONTROLLERS) await fs.rmdir(path.join(cgroupRoot, c, t.cgroupParent, t.cgroupName)).catch(() => undefined);
  await fs.rm(path.join(t.dir, 'console.pid'), { force: true });
}
