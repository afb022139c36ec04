/**
 * The local grid (DESIGN.md §4 "Local grid topology"): chain + relay + flist hub + DNS + N node runtimes,
 * each a detached daemon tracked by PID in `<dir>/state.json`, and (with root on Linux) a grid internet of
 * network namespaces that the nodes' backends use as their hosts. `startLocalGrid` is idempotent: a grid
 * whose every daemon still runs is returned as is; a broken one is taken down and started again.
 * `stopLocalGrid` leaves no process, namespace, interface, mount, loop device or cgroup behind.
 *
 *   const grid = await startLocalGrid({ dir, nodes: 3 });   // grid.chain!.url, grid.relay!.url, grid.nodes
 *   await stopLocalGrid({ dir });
 * @module
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { errorText, InputError, TfgridError } from '../../protocol/common/errors';
import { silentLogger, silentProgress, type Logger, type Progress } from '../../protocol/common/log';
import { missingToolsSync } from './tools';
import { cleanupAll } from '../../node/backends/machine/linux-backends';
import { sweepGrid, type SweepReport } from './cleanup';
import { defaultGridDir, readState, removeState, writeState, type GridState } from './state';
import { freePort, isRunning, nodeEntry, processStartTime, spawnDaemon, stopProcess, type ProcessRecord } from './supervisor';
import { canBind } from './readiness';
import { createFundedUser } from './bootstrap';
import { daemonLogFile, RELAY_DOMAIN } from './services';
import { chainAlive, deadDaemons, healGrid, keepStacksAside, resolveDaemonName, restartDaemon, STACK_STATE_DIRS } from './heal';
import { writeNodeConfig } from './node-daemon';
import { LOCAL_CHAIN_PORT, LOCAL_GRID_PROXY_PORT, LOCAL_HUB_PORT, LOCAL_RELAY_PORT } from '../../protocol/chain/networks';
import { nodePrefix } from './grid-names';
import {
  gridAddressing,
  planGridTopology,
  proxySeesNodes,
  recordRegistration,
  spawnNodesEarly,
  startChain,
  startGridProxy,
  startHubAndDns,
  startRelayAndRegister,
  startTopology,
  type UpContext,
} from './up-steps';

export type BackendChoice = 'sim' | 'linux' | 'auto';

export interface LocalGridOptions {
  /** Where state, logs and node data live (default `~/.tfgrid/local`, or `$TFGRID_LOCAL_DIR`). */
  dir?: string;
  nodes?: number;
  /**
   * How many of the nodes (the last ones) run as ZOS light nodes (`network-light`, `zmachine-light`). Default: the
   * existing grid's, else 0. Kept in the state: `up` again and a restarted node keep it.
   */
  lightNodes?: number;
  /** `auto` (default): linux with root and the tools, else sim. */
  backend?: BackendChoice;
  /** 0 picks a free port; default LOCAL_CHAIN_PORT when free (the provider's `local` network), else a free one. */
  chainPort?: number;
  relayPort?: number;
  /** 0 picks a free port; default 8090 when free (the examples' default flist URL), else a free one. */
  hubPort?: number;
  /** 0 picks a free port; default LOCAL_GRID_PROXY_PORT (8070) when free, else a free one. */
  gridProxyPort?: number;
  /** Gateway domain served by the nodes and the grid DNS (default `tfgrid.test`). */
  gatewayDomain?: string;
  log?: Logger;
  progress?: Progress;
  /** Take the grid down when this process exits (test runs pass the jest process id). */
  stopWhenPidExits?: number;
  /** Said loudly: used for the sim-backend warning and "what runs where". */
  announce?: (line: string) => void;
}

/** The provider's `local` network dials these (protocol/chain/networks.ts); the grid takes them when free. */
export const DEFAULT_CHAIN_PORT = LOCAL_CHAIN_PORT;
/** The relay host name written into every twin's `relay` field (defined with the services' options). */
export { RELAY_DOMAIN } from './services';
export { writeGridCa } from './up-steps';
export { FARM_NAME, nodeDomain, nodePrefix } from './grid-names';
export const DEFAULT_RELAY_PORT = LOCAL_RELAY_PORT;
export const DEFAULT_HUB_PORT = LOCAL_HUB_PORT;
/** The provider's `local` network asks the grid proxy here (protocol/chain/networks.ts); the grid takes it when free. */
export const DEFAULT_GRID_PROXY_PORT = LOCAL_GRID_PROXY_PORT;
const LINUX_TOOLS = ['ip', 'runc', 'wireguard-go', 'wg', 'losetup', 'mkfs.ext4'];

