/**
 * One crashed daemon must not cost the whole local grid (issue 19). `healGrid` starts again only the daemons
 * of a grid that died (relay, hub, DNS on the ports the nodes already dial; a node on its own config and data
 * dir, where the node runtime adopts the machines still running), keeping the chain, the other daemons and
 * every stack. `restartDaemon` does the same on purpose for one daemon (a node reboot). The chain is the one
 * daemon that cannot come back this way: its state lives in its process, so a dead chain means a new grid, and
 * `keepStacksAside` then moves the old stacks' state out of the way (never deleting it).
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { errorText, InputError, TfgridError } from '../../protocol/common/errors';
import { silentProgress, type Progress } from '../../protocol/common/log';
import { startNodeAgain } from './node-hosts';
import { daemonLogFile, dnsOptions, gridProxyOptions, hubOptions, relayOptions, startDnsDaemon, startGridProxyDaemon, startHubDaemon, startRelayDaemon } from './services';
import { writeState, type GridState, type NodeState } from './state';
import { isRunning, processStartTime, stopProcess, type ProcessRecord } from './supervisor';

export interface DaemonStatus {
  /** `chain`, `relay`, `hub`, `dns`, `node<i>`: what `tfgrid local restart` and `logs` take. */
  name: string;
  state: 'running' | 'dead';
  pid?: number;
  /** Times it was started again since the grid's first start. */
  restarts: number;
  /** Started by hand and adopted by `up` (its output is not in the grid's log). */
  adopted?: boolean;
  logFile?: string;
}

/** The grid's daemons in start order, each with the record the state holds for it (undefined: never started). */
function daemonRecords(state: GridState): { name: string; process?: ProcessRecord }[] {
  return [
    { name: 'chain', process: state.chain?.process },
    { name: 'relay', process: state.relay?.process },
    { name: 'hub', process: state.hub?.process },
    { name: 'dns', process: state.dns?.process },
    ...(state.gridProxy ? [{ name: 'gridproxy', process: state.gridProxy.process }] : []),
    ...state.nodes.map((n) => ({ name: `node${n.index}`, process: n.process })),
  ];
}

export function daemonStatuses(state: GridState): DaemonStatus[] {
  return daemonRecords(state).map(({ name, process: p }) => ({
    name,
    state: p && isRunning(p) ? 'running' : 'dead',
    pid: p?.pid,
    restarts: p?.restarts ?? 0,
    ...(p?.adopted ? { adopted: true } : {}),
    logFile: p?.logFile,
  }));
}

export function deadDaemons(state: GridState): DaemonStatus[] {
  return daemonStatuses(state).filter((d) => d.state === 'dead');
}

export function chainAlive(state: GridState): boolean {
  return !!state.chain?.process && isRunning(state.chain.process);
}

/** `node<i>` (or a node id) → the node; InputError listing the names otherwise. */
function findNode(state: GridState, name: string): NodeState {
  const m = /^node(\d+)$/.exec(name);
  const n = m ? state.nodes.find((x) => x.index === Number(m[1])) : state.nodes.find((x) => String(x.nodeId) === name);
  if (!n)
    throw new InputError(
      `no daemon named "${name}"; known: ${daemonRecords(state)
        .map((d) => d.name)
        .join(', ')}`,
      { path: 'daemon' },
    );
  return n;
}

/** The canonical daemon name for `name` (`node<i>` also accepts the node id). */
export function resolveDaemonName(state: GridState, name: string): string {
  if (['chain', 'relay', 'hub', 'dns', 'gridproxy'].includes(name)) return name;
  return `node${findNode(state, name).index}`;
}

function portOf(url: string): number {
  const port = Number(new URL(url).port);
  if (!port) throw new InputError(`${url} has no port`);
  return port;
}

function next(old: ProcessRecord | undefined, rec: ProcessRecord): ProcessRecord {
  return { ...rec, restarts: (old?.restarts ?? 0) + 1 };
}

/**
 * Starts daemon `name` (not the chain) again as `up` first started it, and records it in `state` (not yet
 * written). The old process must be gone. Resolves once the daemon serves.
 */
