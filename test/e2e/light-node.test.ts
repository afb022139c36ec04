/**
 * examples/light-node on its own small local grid (issue 15): two nodes, the second a ZOS light node
 * (`--light-nodes 1`). The example's program has nothing light-specific; the provider sends `network` +
 * `zmachine` to the full node and `network-light` + `zmachine-light` to the light one. Checked on the nodes over
 * RMB (`tfgrid zos deployment get`): the types and `ok`; the light node's machine answers the full node's machine
 * on its private IP (WireGuard between the nodes) and on its mycelium IP; a light node killed and healed by `up`
 * comes back light; a public IPv4 sent to the light node is refused with the node's text; destroy leaves no
 * contract.
 *
 * Its own grid, not the shared one: a light node there would change what every other file finds on it. Needs
 * root and the linux tools (machines really run): fails loudly otherwise, never skips.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resetLocalGrid, startLocalGrid } from '../../local/grid/grid';
import { runExample } from '../../local/grid/example-runner';
import { comparePlan, describeMissed } from '../../local/grid/plan-compare';
import { readState, type GridState } from '../../local/grid/state';
import { execUntilOk, gridMachine } from '../helpers/grid-machine';
import { isRoot, missingTools } from '../helpers/require-tools';
import { killHard, runCli } from './heal-helpers';
import { scanSecrets } from './secret-scan';

async function waitFor(ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

jest.setTimeout(900_000);
const REPO = path.resolve(__dirname, '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'light-node');
const REFUSAL = path.join(__dirname, 'programs', 'light-node-refusal');
const TOOLS = ['ip', 'runc', 'wireguard-go', 'wg', 'losetup', 'mkfs.ext4'];
const LIGHT_TYPES = ['network-light', 'zmachine-light', 'zdb', 'zmount', 'volume', 'qsfs', 'zlogs'];

interface NodeDeployment {
  workloads: { name: string; type: string; result: { state: string; message: string } }[];
}

let dir: string | undefined;

function state(): GridState {
  const s = dir ? readState(dir) : undefined;
  if (!s) throw new Error(`no state in ${dir}`);
  return s;
}
const full = () => state().nodes[0];
const light = () => state().nodes[1];

async function run(programDir: string, mode: 'preview' | 'up' | 'destroy', config: Record<string, string>) {
  return runExample({ programDir, grid: state(), mode, stack: 'e2e', config });
}

/** The grid user's node contracts (`tfgrid contracts list`). */
async function contracts(): Promise<{ contractId: number; type: string; nodeId?: number }[]> {
  const r = await runCli(['contracts', 'list', '--twin', String(state().user?.twinId), '--dir', dir ?? '', '--json']);
  expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
  return (JSON.parse(r.out) as { contracts: { contractId: number; type: string; nodeId?: number }[] }).contracts;
}

/** A deployment as the node has it (`tfgrid zos deployment get`, RMB `zos.deployment.get`). */
async function onNode(nodeId: number, contractId: number): Promise<NodeDeployment> {
  const r = await runCli(['zos', 'deployment', 'get', '--node', String(nodeId), '--contract', String(contractId), '--dir', dir ?? '']);
  expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
  return JSON.parse(r.out) as NodeDeployment;
}

/** Every workload of the user's deployments on `nodeId`: `type state` per workload. */
async function workloadsOn(nodeId: number): Promise<string[]> {
  const out: string[] = [];
  for (const c of (await contracts()).filter((x) => x.type === 'node' && x.nodeId === nodeId)) {
    for (const w of (await onNode(nodeId, c.contractId)).workloads) out.push(`${w.type} ${w.result.state}${w.result.message ? `: ${w.result.message}` : ''}`);
  }
  return out.sort();
}

