/**
 * examples/dedicated-node through the Pulumi CLI (issue 15): a NodePicker finds a node free to rent, a RentContract
 * rents it, and a ZMachine there (from the hub's base flist, pinned by `flistChecksum`) mounts a Volume and serves a
 * file it wrote on it. Checked on the chain (`tfgrid contracts list`: the rent contract of the user's twin on the
 * node), on the node over RMB (`tfgrid zos deployment get`: every workload ok) and in the machine (the volume is
 * mounted at /data and holds the file it serves); a wrong `flistChecksum` is refused at preview and at up with the
 * provider's text, leaving the contracts as they were; destroy leaves the twin no contract, node or rent.
 *
 * Its own one-node grid, not the shared one: a rented node takes every other twin's deployments (TFChain refuses
 * them, NodeNotAvailableToDeploy) and the chain refuses a rent while anyone has a node contract there
 * (NodeHasActiveContracts); every node of the shared grid is deployed on by files running in parallel. Its own
 * funded user too. Needs root and the linux tools (the machine really runs): fails loudly otherwise, never skips.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { addGridUser, resetLocalGrid, startLocalGrid } from '../../local/grid/grid';
import { runExample } from '../../local/grid/example-runner';
import { comparePlan, describeMissed } from '../../local/grid/plan-compare';
import { readState, type GridState } from '../../local/grid/state';
import { execUntilOk, gridMachine } from '../helpers/grid-machine';
import { isRoot, missingTools } from '../helpers/require-tools';
import { runCli } from './heal-helpers';
import { scanSecrets } from './secret-scan';

jest.setTimeout(900_000);
const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'dedicated-node');
const TOOLS = ['ip', 'runc', 'wireguard-go', 'wg', 'losetup', 'mkfs.ext4'];
const WRONG = 'ffffffffffffffffffffffffffffffff';

interface ChainContract {
  contractId: number;
  type: string;
  nodeId?: number;
}

let dir: string | undefined;
let user: { mnemonic: string; twinId: number };
let md5: string;

function state(): GridState {
  const s = dir ? readState(dir) : undefined;
  if (!s) throw new Error(`no state in ${dir}`);
  return s;
}
const node = () => state().nodes[0];

async function run(mode: 'preview' | 'up' | 'destroy', config: Record<string, string> = {}, stack = 'e2e') {
  return runExample({ programDir: EXAMPLE, grid: state(), mode, stack, config: { flistChecksum: md5, ...config, 'tfgrid:mnemonic': user.mnemonic } });
}

/** The user's contracts on the chain that are not deleted (`tfgrid contracts list`). */
async function contracts(): Promise<ChainContract[]> {
  const r = await runCli(['contracts', 'list', '--twin', String(user.twinId), '--dir', dir ?? '', '--json']);
  expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
  return (JSON.parse(r.out) as { contracts: ChainContract[] }).contracts.map((c) => ({ contractId: c.contractId, type: c.type, nodeId: c.nodeId }));
}