/** Which backend the nodes get, and why (the reason is printed). */
export function chooseBackend(requested: BackendChoice, env: { isRoot: boolean; platform: string; missing: string[]; ci?: boolean }): { backend: 'sim' | 'linux'; reason: string } {
  if (requested === 'sim') return { backend: 'sim', reason: 'sim backend requested (state only: no workload really runs)' };
  const problems: string[] = [];
  if (env.platform !== 'linux') problems.push(`platform is ${env.platform}, not linux`);
  if (!env.isRoot) problems.push('not running as root');
  if (env.missing.length) problems.push(`missing tools: ${env.missing.join(', ')}`);
  if (problems.length === 0) return { backend: 'linux', reason: 'root on Linux: real namespaces, runc, wireguard-go, loop disks' };
  // CI must never fall back to sim in silence (DESIGN.md §4): there, auto means linux or a failure.
  if (requested === 'linux' || (env.ci && env.platform === 'linux')) {
    throw new InputError(`${requested === 'linux' ? '--backend linux' : 'in CI the local grid'} needs root on Linux with ${LINUX_TOOLS.join(', ')}: ${problems.join('; ')}`, {
      fix: 'run as root after `make setup`, or use --backend sim',
    });
  }
  return { backend: 'sim', reason: `SIM BACKEND: ${problems.join('; ')} — workloads are recorded, not run` };
}

async function pickPort(wanted: number | undefined, fallbackDefault: number): Promise<number> {
  if (wanted !== undefined && wanted !== 0) return wanted;
  // A bind, not a connect: a connect that times out on a busy machine took a port in use (EADDRINUSE later).
  if (wanted === undefined && (await canBind(fallbackDefault))) return fallbackDefault;
  return freePort();
}

/** Every daemon recorded in a state, in start order. */
export function gridProcesses(state: GridState): ProcessRecord[] {
  const out: ProcessRecord[] = [];
  for (const s of [state.chain, state.relay, state.hub, state.dns, state.gridProxy]) if (s?.process) out.push(s.process);
  for (const n of state.nodes) if (n.process) out.push(n.process);
  if (state.watchdog) out.push(state.watchdog);
  return out;
}

/**
 * A grid's name prefix: `g` + 3 random base-36 characters. Every machine-wide name of the grid starts with it:
 * its namespaces (`g7xq-inet`, `g7xq-n1`) and its nodes' backend prefixes (`g7xq1`), which the node backends
 * allow 6 characters for. All prefixes have the same length, so one grid's never matches another's.
 */
export function newGridPrefix(): string {
  const b36 = Array.from(randomBytes(3), (b) => (b % 36).toString(36)).join('');
  return `g${b36}`;
}

/** Prefixes of every machine-wide name the grid and its nodes create. */
export function gridPrefixes(state: Pick<GridState, 'prefix'>): string[] {
  return [state.prefix];
}

export function isHealthy(state: GridState): boolean {
  return state.phase === 'running' && gridProcesses(state).every(isRunning);
}

/**
 * Why an existing grid cannot be kept by `up` and a new one must start, or undefined when it can (every
 * daemon but the chain can be started again in place). Said to the user with what was kept aside.
 */
export function replaceReason(existing: GridState, nodes: number, lightNodes = lightNodeCount(existing)): string | undefined {
  if (existing.phase !== 'running') return `the previous \`tfgrid local up\` did not finish (phase "${existing.phase}")`;
  if (!chainAlive(existing)) {
    return `the chain${existing.chain?.process ? ` (pid ${existing.chain.process.pid})` : ''} is dead, and with it every twin, farm, node and contract it held`;
  }
  if (existing.nodes.length !== nodes) return `the grid runs ${existing.nodes.length} nodes and ${nodes} were asked`;
  const light = lightNodeCount(existing);
  if (light !== lightNodes) return `the grid runs ${light} light nodes and ${lightNodes} were asked`;
  return undefined;
}

/** How many of a grid's nodes are light. */
export function lightNodeCount(state: Pick<GridState, 'nodes'>): number {
  return state.nodes.filter((n) => n.light).length;
}

