/**
 * Sim nodes sharing a process (issue 16, local/grid/node-hosts.ts) still behave as separate nodes: a 5-node sim
 * grid runs nodes 1+2 in one process and 3, 4, 5 alone; every node's twin answers over RMB with its own public
 * config (its own domain), node ids follow node indexes (nodes 2..5 are registered as storage copies of node 1).
 * Killing the shared process kills nodes 1 and 2 only; `up` starts that one process again for both (each
 * counted as restarted, node 3 untouched); `restart node2` restarts it again with node 1; both answer after.
 *
 * Kills daemons, so it runs its OWN grid (own directory, free ports), taken down at the end (a watchdog does
 * if the run dies).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resetLocalGrid, startLocalGrid } from '../../local/grid/grid';
import { readState, type GridState } from '../../local/grid/state';
import { isRunning } from '../../local/grid/supervisor';
import { runCli as runCliOnce } from '../helpers/run-cli';

jest.setTimeout(600_000);

let dir: string;

/** The CLI in process; `process.exitCode` set by one verb (status: 3) must not leak into the next. */
async function runCli(args: string[]) {
  process.exitCode = undefined;
  try {
    return await runCliOnce(args);
  } finally {
    process.exitCode = undefined;
  }
}

function state(): GridState {
  const s = readState(dir);
  if (!s) throw new Error(`no state in ${dir}`);
  return s;
}

/** Each node's answer to `zos.network.public_config_get`, asked of its own twin: its domain. */
async function domains(s: GridState): Promise<string[]> {
  const out: string[] = [];
  for (const n of s.nodes) {
    const r = await runCli(['rmb', 'call', '--twin', String(n.twinId), '--cmd', 'zos.network.public_config_get', '--dir', dir]);
    expect({ node: n.index, code: r.code, err: r.err }).toEqual({ node: n.index, code: 0, err: '' });
    out.push((JSON.parse(r.out) as { domain: string }).domain);
  }
  return out;
}

const expected = [1, 2, 3, 4, 5].map((i) => `node${i}.tfgrid.test`);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-hosts-grid-'));
  await startLocalGrid({ dir, nodes: 5, backend: 'sim', chainPort: 0, relayPort: 0, hubPort: 0, gridProxyPort: 0, stopWhenPidExits: process.pid });
});

afterAll(async () => {
  if (dir) await resetLocalGrid({ dir });
});

describe('sim nodes sharing a process', () => {
  it('nodes 1+2 share a process, 3..5 run alone; ids follow indexes; each twin answers as its own node', async () => {
    const s = state();
    const pids = s.nodes.map((n) => n.process?.pid);
    expect(pids[0]).toBe(pids[1]);
    expect(new Set(pids).size).toBe(4);
    expect(s.nodes[0].process?.hostLogFile).toBe(path.join(dir, 'logs', 'nodes1-2.log'));
    expect(s.nodes[2].process?.hostLogFile).toBeUndefined();
    expect(s.nodes.map((n) => n.process?.logFile)).toEqual([1, 2, 3, 4, 5].map((i) => path.join(dir, 'logs', `node${i}.log`)));
    expect(s.nodes.map((n) => n.nodeId)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(s.nodes.map((n) => n.twinId)).size).toBe(5);
    expect(await domains(s)).toEqual(expected);
  });

  it('the shared process killed: nodes 1 and 2 dead, up starts one process for both, node 3 untouched', async () => {
    const s0 = state();
    const host = s0.nodes[0].process;
    if (!host) throw new Error('no process recorded');
    process.kill(host.pid, 'SIGKILL');
    for (let i = 0; i < 200 && isRunning(host); i++) await new Promise((r) => setTimeout(r, 25));
    const st = await runCli(['local', 'status', '--dir', dir, '--json']);
    const daemons = (JSON.parse(st.out) as { daemons: { name: string; state: string }[] }).daemons.filter((d) => d.name.startsWith('node'));
    expect(daemons.map((d) => `${d.name}:${d.state}`)).toEqual(['node1:dead', 'node2:dead', 'node3:running', 'node4:running', 'node5:running']);

    const up = await runCli(['local', 'up', '--dir', dir]);
    expect(up.code).toBe(0);
    expect(up.err).toMatch(/restarted node1 \(pid (\d+) → (\d+)\), restarted node2 \(pid \1 → \2\)/);
    const s1 = state();
    expect(s1.nodes[0].process?.pid).toBe(s1.nodes[1].process?.pid);
    expect(s1.nodes[0].process?.pid).not.toBe(host.pid);
    expect(s1.nodes.map((n) => n.process?.restarts ?? 0)).toEqual([1, 1, 0, 0, 0]);
    expect(s1.nodes[2].process?.pid).toBe(s0.nodes[2].process?.pid);
    expect(await domains(s1)).toEqual(expected);
  });

  it('restart node2 restarts its process with node 1; the others keep theirs', async () => {
    const s0 = state();
    const r = await runCli(['local', 'restart', 'node2', '--dir', dir, '--json']);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(r.out)).toMatchObject({ name: 'node2', oldPid: s0.nodes[1].process?.pid, restarts: 2 });
    const s1 = state();
    expect(s1.nodes[0].process?.pid).toBe(s1.nodes[1].process?.pid);
    expect(s1.nodes[0].process?.pid).not.toBe(s0.nodes[0].process?.pid);
    expect(s1.nodes.map((n) => n.process?.restarts ?? 0)).toEqual([2, 2, 0, 0, 0]);
    expect(s1.nodes.slice(2).map((n) => n.process?.pid)).toEqual(s0.nodes.slice(2).map((n) => n.process?.pid));
    expect(await domains(s1)).toEqual(expected);
  });
});