beforeAll(async () => {
  const missing = missingTools(TOOLS);
  if (!isRoot()) missing.push('root');
  if (process.platform !== 'linux') missing.push('Linux');
  if (missing.length > 0) throw new Error(`light-node e2e needs the linux backend: missing ${missing.join(', ')}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-light-grid-'));
  const grid = await startLocalGrid({ dir, nodes: 2, lightNodes: 1, backend: 'linux', chainPort: 0, relayPort: 0, hubPort: 0, gridProxyPort: 0, stopWhenPidExits: process.pid });
  expect(grid.nodes.map((n) => !!n.light)).toEqual([false, true]);
});

afterAll(async () => {
  if (dir) await resetLocalGrid({ dir });
});

describe('a local grid with a light node', () => {
  it('status says which node is light; `up` again keeps the grid as it is', async () => {
    const st = await runCli(['local', 'status', '--json', '--dir', dir ?? '']);
    expect(st.code).toBe(0);
    const nodes = (JSON.parse(st.out) as { nodes: { index: number; light: boolean }[] }).nodes;
    expect(nodes.map((n) => [n.index, n.light])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect((await runCli(['local', 'status', '--dir', dir ?? ''])).out).toContain(`node ${light().nodeId}  (node2, light)`);
    const pids = state().nodes.map((n) => n.process?.pid);
    const again = await runCli(['local', 'up', '--dir', dir ?? '']);
    expect({ code: again.code, err: again.err }).toEqual({ code: 0, err: expect.stringContaining('already running') });
    expect(state().nodes.map((n) => [n.process?.pid, !!n.light])).toEqual([
      [pids[0], false],
      [pids[1], true],
    ]);
  });

  it('the light node reports the light features over RMB', async () => {
    const r = await runCli(['rmb', 'call', '--twin', String(light().twinId), '--cmd', 'zos.system.node_features_get', '--dir', dir ?? '']);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    const features = JSON.parse(r.out) as string[];
    expect(features).toEqual(expect.arrayContaining(['network-light', 'zmachine-light']));
    expect(features).not.toContain('network');
    expect(features).not.toContain('zmachine');
  });

  it("the grid proxy lists the light node's own features: a `features=zmachine` query leaves it out", async () => {
    const proxy = String(state().gridProxy?.url);
    const ids = async (query: string) => ((await (await fetch(`${proxy}/nodes?${query}`)).json()) as { nodeId: number }[]).map((n) => n.nodeId);
    // the proxy asks each node for its features once it answers its first statistics call
    await waitFor(async () => (await ids('features=zmachine-light')).length === 1, 20_000);
    expect(await ids('features=zmachine-light')).toEqual([light().nodeId]);
    expect(await ids('features=zmachine,network')).toEqual([full().nodeId]);
  });
});

describe('examples/light-node', () => {
  let config: Record<string, string>;
  let up: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    config = { node: String(light().nodeId), clientNode: String(full().nodeId) };
    const preview = await run(EXAMPLE, 'preview', config);
    if (!preview.ok) throw new Error(`preview failed:\n${preview.errors.join('\n')}\n${preview.log.slice(-2000)}`);
    up = await run(EXAMPLE, 'up', config);
    if (!up.ok) throw new Error(`up failed:\n${up.errors.join('\n')}\n${up.log.slice(-2000)}`);
    const c = comparePlan(preview.steps, up.steps);
    if (c.missed.length > 0) throw new Error(`the preview did not tell what up did:\n${describeMissed(c)}`);
    await scanSecrets({ grid: state(), programDir: EXAMPLE, stack: 'e2e', runs: [preview, up], given: [state().user!.mnemonic] });
  });

  it('the same program sends the light types to the light node and the full ones to the full node', () => {
    expect(up.outputs.nodeTypes).toEqual({ [String(full().nodeId)]: 'network', [String(light().nodeId)]: 'network-light' });
    expect(up.outputs.serverType).toBe('zmachine-light');
    expect(up.outputs.clientType).toBe('zmachine');
    expect(String(up.outputs.serverPrivateIp)).toMatch(/^10\.40\.\d+\.\d+$/);
    expect(String(up.outputs.serverMyceliumIp)).toMatch(/^[45][0-9a-f]{2}:/);
  });

  it('on the light node (zos.deployment.get): network-light and zmachine-light, ok; nothing of a full node', async () => {
    const onLight = await workloadsOn(light().nodeId);
    expect(onLight).toEqual(['network-light ok', 'zmachine-light ok']);
    for (const w of onLight) expect(LIGHT_TYPES).toContain(w.split(' ')[0]);
    const machine = (await onNode(light().nodeId, Number(up.outputs.serverContractId))).workloads.find((w) => w.name === 'server');
    expect(machine).toMatchObject({ type: 'zmachine-light', result: { state: 'ok' } });
    expect(await workloadsOn(full().nodeId)).toEqual(['network ok', 'zmachine ok']);
  });

  it("the light node's machine answers the full node's machine on its private IP and on its mycelium IP", async () => {
    const server = gridMachine(state(), 2, String(up.outputs.serverId));
    const client = gridMachine(state(), 1, String(up.outputs.clientId));
    expect(server.status()).toBe('running');
    expect(client.status()).toBe('running');
    for (const ip of [String(up.outputs.serverPrivateIp), String(up.outputs.serverMyceliumIp)]) {
      // a raw HTTP/1.0 request over busybox nc, so the status line is checked too
      const answer = await execUntilOk(client, ['/bin/sh', '-c', `printf 'GET /who.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ip} 8080`], 20);
      expect(answer).toMatch(/^HTTP\/1\.[01] 200 /);
      expect(answer.trim().split('\n').pop()).toBe('served by server');
    }
  });

  it('a light node killed and healed by `up` comes back light, its workloads ok and its machine answering', async () => {
    const before = light().process;
    await killHard(before);
    const healed = await runCli(['local', 'up', '--dir', dir ?? '']);
    expect({ code: healed.code, err: healed.err }).toEqual({ code: 0, err: expect.stringMatching(/restarted node2/) });
    expect(light().process?.pid).not.toBe(before?.pid);
    expect(light().light).toBe(true);
    const features = JSON.parse((await runCli(['rmb', 'call', '--twin', String(light().twinId), '--cmd', 'zos.system.node_features_get', '--dir', dir ?? ''])).out) as string[];
    expect(features).toContain('zmachine-light');
    expect(features).not.toContain('zmachine');
    expect(await workloadsOn(light().nodeId)).toEqual(['network-light ok', 'zmachine-light ok']);
    const client = gridMachine(state(), 1, String(up.outputs.clientId));
    const answer = await execUntilOk(client, ['/bin/sh', '-c', `printf 'GET /who.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${String(up.outputs.serverPrivateIp)} 8080`], 20);
    expect(answer.trim().split('\n').pop()).toBe('served by server');
  });

  it("a public IPv4 sent to the light node is refused with the node's text", async () => {
    const r = await run(REFUSAL, 'up', { node: String(light().nodeId) });
    expect(r.ok).toBe(false);
    // zosbase provision/provisiner.go: a type the node has no manager for
    expect(r.errors.join('\n')).toMatch(/unknown workload type 'ip' for reservation id '\d+-\d+-ip'/);
    const down = await run(REFUSAL, 'destroy', { node: String(light().nodeId) });
    expect({ ok: down.ok, errors: down.errors }).toEqual({ ok: true, errors: [] });
  });

  it('destroy leaves no contract', async () => {
    const down = await run(EXAMPLE, 'destroy', config);
    expect({ ok: down.ok, errors: down.errors }).toEqual({ ok: true, errors: [] });
    expect(await contracts()).toEqual([]);
  });
});