/** The ports an existing grid's services listen on: a new grid in its place takes them again when free. */
function existingPorts(state: GridState): { chainPort?: number; relayPort?: number; hubPort?: number; gridProxyPort?: number } {
  const port = (url?: string) => (url ? Number(new URL(url).port) || undefined : undefined);
  return { chainPort: port(state.chain?.url), relayPort: port(state.relay?.url), hubPort: port(state.hub?.url), gridProxyPort: port(state.gridProxy?.url) };
}

/**
 * Starts the local grid, or returns the running one. Throws a TfgridError naming the step that failed;
 * whatever it had started is stopped again first.
 */
export async function startLocalGrid(opts: LocalGridOptions = {}): Promise<GridState> {
  const dir = path.resolve(opts.dir ?? defaultGridDir());
  // One `up` at a time per grid directory: concurrent callers (two jest workers, two terminals) wait, then
  // find the grid the first one started.
  const release = await lockGridDir(dir, opts.progress ?? silentProgress);
  try {
    return await startUnlocked(dir, opts);
  } finally {
    release();
  }
}

/**
 * `tfgrid local restart <daemon>`: stops one daemon by PID and starts it again on the same ports, config and
 * data (a node reboot; the node adopts its machines). The chain holds the grid's whole state in its process,
 * so restarting it means a new grid (`up`'s dead-chain path: the old stacks are kept aside and it says so).
 */
export async function restartGridDaemon(
  name: string,
  opts: Pick<LocalGridOptions, 'dir' | 'log' | 'progress' | 'announce'> = {},
): Promise<{ name: string; oldPid?: number; pid: number; restarts: number; state: GridState }> {
  const dir = path.resolve(opts.dir ?? defaultGridDir());
  const release = await lockGridDir(dir, opts.progress ?? silentProgress);
  try {
    const state = readState(dir);
    if (!state) throw new InputError(`no local grid in ${dir}`, { fix: 'run `tfgrid local up`' });
    const canonical = resolveDaemonName(state, name);
    if (canonical !== 'chain') {
      const r = await restartDaemon(state, canonical, { progress: opts.progress });
      return { ...r, state };
    }
    const old = state.chain?.process;
    if (old) await stopProcess(old);
    const next = await startUnlocked(dir, { ...opts, nodes: state.nodes.length, lightNodes: lightNodeCount(state), backend: state.backend, gatewayDomain: state.gatewayDomain });
    return { name: 'chain', oldPid: old?.pid, pid: next.chain?.process?.pid ?? 0, restarts: 0, state: next };
  } finally {
    release();
  }
}

/**
 * Adds a funded user twin to the running grid in `dir` (its own account: deployers running at the same time
 * must not share one). Serialised with `up` by the grid lock, so //Alice's transfers never race.
 */
export async function addGridUser(dir: string): Promise<{ mnemonic: string; twinId: number }> {
  const release = await lockGridDir(path.resolve(dir), silentProgress);
  try {
    const state = readState(path.resolve(dir));
    if (!state?.chain) throw new InputError(`no local grid in ${dir}`, { fix: 'run `tfgrid local up`' });
    const u = await createFundedUser(state.chain.url, RELAY_DOMAIN);
    return { mnemonic: u.mnemonic, twinId: u.twinId };
  } finally {
    release();
  }
}

