/**
 * Issue 19's last point on the real backends: with the web-app example deployed (a machine behind a NameProxy)
 * on a linux grid, each kind of daemon dies in turn (node 1 by SIGKILL, then the relay, the hub, the DNS and the
 * grid proxy); `tfgrid local up` starts only it again, the page is served through the gateway right after (fetched
 * from a laptop namespace with `tfgrid local curl`; a restarted node says ready only once its routes are back),
 * and the stack's next preview and up change nothing and leave the same contracts. grid-heal.test.ts covers the
 * same on the sim backend (no page), and the chain's death.
 *
 * This file kills daemons, so it runs its OWN grid (own directory, own prefix, free ports, one node), never the
 * shared e2e grid, and takes it down at the end (a watchdog does if the run dies). Needs root and the linux
 * tools: fails loudly otherwise, never skips.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalGrid, resetLocalGrid } from '../../local/grid/grid';
import { readState, type GridState } from '../../local/grid/state';
import { isRoot, missingTools } from '../helpers/require-tools';
import { killHard, runCli } from './heal-helpers';

jest.setTimeout(900_000);
const REPO = path.resolve(__dirname, '..', '..');
const PAGE = 'hello from pulumi-tfgrid';
const TOOLS = ['ip', 'runc', 'wireguard-go', 'wg', 'losetup', 'mkfs.ext4', 'nsenter', 'curl'];

let dir: string | undefined;
let project: string | undefined;
let url: string;

function state(): GridState {
  const s = dir ? readState(dir) : undefined;
  if (!s) throw new Error(`no state in ${dir}`);
  return s;
}

const deploy = (...extra: string[]) => runCli(['local', 'deploy', project ?? '', '--dir', dir ?? '', '--stack', 'heal', '--json', ...extra]);

async function listContracts(): Promise<{ contractId: number; type: string; nodeId?: number }[]> {
  const r = await runCli(['contracts', 'list', '--twin', String(state().user?.twinId), '--dir', dir ?? '', '--json']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { contracts: { contractId: number; type: string; nodeId?: number }[] }).contracts;
}

async function contracts(): Promise<number[]> {
  return (await listContracts()).map((c) => c.contractId).sort((x, y) => x - y);
}

/**
 * Every workload of the stack's deployments as node 1 has them: all `ok`. A `pulumi up` without refresh does not
 * look at results, so a workload the node's boot recovery failed would pass the no-op check unseen.
 */
async function expectWorkloadsOk(): Promise<void> {
  const bad: string[] = [];
  for (const c of (await listContracts()).filter((x) => x.type === 'node')) {
    const r = await runCli(['zos', 'deployment', 'get', '--node', String(c.nodeId), '--contract', String(c.contractId), '--dir', dir ?? '']);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    const dl = JSON.parse(r.out) as { workloads: { name: string; result: { state: string; message: string } }[] };
    for (const w of dl.workloads) if (w.result.state !== 'ok') bad.push(`contract ${c.contractId} ${w.name}: ${w.result.state} ${w.result.message}`);
  }
  expect(bad).toEqual([]);
}

/** The stack's next preview and up: nothing to do. */
async function expectNoChange(): Promise<void> {
  for (const mode of [['--preview'], []]) {
    const r = await deploy(...mode);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    const plan = JSON.parse(r.out) as { steps: { op: string; name: string }[] };
    expect(plan.steps.length).toBeGreaterThan(0);
    expect(plan.steps.filter((s) => s.op !== 'same')).toEqual([]);
  }
}

/** How long a page check retries what a loaded machine may cause (timeouts, a DNS answer late); never a 404. */
const PAGE_DEADLINE_MS = 60_000;

/**
 * The page, through the grid DNS and the node's gateway, from a laptop namespace. Transient failures are
 * retried until `PAGE_DEADLINE_MS` (a slow machine must not flake it); a 404 fails at once: it is the gateway
 * itself saying it serves no such name, i.e. a node that was reported ready before it restored its routes
 * (`NodeRuntime.ready`), or a route that is never restored.
 */
