/**
 * The test run's escape guard (issue 18.2): while jest runs, the namespace it runs in (the machine's root
 * namespace) cannot reach the grid's ranges, so anything that dials a grid address from the wrong namespace
 * fails at once with EHOSTUNREACH instead of leaving the machine. The grid lives in its own namespaces
 * (local/topology); nothing legitimate dials these ranges from here.
 *
 * - `198.18.0.0/15`: the grid's internet (nodes, farm IPs, laptops, DNS).
 * - `200::/7`, `400::/7`: planetary and mycelium addresses.
 *
 * The routes are `unreachable` (a blackhole that also tells the sender, instead of `blackhole`'s EINVAL),
 * marked with protocol `GUARD_PROTO` and owned by one run through their metric, the run's pid. So runs of
 * several people on one machine each add and remove only their own, and a route whose run is gone (killed
 * jest, dead watchdog) is swept by the next setup. A detached watchdog removes the run's routes once the
 * jest process is gone, however it ended.
 *
 * ```ts
 * await addEscapeGuard(process.pid);    // global setup: idempotent
 * await removeEscapeGuard(process.pid); // global teardown
 * ```
 * @module
 */
import { execFileSync, spawn } from 'child_process';

export const GUARDED_RANGES: readonly { family: '-4' | '-6'; range: string }[] = [
  { family: '-4', range: '198.18.0.0/15' },
  { family: '-6', range: '200::/7' },
  { family: '-6', range: '400::/7' },
];

/** Route protocol number marking the guard's routes (unassigned in /etc/iproute2/rt_protos). */
export const GUARD_PROTO = '218';

/** One guard route in the current namespace: its range and the pid of the run that owns it. */
export interface GuardRoute {
  range: string;
  owner: number;
}

/** Whether this process can and should guard: root on Linux. Without root, e2e runs use the sim backend. */
export function canGuard(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const routeSchema = (raw: unknown): { dst: string; metric: number }[] =>
  (Array.isArray(raw) ? raw : []).flatMap((r: unknown) => {
    const o = r as { dst?: unknown; metric?: unknown };
    return typeof o.dst === 'string' && typeof o.metric === 'number' ? [{ dst: o.dst, metric: o.metric }] : [];
  });

/** The guard routes in this namespace, every run's. */
export function guardRoutes(): GuardRoute[] {
  const out: GuardRoute[] = [];
  for (const family of ['-4', '-6'] as const) {
    const routes = routeSchema(JSON.parse(ip(['-j', family, 'route', 'show', 'proto', GUARD_PROTO]) || '[]'));
    for (const r of routes) out.push({ range: r.dst, owner: r.metric });
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function deleteRoutes(owner: number): void {
  for (const { family, range } of GUARDED_RANGES) {
    try {
      ip([family, 'route', 'del', 'unreachable', range, 'proto', GUARD_PROTO, 'metric', String(owner)]);
    } catch {
      // not there (already removed)
    }
  }
}

/** Removes the routes of runs whose process is gone (a killed jest whose watchdog died too); their pids. */
function sweepStale(): number[] {
  const dead = [...new Set(guardRoutes().map((r) => r.owner))].filter((pid) => !alive(pid));
  for (const pid of dead) deleteRoutes(pid);
  return dead;
}

/** Run by a detached `node`: once the run's pid is gone, its routes go too. */
const WATCHDOG_JS = `
const { execFileSync } = require('child_process');
const [pid, proto, ...ranges] = process.argv.slice(1);
const gone = () => { try { process.kill(Number(pid), 0); return false; } catch (e) { return e.code !== 'EPERM'; } };
const timer = setInterval(() => {
  if (!gone()) return;
  clearInterval(timer);
  for (const r of ranges) {
    const [family, range] = r.split(' ');
    try { execFileSync('ip', [family, 'route', 'del', 'unreachable', range, 'proto', proto, 'metric', pid], { stdio: 'ignore' }); } catch {}
  }
}, 1000);
`;

/**
 * Adds the run's routes (idempotent: `replace`), after sweeping routes of runs that are gone, and starts the
 * watchdog that removes them when `runPid` exits. Throws when `ip` fails: a run that should be guarded is not
 * silently unguarded. Returns the pids whose stale routes were swept.
 */
export function addEscapeGuard(runPid: number): { swept: number[]; watchdog?: number } {
  const swept = sweepStale();
  for (const { family, range } of GUARDED_RANGES) {
    ip([family, 'route', 'replace', 'unreachable', range, 'proto', GUARD_PROTO, 'metric', String(runPid)]);
  }
  const child = spawn(process.execPath, ['-e', WATCHDOG_JS, String(runPid), GUARD_PROTO, ...GUARDED_RANGES.map((r) => `${r.family} ${r.range}`)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return { swept, watchdog: child.pid };
}

/** Removes the run's routes (its watchdog finds nothing left to do when the run exits). */
export function removeEscapeGuard(runPid: number): void {
  deleteRoutes(runPid);
}