/** Takes `<dir>/up.lock` (O_EXCL, holder PID inside; a dead holder's lock is taken over). */
async function lockGridDir(dir: string, progress: Progress): Promise<() => void> {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, 'up.lock');
  for (let waited = 0; ; waited += 250) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lock, { force: true });
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8') || '0');
      if (!holder || processStartTime(holder) === undefined) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (waited % 5000 === 0) progress.update(`waiting for another \`tfgrid local up\` (pid ${holder}) on ${dir}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * `up` on a grid that exists: when its chain runs and its size is kept, start again only the daemons that died
 * (issue 19; node data, stacks and contracts stay) and return it as `healed`. Otherwise take it down, keep its
 * stacks aside, and return why it is `replaced` with options that take its ports again when free.
 */
async function healOrReplace(
  dir: string,
  existing: GridState,
  size: { nodes: number; lightNodes: number },
  opts: LocalGridOptions,
): Promise<{ healed: GridState } | { replaced: { reason: string; keptIn?: string }; opts: LocalGridOptions }> {
  const log = opts.log ?? silentLogger;
  const progress = opts.progress ?? silentProgress;
  const reason = replaceReason(existing, size.nodes, size.lightNodes);
  if (reason === undefined) {
    // The chain runs: start again only what died (issue 19); node data, stacks and contracts stay.
    const dead = deadDaemons(existing).map((d) => d.name);
    if (existing.watchdog && !isRunning(existing.watchdog) && opts.stopWhenPidExits !== undefined) {
      existing.watchdog = spawnWatchdog(dir, opts.stopWhenPidExits);
      writeState(existing);
    }
    if (dead.length === 0) {
      progress.done(`local grid already running (${existing.nodes.length} nodes, ${existing.backend} backend)`);
      return { healed: existing };
    }
    const t = Date.now();
    const healed = await healGrid(existing, { progress });
    const what = [...healed.restarted.map((r) => `restarted ${r}`), ...healed.adopted.map((a) => `adopted ${a}`)].join(', ');
    progress.done(`local grid: ${what} in ${((Date.now() - t) / 1000).toFixed(1)} s; the chain, the other daemons, node data and stacks were kept`);
    log.info('local grid healed', { dir, restarted: healed.restarted, adopted: healed.adopted, ms: Date.now() - t });
    return { healed: existing };
  }
  progress.update(`${reason}: taking the old grid down to start a new one`);
  await stopLocalGrid({ dir, log, progress });
  const replaced = { reason, keptIn: keepStacksAside(dir) };
  const old = existingPorts(existing);
  return {
    replaced,
    opts: {
      ...opts,
      chainPort: opts.chainPort ?? old.chainPort,
      relayPort: opts.relayPort ?? old.relayPort,
      hubPort: opts.hubPort ?? old.hubPort,
      gridProxyPort: opts.gridProxyPort ?? old.gridProxyPort,
    },
  };
}

async function startUnlocked(dir: string, opts: LocalGridOptions): Promise<GridState> {
  const log = opts.log ?? silentLogger;
  const progress = opts.progress ?? silentProgress;
  const announce = opts.announce ?? (() => {});
  const existing = readState(dir);
  // Without --nodes, a grid that exists keeps its size: `up` after a crash must not replace it for a default.
  const nodes = opts.nodes ?? existing?.nodes.length ?? 3;
  const lightNodes = opts.lightNodes ?? (existing ? lightNodeCount(existing) : 0);
  if (lightNodes > nodes) {
    throw new InputError(`--light-nodes ${lightNodes}: the grid has only ${nodes} nodes`, { path: '--light-nodes', fix: `ask at most ${nodes} light nodes, or more nodes with --nodes` });
  }

  let replaced: { reason: string; keptIn?: string } | undefined;
  if (existing) {
    const kept = await healOrReplace(dir, existing, { nodes, lightNodes }, opts);
    if ('healed' in kept) return kept.healed;
    ({ replaced, opts } = kept);
  }

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const { backend, reason } = chooseBackend(opts.backend ?? 'auto', {
    isRoot,
    platform: process.platform,
    missing: process.platform === 'linux' ? missingToolsSync(LINUX_TOOLS) : [],
    ci: !!process.env.CI,
  });
  if (backend === 'sim') announce(`!!! ${reason}`);
  if (replaced) {
    announce(
      `!!! a new local grid replaces the old one: ${replaced.reason}. ` +
        (replaced.keptIn
          ? `The stacks deployed on the old grid are lost on the new chain (their contracts and workloads are gone); their state is kept in ${replaced.keptIn}, not deleted.`
          : 'No stack state was found to keep.'),
    );
  }

  const prefix = newGridPrefix();
  const state: GridState = {
    version: 1,
    prefix,
    dir,
    backend,
    backendReason: reason,
    phase: 'starting',
    startedAt: new Date().toISOString(),
    internetNs: '',
    gatewayDomain: opts.gatewayDomain ?? 'tfgrid.test',
    farms: [],
    nodes: [],
  };
  // A new grid means a new chain: node data and example stack states of an earlier grid describe contracts
  // that no longer exist. The hub's flists stay (a cache).
  for (const stale of ['nodes', ...STACK_STATE_DIRS]) fs.rmSync(path.join(dir, stale), { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  writeState(state);

  try {
    const up: UpContext = { dir, state, nodes, lightNodes, backend, progress };
    // Independent steps at once (issue 16): the node processes load their code, the grid internet is made and
    // the chain starts; each records what it started before any failure is thrown.
    const plan = planGridTopology(up);
    const addressing = gridAddressing(up, plan);
    const { hostAddress } = addressing;
    const hubPort = await pickPort(opts.hubPort, DEFAULT_HUB_PORT);
    const nodesUp = spawnNodesEarly(up);
    // Hub and DNS need no chain; awaited (and their failure thrown) once the nodes need the DNS.
    const hubAndDns = startHubAndDns(up, { hubPort, addressing });
    hubAndDns.catch(() => undefined);
    const [topoR, chainR] = await Promise.allSettled([startTopology(up, plan), (async () => startChain(up, await pickPort(opts.chainPort, DEFAULT_CHAIN_PORT)))()]);
    const { ready: nodesReady } = await nodesUp;
    for (const r of [topoR, chainR]) if (r.status === 'rejected') throw r.reason;
    if (chainR.status !== 'fulfilled') throw new TfgridError('unreachable');
    const chain = chainR.value;
    const relayPort = await pickPort(opts.relayPort, DEFAULT_RELAY_PORT);
    const registered = await Promise.allSettled([startRelayAndRegister(up, { chainUrl: chain.url, relayPort, addressing }), hubAndDns]);
    for (const r of registered) if (r.status === 'rejected') throw r.reason;
    if (registered[0].status !== 'fulfilled') throw new TfgridError('unreachable');
    const { relayUrl, boot } = registered[0].value;
    recordRegistration(up, boot, plan, addressing.farmIps);

    progress.update(`nodes: starting ${nodes} node runtimes (${backend} backend)`);
    await Promise.all(
      state.nodes.map(async (n) => {
        const farmerTwinId = boot.farms.find((f) => f.farmId === n.farmId)?.twinId;
        writeNodeConfig(n, {
          backend,
          chainUrl: chain.url,
          relayUrl,
          farmerTwinId,
          publicAddress: hostAddress(n.index),
          prefix: nodePrefix(prefix, n.index),
          zdbPort: await freePort(),
          dns: state.dns ? `${state.dns.address}:${state.dns.port}` : undefined,
          ca: state.ca,
        });
      }),
    );
    // The node processes start on their configs now; the grid proxy starts meanwhile (issue 16).
    const proxyStarted = (async () => {
      // its own twin (it asks the nodes for their reports over RMB), registered with the user's
      const secret = boot.proxyUser?.mnemonic ?? (await createFundedUser(chain.url, RELAY_DOMAIN)).mnemonic;
      const port = await pickPort(opts.gridProxyPort, DEFAULT_GRID_PROXY_PORT);
      try {
        await startGridProxy(up, { port, chainUrl: chain.url, relayUrl, secret });
      } catch (err) {
        // The default port was free when picked, and another grid's proxy took it since: any free one then.
        if (opts.gridProxyPort !== undefined || !/EADDRINUSE/.test(errorText(err))) throw err;
        await startGridProxy(up, { port: await freePort(), chainUrl: chain.url, relayUrl, secret });
      }
    })();
    const [nodesR, proxyR] = await Promise.allSettled([nodesReady, proxyStarted]);
    for (const r of [nodesR, proxyR]) if (r.status === 'rejected') throw r.reason;
    const light = state.nodes.filter((n) => n.light).map((n) => n.nodeId);
    progress.done(`nodes: ${state.nodes.map((n) => n.nodeId).join(', ')} serving RMB (${backend} backend${light.length ? `; light: ${light.join(', ')}` : ''})`);
    progress.update('grid proxy: indexing the nodes');
    await proxySeesNodes(up);
    progress.done(`grid proxy: ${state.gridProxy?.url} lists every node up`);

    if (opts.stopWhenPidExits !== undefined) state.watchdog = spawnWatchdog(dir, opts.stopWhenPidExits);
    state.phase = 'running';
    writeState(state);
    log.info('local grid up', { dir, prefix, backend, nodes, lightNodes });
    return state;
  } catch (err) {
    state.phase = 'failed';
    writeState(state);
    progress.update('start-up failed: stopping what was started');
    await stopLocalGrid({ dir, log, progress: silentProgress }).catch((e) => log.warn('cleanup after failed start', { error: errorText(e) }));
    if (err instanceof TfgridError) throw err;
    throw new TfgridError(`local grid start-up failed: ${errorText(err)}`, { fix: `see logs in ${path.join(dir, 'logs')}` }, { cause: err });
  }
}

function spawnWatchdog(dir: string, pid: number): ProcessRecord {
  const entry = nodeEntry('local/grid/watchdog-main.ts');
  return spawnDaemon({ name: 'watchdog', command: entry.command, args: [...entry.args, dir, String(pid)], logFile: daemonLogFile(dir, 'watchdog') });
}

export interface DownReport {
  stopped: string[];
  sweep: SweepReport;
}

/**
 * The order `down` stops daemons in: each wave at once, waves one after another. Nodes (and the watchdog)
 * first, as they hold connections to the relay and the chain; then relay, hub and DNS; the chain last.
 */
export function stopWaves(state: GridState): ProcessRecord[][] {
  // Sim nodes sharing a process hold the same record: stop it once.
  const seen = new Set<number>();
  const nodes = state.nodes.flatMap((n) => (n.process && !seen.has(n.process.pid) && seen.add(n.process.pid) ? [n.process] : []));
  const services = [state.gridProxy, state.dns, state.hub, state.relay].flatMap((s) => (s?.process ? [s.process] : []));
  const waves = [[...(state.watchdog ? [state.watchdog] : []), ...nodes.reverse()], services, state.chain?.process ? [state.chain.process] : []];
  return waves.filter((w) => w.length > 0);
}

/**
 * Stops every daemon by PID (`stopWaves`: SIGTERM, SIGKILL after a bounded wait), then the node backends'
 * own cleanup for every node at once, then sweeps namespaces, mounts, loops, sockets, cgroups. Each step's
 * duration is logged (`log.info('down step', …)`).
 */
export async function stopLocalGrid(opts: { dir?: string; log?: Logger; progress?: Progress; skipPid?: number } = {}): Promise<DownReport> {
  const dir = path.resolve(opts.dir ?? defaultGridDir());
  const progress = opts.progress ?? silentProgress;
  const log = opts.log ?? silentLogger;
  const state = readState(dir);
  const stopped: string[] = [];
  if (!state) {
    return { stopped, sweep: { mounts: [], loops: [], namespaces: [], sockets: [], cgroups: [], errors: [] } };
  }
  const t0 = Date.now();
  for (const wave of stopWaves(state)) {
    const procs = wave.filter((p) => p.pid !== opts.skipPid);
    if (procs.length === 0) continue;
    progress.update(`stopping ${procs.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
    const results = await Promise.all(
      procs.map(async (p) => {
        const t = Date.now();
        const r = await stopProcess(p);
        log.info('down step', { step: `stop ${p.name}`, pid: p.pid, result: r, ms: Date.now() - t });
        return r;
      }),
    );
    procs.forEach((p, i) => {
      if (results[i] !== 'not-running') stopped.push(`${p.name} (pid ${p.pid}, ${results[i]})`);
    });
  }
  // A node that crashed (or was killed) leaves containers, wireguard-go and cgroups that only its backends
  // know by pid file and name: the Linux backends' own cleanup finds them. Nodes' names never overlap.
  if (state.backend === 'linux') {
    const t = Date.now();
    progress.update(`nodes ${state.nodes.map((n) => n.nodeId).join(', ')}: removing what their backends left`);
    await Promise.all(
      state.nodes.map((n) =>
        cleanupAll({ prefix: nodePrefix(state.prefix, n.index), dataDir: n.dataDir, hostNetns: n.netns }).catch((err) =>
          log.warn('node backend cleanup failed', { node: n.nodeId, error: errorText(err) }),
        ),
      ),
    );
    log.info('down step', { step: 'node backend cleanup', ms: Date.now() - t });
  }
  progress.update('removing namespaces, mounts, loop devices');
  const t = Date.now();
  const sweep = await sweepGrid({ dir, prefixes: gridPrefixes(state), log: opts.log });
  log.info('down step', { step: 'sweep', ms: Date.now() - t });
  removeState(dir);
  log.info('local grid down', { dir, ms: Date.now() - t0 });
  progress.done(`local grid down (${stopped.length} processes stopped, ${sweep.namespaces.length} namespaces removed)`);
  return { stopped, sweep };
}

/** Takes the grid down and deletes its directory (chain data, node data, logs). */
export async function resetLocalGrid(opts: { dir?: string; log?: Logger; progress?: Progress; skipPid?: number } = {}): Promise<DownReport> {
  const dir = path.resolve(opts.dir ?? defaultGridDir());
  let report: DownReport;
  try {
    report = await stopLocalGrid({ ...opts, dir });
  } catch (err) {
    // A damaged state file must not block a reset: sweep nothing by prefix (unknown), remove the directory.
    opts.log?.warn('reset: state unreadable, removing the directory', { error: errorText(err) });
    report = { stopped: [], sweep: await sweepGrid({ dir, prefixes: [], log: opts.log }) };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return report;
}