async function expectPage(): Promise<void> {
  const deadline = Date.now() + PAGE_DEADLINE_MS;
  const tries: string[] = [];
  for (;;) {
    const r = await runCli(['local', 'curl', url, '--dir', dir ?? '']);
    if (r.code === 0 && r.out.includes(PAGE)) return;
    tries.push(r.code === 0 ? `no page: ${r.out.slice(0, 200)}` : r.err.trim().split('\n').slice(-2).join(' '));
    if (/returned error: 404/.test(r.err)) throw new Error(`the gateway answers 404 for ${url}: the route is not there\n${nodeLogTail()}`);
    if (Date.now() > deadline) throw new Error(`no page at ${url} within ${PAGE_DEADLINE_MS / 1000} s; tries:\n${tries.join('\n')}\n${nodeLogTail()}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** The end of node 1's log, for a failure message. */
function nodeLogTail(): string {
  const file = state().nodes[0].process?.logFile;
  try {
    return file ? `node1 log (${file}):\n${fs.readFileSync(file, 'utf8').split('\n').slice(-40).join('\n')}` : 'node1 has no log file';
  } catch (err) {
    return `node1 log unreadable: ${String(err)}`;
  }
}

beforeAll(async () => {
  const missing = missingTools(TOOLS);
  if (!isRoot()) missing.push('root');
  if (process.platform !== 'linux') missing.push('Linux');
  if (missing.length > 0) throw new Error(`grid-heal-linux needs the linux backend: missing ${missing.join(', ')}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-heal-linux-grid-'));
  const grid = await startLocalGrid({ dir, nodes: 1, backend: 'linux', chainPort: 0, relayPort: 0, hubPort: 0, gridProxyPort: 0, stopWhenPidExits: process.pid });
  expect(grid.backend).toBe('linux');
  expect(grid.gridProxy).toBeDefined();
  // The web-app example, copied out of the checkout so the stack's file lands in a temp dir.
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-heal-linux-project-'));
  for (const f of ['Pulumi.yaml', 'index.ts', 'package.json', 'tsconfig.json']) fs.copyFileSync(path.join(REPO, 'examples', 'web-app', f), path.join(project, f));
  fs.mkdirSync(path.join(project, 'node_modules'));
  const modules = path.join(REPO, 'node_modules');
  for (const e of fs.readdirSync(modules)) fs.symlinkSync(path.join(modules, e), path.join(project, 'node_modules', e));
  const up = await deploy();
  expect({ code: up.code, err: up.code === 0 ? '' : up.err }).toEqual({ code: 0, err: '' });
  url = String((JSON.parse(up.out) as { outputs: Record<string, unknown> }).outputs.url);
  expect(url).toMatch(/^http:\/\/[a-z0-9_-]+\.node1\.tfgrid\.test$/);
  await expectPage();
  await expectWorkloadsOk();
});

afterAll(async () => {
  if (dir) await resetLocalGrid({ dir });
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

describe('a linux local grid serving a page, with a dead daemon', () => {
  const kinds = ['node1', 'relay', 'hub', 'dns', 'gridproxy'] as const;
  it.each(kinds)('%s killed: up restarts only it; the stack is a no-op with the same contracts; the page is served', async (kind) => {
    const before = await contracts();
    expect(before.length).toBeGreaterThanOrEqual(3);
    const s0 = state();
    const record = (s: GridState, k: (typeof kinds)[number]) => (k === 'node1' ? s.nodes[0].process : k === 'gridproxy' ? s.gridProxy?.process : s[k]?.process);
    await killHard(record(s0, kind));
    // The page goes through the grid DNS and node 1's gateway: with either dead it is not served, so the
    // check after `up` is one the restart has to earn.
    if (kind === 'node1' || kind === 'dns') expect((await runCli(['local', 'curl', url, '--dir', dir ?? ''])).code).not.toBe(0);

    const up = await runCli(['local', 'up', '--dir', dir ?? '']);
    expect({ code: up.code, err: up.code === 0 ? '' : up.err }).toEqual({ code: 0, err: '' });
    expect(up.err).toMatch(new RegExp(`restarted ${kind} \\(pid ${record(s0, kind)?.pid} → \\d+\\)`));
    const s1 = state();
    // Only the dead one is a new process.
    for (const k of kinds.filter((x) => x !== kind)) expect(record(s1, k)?.pid).toBe(record(s0, k)?.pid);
    expect(s1.chain?.process?.pid).toBe(s0.chain?.process?.pid);
    expect(record(s1, kind)?.pid).not.toBe(record(s0, kind)?.pid);

    // Right after `up` said so: the restarted daemon serves (a restarted node has its routes back) and every
    // workload is still ok (a node's boot recovery provisions networks before the machines that use them).
    await expectPage();
    await expectWorkloadsOk();
    await expectNoChange();
    expect(await contracts()).toEqual(before);
    await expectPage();
  });
});
