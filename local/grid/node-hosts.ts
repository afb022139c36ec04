/**
 * Which process each node runtime of the local grid runs in (issue 16). A linux node always has a process of
 * its own (`node-main`: real isolation, its own cgroups, namespaces and crash). Sim nodes share at most
 * `SIM_NODE_HOSTS` processes (`node-host-main`), in contiguous groups of sizes that differ by at most one:
 * 50 sim nodes are 4 processes instead of 50, and a grid of up to 4 sim nodes still has one process per node
 * (killing one kills only it). Every node keeps its own record in the state file: the host's pid and start
 * time, its own log file, and `hostLogFile` when it shares the process.
 *
 * Stopping or restarting one node of a shared process stops or restarts the whole process: `startNodeAgain`
 * starts it again with every node it held (each counted as restarted), once even when several of them are
 * asked for at the same time (`healGrid` restarting every dead node at once).
 * @module
 */
import * as path from 'path';
import { logLine, waitUntil } from './readiness';
import { keepPreviousLog } from './services';
import type { GridState, NodeState } from './state';
import { nodeEntry, spawnDaemon, type ProcessRecord } from './supervisor';
import { startNodeDaemon } from './node-daemon';

/** How many processes a sim grid's nodes share at most (4: about 1 GB for 50 nodes with the services). */
export const SIM_NODE_HOSTS = 4;

/** Linux nodes one per group; sim nodes in at most `hosts` contiguous groups of sizes that differ by at most one. */
export function nodeGroups<T>(nodes: readonly T[], backend: 'sim' | 'linux', hosts = SIM_NODE_HOSTS): T[][] {
  if (backend === 'linux' || nodes.length <= hosts) return nodes.map((n) => [n]);
  const groups: T[][] = [];
  let at = 0;
  for (let g = 0; g < hosts; g++) {
    const size = Math.floor(nodes.length / hosts) + (g < nodes.length % hosts ? 1 : 0);
    groups.push(nodes.slice(at, at + size));
    at += size;
  }
  return groups;
}

/** The own log of a process hosting several nodes: `logs/nodes<first>-<last>.log`. */
export function hostLogFile(dir: string, group: readonly NodeState[]): string {
  return path.join(dir, 'logs', `nodes${group[0].index}-${group[group.length - 1].index}.log`);
}

/** The nodes that share `n`'s process (with `n`, in index order), or just `n` when it runs alone. */
export function hostSiblings(state: GridState, n: NodeState): NodeState[] {
  const p = n.process;
  if (!p?.hostLogFile) return [n];
  return state.nodes.filter((x) => x === n || (x.process?.pid === p.pid && x.process.startTime === p.startTime));
}

function nodeLogFile(dir: string, n: NodeState): string {
  return path.join(dir, 'logs', `node${n.index}.log`);
}

/**
 * Starts one group of nodes (their configs written): a group of one as its own `node-main`, a larger one as
 * a `node-host-main`. Every node's `process` is set before this returns (so a failed start is still stopped
 * by `down`); with `restart`, each record counts one restart more. `ready` resolves once every node of the
 * group serves RMB (rejects with the node's log when the process dies first).
 */
export async function startNodeGroup(dir: string, group: NodeState[], opts: { restart?: boolean; timeoutMs?: number } = {}): Promise<{ ready: Promise<void> }> {
  const restarts = (n: NodeState) => (opts.restart ? { restarts: (n.process?.restarts ?? 0) + 1 } : {});
  if (group.length === 1) {
    const n = group[0];
    const r = await startNodeDaemon(n, { logFile: nodeLogFile(dir, n), timeoutMs: opts.timeoutMs });
    n.process = { ...r.process, ...restarts(n) };
    return { ready: r.ready.then(() => undefined) };
  }
  const hostLog = hostLogFile(dir, group);
  keepPreviousLog(hostLog);
  for (const n of group) keepPreviousLog(nodeLogFile(dir, n));
  const entry = nodeEntry('local/grid/node-host-main.ts');
  const host = spawnDaemon({
    name: `nodes${group[0].index}-${group[group.length - 1].index}`,
    command: entry.command,
    args: [...entry.args, ...group.flatMap((n) => [n.configFile, nodeLogFile(dir, n)])],
    logFile: hostLog,
  });
  for (const n of group) n.process = { ...host, name: `node${n.index}`, logFile: nodeLogFile(dir, n), hostLogFile: hostLog, ...restarts(n) };
  const ready = Promise.all(
    group.map((n) =>
      waitUntil(logLine(nodeLogFile(dir, n), /^node ready: /m), {
        what: `node${n.index}: waiting until it serves RMB`,
        // The host starts its nodes one after another on one event loop: more nodes, more time.
        timeoutMs: opts.timeoutMs ?? 90_000 + 5_000 * group.length,
        intervalMs: 200,
        process: n.process as ProcessRecord,
      }),
    ),
  );
  return { ready: ready.then(() => undefined) };
}

/** Node restarts under way, per grid state, by node index: the nodes of one host start once. */
const inFlight = new WeakMap<GridState, Map<number, Promise<void>>>();

/**
 * Starts node `n` again on its config and data dir (its old process must be gone), with the other nodes of
 * its process when it shares one; each record counts one restart more. Resolves once they serve RMB. Calls
 * for several nodes of one host at the same time start that host once.
 */
export async function startNodeAgain(state: GridState, n: NodeState): Promise<ProcessRecord> {
  let flights = inFlight.get(state);
  if (!flights) inFlight.set(state, (flights = new Map()));
  const pending = flights.get(n.index);
  if (pending) {
    await pending;
  } else {
    const group = hostSiblings(state, n);
    // The records change only after a turn of the event loop: callers restarting several nodes at once
    // (`healGrid`) read every node's old record first, then find this start in `flights`.
    const started = (async () => {
      await Promise.resolve();
      await (await startNodeGroup(state.dir, group, { restart: true })).ready;
    })();
    const map = flights;
    for (const g of group) map.set(g.index, started);
    try {
      await started;
    } finally {
      for (const g of group) map.delete(g.index);
    }
  }
  if (!n.process) throw new Error(`node${n.index}: no process after its restart`);
  return n.process;
}