/** `type state` of every workload of the user's deployments on the node (RMB `zos.deployment.get`). */
async function workloadsOnNode(): Promise<string[]> {
  const out: string[] = [];
  for (const c of (await contracts()).filter((x) => x.type === 'node')) {
    // signed by the user: a node answers a deployment's owner only
    process.env.TFGRID_MNEMONIC = user.mnemonic;
    const r = await runCli(['zos', 'deployment', 'get', '--node', String(node().nodeId), '--contract', String(c.contractId), '--dir', dir ?? '']).finally(() => {
      delete process.env.TFGRID_MNEMONIC;
    });
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    const d = JSON.parse(r.out) as { workloads: { type: string; result: { state: string; message: string } }[] };
    for (const w of d.workloads) out.push(`${w.type} ${w.result.state}${w.result.message ? `: ${w.result.message}` : ''}`);
  }
  return out.sort();
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  const missing = missingTools(TOOLS);
  if (!isRoot()) missing.push('root');
  if (process.platform !== 'linux') missing.push('Linux');
  if (missing.length > 0) throw new Error(`dedicated-node e2e needs the linux backend: missing ${missing.join(', ')}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-dedicated-grid-'));
  const grid = await startLocalGrid({ dir, nodes: 1, backend: 'linux', chainPort: 0, relayPort: 0, hubPort: 0, gridProxyPort: 0, stopWhenPidExits: process.pid });
  user = await addGridUser(dir);
  // What the README tells a user to do: the md5 the hub serves beside the flist.
  const flist = String(grid.baseFlist);
  const res = await fetch(`${flist}.md5`);
  expect(res.status).toBe(200);
  md5 = (await res.text()).trim();
  expect(md5).toMatch(/^[0-9a-f]{32}$/);
  // The picker asks the grid proxy, which lists a node once it has answered its first statistics call.
  const proxy = String(grid.gridProxy?.url);
  await waitFor('the node up on the grid proxy', async () => ((await (await fetch(`${proxy}/nodes/${node().nodeId}`)).json()) as { status?: string }).status === 'up');
});

afterAll(async () => {
  if (dir) await resetLocalGrid({ dir });
});

/** The provider's refusal of the wrong checksum, as preview and up print it. */
const refusal = () =>
  `flistChecksum ${WRONG}: the flist ${String(state().baseFlist)} has md5 ${md5} (from ${String(state().baseFlist)}.md5), not ${WRONG}. Fix: if that flist is the one you mean, set flistChecksum to "${md5}"`;

describe('a wrong flistChecksum on a first deploy', () => {
  it("is refused at preview, while the machine's node is still unknown (rented by the same up), before any contract", async () => {
    const r = await run('preview', { flistChecksum: WRONG }, 'first');
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toContain(refusal());
    expect(await contracts()).toEqual([]);
  });
});

describe('examples/dedicated-node', () => {
  let up: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    const preview = await run('preview');
    if (!preview.ok) throw new Error(`preview failed:\n${preview.errors.join('\n')}\n${preview.log.slice(-2000)}`);
    up = await run('up');
    if (!up.ok) throw new Error(`up failed:\n${up.errors.join('\n')}\n${up.log.slice(-2000)}`);
    const c = comparePlan(preview.steps, up.steps);
    if (c.missed.length > 0) throw new Error(`the preview did not tell what up did:\n${describeMissed(c)}`);
    await scanSecrets({ grid: state(), programDir: EXAMPLE, stack: 'e2e', runs: [preview, up], given: [user.mnemonic] });
  });

  it("rents the picked node: the chain has the rent contract of the user's twin on it", async () => {
    expect(up.outputs.nodeId).toBe(node().nodeId);
    expect(up.outputs.rentContractId).toEqual(expect.any(Number));
    const mine = await contracts();
    expect(mine).toContainEqual({ contractId: up.outputs.rentContractId, type: 'rent', nodeId: node().nodeId });
    // the rent, and one node contract per deployment: the network's and the machine's (volume + machine)
    expect(mine.filter((c) => c.type === 'rent')).toHaveLength(1);
    expect(mine.filter((c) => c.type === 'node').every((c) => c.nodeId === node().nodeId)).toBe(true);
    expect(mine.map((c) => c.contractId)).toContain(up.outputs.contractId);
  });

  it("the machine's workloads are ok on the node, and it serves the file it wrote on the mounted volume", async () => {
    expect(await workloadsOnNode()).toEqual(['network ok', 'volume ok', 'zmachine ok']);
    const ip = String(up.outputs.privateIp);
    expect(ip).toMatch(/^10\.50\.\d+\.\d+$/);
    const vm = gridMachine(state(), 1, String(up.outputs.machineId));
    expect(vm.status()).toBe('running');
    // /data is a mount of its own in the machine (the volume), not a directory of the flist's rootfs
    const mounts = vm.exec('cat', '/proc/mounts');
    expect(mounts.split('\n').some((l) => l.split(' ')[1] === '/data')).toBe(true);
    // a raw HTTP/1.0 request over busybox nc to its private IP, so the status line is checked too
    const answer = await execUntilOk(vm, ['/bin/sh', '-c', `printf 'GET /hello.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ip} 8080`], 20);
    expect(answer).toMatch(/^HTTP\/1\.[01] 200 /);
    expect(answer.trim().split('\n').pop()).toBe('kept on vm');
  });

  it('a wrong flistChecksum is refused at preview and at up with the hub md5 and the fix, and changes nothing', async () => {
    const before = await contracts();
    for (const mode of ['preview', 'up'] as const) {
      const r = await run(mode, { flistChecksum: WRONG });
      expect(r.ok).toBe(false);
      expect(r.errors.join('\n')).toContain(refusal());
    }
    expect(await contracts()).toEqual(before);
    expect(await workloadsOnNode()).toEqual(['network ok', 'volume ok', 'zmachine ok']);
  });

  it('destroy cancels the node contracts and then the rent: the twin has no contract left', async () => {
    const down = await run('destroy');
    expect({ ok: down.ok, errors: down.errors }).toEqual({ ok: true, errors: [] });
    expect(await contracts()).toEqual([]);
  });
});
