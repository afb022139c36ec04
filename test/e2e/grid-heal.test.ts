/**
 * One crashed daemon must not cost the whole local grid (issue 19), as a user meets it through `tfgrid`: with a
 * stack deployed (a 0-db on each node), node 1 dies by SIGKILL; `deploy` names it and the fix; `up` starts only
 * it again (same chain, relay, hub, DNS and node 2 processes; the stack state untouched), and the stack's next
 * preview and up change nothing and leave the same contracts. `restart node1` is a reboot on purpose, `status`
 * counts it; relay, hub and DNS die and come back the same way. Last, the chain dies: `up` starts a new grid,
 * says what was lost, and keeps the old stack state in `<dir>/kept/<date>/`.
 *
 * This file kills daemons, so it runs its OWN grid (own directory, own prefix, sim backend, free ports), never
 * the shared e2e grid, and takes it down at the end (a watchdog does if the run dies).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalGrid, resetLocalGrid } from '../../local/grid/grid';
import { readState, type GridState } from '../../local/grid/state';
import { isRunning } from '../../local/grid/supervisor';
import { STACK_STATE_DIRS } from '../../local/grid/heal';
import { killHard, runCli } from './heal-helpers';

jest.setTimeout(600_000);
const REPO_NODE_MODULES = path.resolve(__dirname, '..', '..', 'node_modules');

const PROGRAM = `import * as tfgrid from "pulumi-tfgrid";
const a = new tfgrid.Zdb("db1", { node: 1, size: "1GiB", mode: "user" });
const b = new tfgrid.Zdb("db2", { node: 2, size: "1GiB", mode: "user" });
export const ns1 = a.namespace;
export const ns2 = b.namespace;
`;

let dir: string;
let project: string;

function state(): GridState {
  const s = readState(dir);
  if (!s) throw new Error(`no state in ${dir}`);
  return s;
}

/** The grid's stack state dirs that hold something (the test engine's `stacks/`, the Pulumi CLI's `pulumi-state/`). */
function stackStateDirs(): string[] {
  return STACK_STATE_DIRS.filter((d) => fs.existsSync(path.join(dir, d)) && fs.readdirSync(path.join(dir, d)).length > 0);
}

const deploy = (...extra: string[]) => runCli(['local', 'deploy', project, '--dir', dir, '--stack', 'heal', '--json', ...extra]);

async function contracts(): Promise<number[]> {
  const r = await runCli(['contracts', 'list', '--twin', String(state().user?.twinId), '--dir', dir, '--json']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { contracts: { contractId: number }[] }).contracts.map((c) => c.contractId).sort((x, y) => x - y);
}

/** The stack's next preview and up: nothing to do. */
async function expectNoChange(): Promise<void> {
  for (const mode of [['--preview'], []]) {
    const r = await deploy(...mode);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    const plan = JSON.parse(r.out) as { steps: { op: string; name: string }[] };
    expect(plan.steps.filter((s) => s.op !== 'same')).toEqual([]);
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-heal-grid-'));
  await startLocalGrid({ dir, nodes: 2, backend: 'sim', chainPort: 0, relayPort: 0, hubPort: 0, gridProxyPort: 0, stopWhenPidExits: process.pid });
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-heal-project-'));
  fs.writeFileSync(path.join(project, 'Pulumi.yaml'), 'name: heal\nruntime: nodejs\n');
  fs.writeFileSync(path.join(project, 'index.ts'), PROGRAM);
  fs.mkdirSync(path.join(project, 'node_modules'));
  for (const e of fs.readdirSync(REPO_NODE_MODULES)) fs.symlinkSync(path.join(REPO_NODE_MODULES, e), path.join(project, 'node_modules', e));
  const up = await deploy();
  expect({ code: up.code, err: up.code === 0 ? '' : up.err }).toEqual({ code: 0, err: '' });
});