async function startAgain(state: GridState, name: string, progress: Progress): Promise<ProcessRecord> {
  const dir = state.dir;
  const chainUrl = state.chain?.url;
  if (name === 'relay') {
    if (!state.relay || !chainUrl) throw new InputError('this grid has no relay to restart');
    const r = await startRelayDaemon(relayOptions(portOf(state.relay.url), chainUrl), { logFile: daemonLogFile(dir, 'relay'), progress });
    return (state.relay.process = next(state.relay.process, r.process));
  }
  if (name === 'hub') {
    if (!state.hub) throw new InputError('this grid has no hub to restart');
    const r = await startHubDaemon(hubOptions(dir, portOf(state.hub.url)), { logFile: daemonLogFile(dir, 'hub'), progress });
    state.baseFlist = r.info.baseFlist;
    state.vmFlist = r.info.vmFlist;
    state.tlsServerFlist = r.info.tlsServerFlist;
    return (state.hub.process = next(state.hub.process, r.process));
  }
  if (name === 'dns') {
    if (!state.dns) throw new InputError('this grid has no DNS to restart');
    // The same port: every node's gateway checks FQDNs against it (node config `gateway.dns`).
    const r = await startDnsDaemon(dnsOptions(dir, state.dns.port), { logFile: daemonLogFile(dir, 'dns'), progress });
    return (state.dns.process = next(state.dns.process, r.process));
  }
  if (name === 'gridproxy') {
    if (!state.gridProxy || !chainUrl || !state.relay) throw new InputError('this grid has no grid proxy to restart');
    // The same port (what the provider's `local` network reads from the state file) and the same twin.
    const r = await startGridProxyDaemon(gridProxyOptions(portOf(state.gridProxy.url), chainUrl, state.relay.url, state.gridProxy.secret), { logFile: daemonLogFile(dir, 'gridproxy'), progress });
    return (state.gridProxy.process = next(state.gridProxy.process, r.process));
  }
  const n = findNode(state, name);
  // Its own config file and data dir: the runtime finds its deployments there and adopts the machines that
  // still run (node/runtime), so the workloads come back without the deployer doing anything. A sim node
  // sharing its process with others comes back with them (node-hosts.ts).
  return startNodeAgain(state, n);
}

function recordOf(state: GridState, name: string): ProcessRecord | undefined {
  return daemonRecords(state).find((d) => d.name === name)?.process;
}

/** The cmdline of every process, by pid (Linux /proc; empty elsewhere). */
function processCmdlines(): Map<number, string[]> {
  const out = new Map<number, string[]>();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const p of pids) {
    try {
      out.set(Number(p), fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/**
 * A node the user started again by hand (`tfgrid node run --config <its config>`, or the `node-main` command
 * from the state file): a live process other than this one whose arguments name the node's own config file.
 * Found by that unique path, never by a program name; `up` adopts it instead of starting a second copy.
 */
export function findHandStartedNode(n: NodeState, cmdlines: Map<number, string[]> = processCmdlines()): ProcessRecord | undefined {
  for (const [pid, argv] of cmdlines) {
    if (pid === process.pid || !argv.some((a) => a === n.configFile || a === `--config=${n.configFile}`)) continue;
    const startTime = processStartTime(pid);
    if (startTime === undefined) continue;
    return { name: `node${n.index}`, pid, startTime, logFile: n.process?.logFile ?? '', command: argv, adopted: true };
  }
  return undefined;
}

export interface HealReport {
  /** `node1 (pid 1234 → 5678)` for each daemon started again. */
  restarted: string[];
  /** `node1 (pid 5678, started by hand)` for each one found running and adopted. */
  adopted: string[];
}

/**
 * Starts again every dead daemon of a grid whose chain runs, keeping everything else: relay, hub and DNS
 * first (nodes dial the relay), then the nodes, all at once within each group. The state is written after
 * each group. A daemon that does not come back is an error naming it and its log; the rest stays up.
 */
export async function healGrid(state: GridState, opts: { progress?: Progress } = {}): Promise<HealReport> {
  const progress = opts.progress ?? silentProgress;
  if (!chainAlive(state)) throw new TfgridError('the chain is dead: a grid cannot be healed without it', { fix: 'run `tfgrid local up`: it starts a new grid' });
  const report: HealReport = { restarted: [], adopted: [] };
  const dead = deadDaemons(state).map((d) => d.name);
  const failures: string[] = [];
  const cmdlines = dead.some((d) => d.startsWith('node')) ? processCmdlines() : new Map<number, string[]>();
  for (const group of [dead.filter((d) => !d.startsWith('node')), dead.filter((d) => d.startsWith('node'))]) {
    if (group.length === 0) continue;
    progress.update(`restarting ${group.join(', ')} (dead); the chain, the other daemons and the stacks stay`);
    await Promise.all(
      group.map(async (name) => {
        const old = recordOf(state, name);
        if (name.startsWith('node')) {
          const n = findNode(state, name);
          const mine = findHandStartedNode(n, cmdlines);
          if (mine) {
            n.process = { ...mine, logFile: mine.logFile || daemonLogFile(state.dir, name), restarts: (old?.restarts ?? 0) + 1 };
            report.adopted.push(`${name} (pid ${mine.pid}, started by hand)`);
            return;
          }
        }
        try {
          const rec = await startAgain(state, name, silentProgress);
          report.restarted.push(`${name} (pid ${old?.pid ?? '-'} → ${rec.pid})`);
        } catch (err) {
          failures.push(`${name}: ${errorText(err)}`);
        }
      }),
    );
    writeState(state);
  }
  if (failures.length > 0) {
    throw new TfgridError(`local grid: could not start again ${failures.join('; ')}`, {
      fix: `see \`tfgrid local logs <name>\` (the previous run's log is ${path.join(state.dir, 'logs', '<name>.log.prev')}); \`tfgrid local down\` then \`up\` starts a new grid`,
    });
  }
  return report;
}

/**
 * Stops daemon `name` by PID (if it runs) and starts it again on the same ports, config and data: what a
 * reboot of that one service or node looks like to the rest of the grid. Not the chain (see `restartChain`
 * in grid.ts). The state is written.
 */
export async function restartDaemon(state: GridState, name: string, opts: { progress?: Progress } = {}): Promise<{ name: string; oldPid?: number; pid: number; restarts: number }> {
  const canonical = resolveDaemonName(state, name);
  if (canonical === 'chain') throw new InputError('restartDaemon: the chain restarts through the grid (restartChain)');
  const old = recordOf(state, canonical);
  if (old) await stopProcess(old);
  const rec = await startAgain(state, canonical, opts.progress ?? silentProgress);
  writeState(state);
  return { name: canonical, oldPid: old?.pid, pid: rec.pid, restarts: rec.restarts ?? 0 };
}

/** What a new grid's start moves aside from an old one: the test engine's stacks and the Pulumi CLI's file backend. */
export const STACK_STATE_DIRS = ['stacks', 'pulumi-state'] as const;

/**
 * Moves the stack states of a grid that is being replaced to `<dir>/kept/<date>/` (never deleting them): they
 * describe contracts of a chain that is gone, but they are the user's record of what was deployed. Returns
 * the folder, or undefined when there was nothing to keep.
 */
export function keepStacksAside(dir: string, now = new Date()): string | undefined {
  const present = STACK_STATE_DIRS.filter((d) => {
    try {
      return fs.readdirSync(path.join(dir, d)).length > 0;
    } catch {
      return false;
    }
  });
  if (present.length === 0) return undefined;
  const target = path.join(dir, 'kept', now.toISOString().replace(/[:.]/g, '-'));
  fs.mkdirSync(target, { recursive: true });
  for (const d of present) fs.renameSync(path.join(dir, d), path.join(target, d));
  return target;
}

/**
 * Why `tfgrid local deploy` cannot run on this grid, naming the dead daemon and the command that fixes it;
 * undefined when every daemon runs.
 */
export function gridNotServing(state: GridState | undefined, dirOption: string | undefined): InputError | undefined {
  const dirArg = dirOption ? ` --dir ${dirOption}` : '';
  if (!state) return new InputError('the local grid is not running', { fix: `run \`tfgrid local up${dirArg}\` first` });
  if (state.phase !== 'running') {
    return new InputError(`the local grid is not running (its last \`up\` ended in phase "${state.phase}")`, { fix: `run \`tfgrid local up${dirArg}\`` });
  }
  const dead = deadDaemons(state);
  if (dead.length === 0) return undefined;
  const list = dead.map((d) => `${d.name}${d.pid ? ` (pid ${d.pid})` : ''}`).join(', ');
  if (dead.some((d) => d.name === 'chain')) {
    return new InputError(`the local grid's chain is dead${dead.length > 1 ? ` (dead: ${list})` : ''}: every contract on it is gone`, {
      fix: `run \`tfgrid local up${dirArg}\`: it starts a new grid and keeps the old stacks' state aside in ${path.join(state.dir, 'kept')}/<date>/`,
    });
  }
  return new InputError(`local grid daemon${dead.length > 1 ? 's' : ''} dead: ${list}; the chain and the stacks are intact`, {
    fix: `run \`tfgrid local up${dirArg}\` (starts only the dead daemons again)${dead.length === 1 ? ` or \`tfgrid local restart ${dead[0].name}${dirArg}\`` : ''}; \`tfgrid local logs ${dead[0].name}${dirArg}\` shows why it died`,
  });
}