afterAll(async () => {
  if (dir) await resetLocalGrid({ dir });
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

describe('a local grid with a dead daemon', () => {
  it('node 1 killed: deploy names it and the fix; up restarts only it; the stack is a no-op with the same contracts', async () => {
    const before = await contracts();
    expect(before.length).toBeGreaterThanOrEqual(2);
    const s0 = state();
    await killHard(s0.nodes[0].process);

    const refused = await deploy('--preview');
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain(`daemon dead: node1 (pid ${s0.nodes[0].process?.pid})`);
    expect(refused.err).toContain(`tfgrid local restart node1 --dir ${dir}`);
    expect(refused.err).not.toContain('the local grid is not running');

    const st = await runCli(['local', 'status', '--dir', dir, '--json']);
    expect(st.code).toBe(3);
    const daemons = (JSON.parse(st.out) as { daemons: { name: string; state: string }[] }).daemons;
    expect(daemons.map((d) => `${d.name}:${d.state}`)).toEqual(['chain:running', 'relay:running', 'hub:running', 'dns:running', 'gridproxy:running', 'node1:dead', 'node2:running']);

    const up = await runCli(['local', 'up', '--dir', dir]);
    expect(up.code).toBe(0);
    expect(up.err).toMatch(/restarted node1 \(pid \d+ → \d+\).*the chain, the other daemons, node data and stacks were kept/);
    const s1 = state();
    // Everything but node 1 is the same process; node 1 is a new one, counted.
    for (const k of ['chain', 'relay', 'hub', 'dns'] as const) expect(s1[k]?.process?.pid).toBe(s0[k]?.process?.pid);
    expect(s1.nodes[1].process?.pid).toBe(s0.nodes[1].process?.pid);
    expect(s1.nodes[0].process?.pid).not.toBe(s0.nodes[0].process?.pid);
    expect(s1.nodes[0].process?.restarts).toBe(1);
    expect(stackStateDirs().length).toBeGreaterThan(0);

    await expectNoChange();
    expect(await contracts()).toEqual(before);
  });

  it('restart node1 reboots it on purpose; status counts the restarts', async () => {
    const before = state().nodes[0].process?.pid;
    const r = await runCli(['local', 'restart', 'node1', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { name: string; oldPid: number; pid: number; restarts: number };
    expect(out).toMatchObject({ name: 'node1', oldPid: before, restarts: 2 });
    expect(out.pid).not.toBe(before);

    const st = await runCli(['local', 'status', '--dir', dir, '--json']);
    expect(st.code).toBe(0);
    const daemons = (JSON.parse(st.out) as { daemons: { name: string; state: string; restarts: number }[] }).daemons;
    expect(daemons.find((d) => d.name === 'node1')).toMatchObject({ state: 'running', restarts: 2 });
    expect(daemons.find((d) => d.name === 'node2')).toMatchObject({ state: 'running', restarts: 0 });
    const text = await runCli(['local', 'status', '--dir', dir]);
    expect(text.out).toMatch(/running node \d+ {2}\(node1\).*\(restarted 2×\)/);
    await expectNoChange();
  });

  it('relay, hub and DNS killed: up restarts the three on their ports; the stack is a no-op', async () => {
    const before = await contracts();
    const s0 = state();
    await Promise.all([killHard(s0.relay?.process), killHard(s0.hub?.process), killHard(s0.dns?.process)]);
    const up = await runCli(['local', 'up', '--dir', dir]);
    expect(up.code).toBe(0);
    for (const k of ['relay', 'hub', 'dns']) expect(up.err).toMatch(new RegExp(`restarted ${k} \\(pid`));
    const s1 = state();
    expect(s1.chain?.process?.pid).toBe(s0.chain?.process?.pid);
    expect(s1.nodes.map((n) => n.process?.pid)).toEqual(s0.nodes.map((n) => n.process?.pid));
    expect([s1.relay?.url, s1.hub?.url, s1.dns?.port]).toEqual([s0.relay?.url, s0.hub?.url, s0.dns?.port]);
    await expectNoChange();
    expect(await contracts()).toEqual(before);
  });

  it('the chain killed: deploy says so; up starts a new grid, says what was lost, and keeps the old stacks aside', async () => {
    const s0 = state();
    const kinds = stackStateDirs();
    expect(kinds.length).toBeGreaterThan(0);
    const files = (root: string) => kinds.map((k) => fs.readdirSync(path.join(root, k), { recursive: true }).map(String).sort());
    const stackFiles = files(dir);
    await killHard(s0.chain?.process);

    const refused = await deploy('--preview');
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("the local grid's chain is dead");
    expect(refused.err).toContain('keeps the old stacks');

    const up = await runCli(['local', 'up', '--dir', dir, '--backend', 'sim']);
    expect(up.code).toBe(0);
    expect(up.err).toMatch(/a new local grid replaces the old one: the chain \(pid \d+\) is dead/);
    const kept = /their state is kept in (\S+), not deleted/.exec(up.err)?.[1];
    expect(kept).toBeDefined();
    expect(path.dirname(kept ?? '')).toBe(path.join(dir, 'kept'));
    expect(files(kept ?? '')).toEqual(stackFiles);
    expect(stackStateDirs()).toEqual([]);
    const s1 = state();
    expect(s1.chain?.process?.pid).not.toBe(s0.chain?.process?.pid);
    expect(s1.nodes).toHaveLength(2);
    // The old daemons are gone, not left running beside the new grid.
    for (const p of [s0.relay?.process, s0.hub?.process, s0.dns?.process, ...s0.nodes.map((n) => n.process)]) expect(p && isRunning(p)).toBe(false);
  });
});
