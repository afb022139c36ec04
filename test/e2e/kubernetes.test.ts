/**
 * examples/kubernetes on the shared local grid (issue 15): the Kubernetes component's master and worker run the
 * hub's k3s stand-in (local/hub/k3s-flist.ts), which records the env the machines were given and answers where k3s
 * would. A worker reaches the master's API port (6443) on the master's private IP from inside the network; growing
 * the cluster from 1 to 2 workers previews and applies creates for the new worker's disk and machine only, and back
 * to 1 deletes them only; destroy deletes every node contract the cluster held.
 */
import { createChainClient, type ChainClient } from '../../protocol/chain';
import type { GridState } from '../../local/grid/state';
import { K3S_STANDIN_SERVER_PAGE, K3S_STANDIN_STATE } from '../../local/hub/k3s-flist';
import { execUntilOk, gridMachine } from '../helpers/grid-machine';
import { ensureE2eGrid, runE2eExample } from './shared-grid';

jest.setTimeout(600_000);

const EXAMPLE = 'kubernetes';
/** The example's default token (a secret in the stack). */
const TOKEN = 'localk3s42';
type Machines = Record<string, { node: number; id: string }>;

/** The env a stand-in machine recorded at start (`env | sort`), as a map. */
function recordedEnv(grid: GridState, m: { node: number; id: string }): Record<string, string> {
  const text = gridMachine(grid, m.node, m.id).exec('cat', `${K3S_STANDIN_STATE}/env`);
  return Object.fromEntries(text.split('\n').flatMap((l) => (l.includes('=') ? [[l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]] : [])));
}

describe('examples/kubernetes on the local grid', () => {
  let grid: GridState;
  let chain: ChainClient | undefined;
  let up: Awaited<ReturnType<typeof runE2eExample>>;
  let grown: Awaited<ReturnType<typeof runE2eExample>> | undefined;
  beforeAll(async () => {
    grid = await ensureE2eGrid();
    chain = await createChainClient({ urls: [grid.chain!.url] });
    up = await runE2eExample(grid, EXAMPLE, 'up', { workers: '1' });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it('creates the master and one worker as disks and machines under the component, the token a secret', () => {
    const created = up.steps.filter((s) => s.op === 'create').map((s) => `${s.type} ${s.name}`);
    expect(created.sort()).toEqual(
      [
        'tfgrid:NodePicker nodes',
        'tfgrid:index:Kubernetes k8s',
        'tfgrid:Network k8s-net',
        'tfgrid:ZMount k8s-master-disk',
        'tfgrid:ZMachine k8s-master',
        'tfgrid:ZMount k8s-worker1-disk',
        'tfgrid:ZMachine k8s-worker1',
      ].sort(),
    );
    expect(up.outputs.masterIp).toMatch(/^10\.20\.\d+\.\d+$/);
    expect(Object.keys(up.outputs.workerIps as object)).toEqual(['worker1']);
    expect(up.outputs.apiUrl).toBe(`https://${String(up.outputs.masterIp)}:6443`);
    expect(JSON.stringify(up.outputs)).not.toContain(TOKEN);
  });

  it('gives the machines the k3s env, and a worker reaches the master on 6443 at its private IP', async () => {
    if (grid.backend !== 'linux') throw new Error(`the shared e2e grid runs the ${grid.backend} backend; machines need linux (root)`);
    const machines = up.outputs.machines as Machines;
    const masterIp = String(up.outputs.masterIp);
    const master = recordedEnv(grid, machines.master);
    expect(master).toMatchObject({ K3S_TOKEN: TOKEN, K3S_NODE_NAME: 'master', K3S_DATA_DIR: '/mnt/data', K3S_FLANNEL_IFACE: 'eth0', K3S_URL: '' });
    expect(recordedEnv(grid, machines.worker1)).toMatchObject({ K3S_TOKEN: TOKEN, K3S_NODE_NAME: 'worker1', K3S_URL: `https://${masterIp}:6443` });
    const worker = gridMachine(grid, machines.worker1.node, machines.worker1.id);
    // The NodePicker found two distinct nodes (`count: 2`): the master on the first, the worker on the second.
    expect(machines.worker1.node).not.toBe(machines.master.node);
    // From the worker across the network to the master: what k3s agent dials.
    expect(await execUntilOk(worker, ['wget', '-q', '-T', '5', '-O', '-', `http://${masterIp}:6443/`], 20)).toContain(`${K3S_STANDIN_SERVER_PAGE} master`);
    // The stand-in agent joined on its own, through K3S_URL.
    expect(await execUntilOk(worker, ['cat', `${K3S_STANDIN_STATE}/joined`], 20)).toContain(`${K3S_STANDIN_SERVER_PAGE} master`);
    // The data disk is mounted where K3S_DATA_DIR says.
    expect(gridMachine(grid, machines.master.node, machines.master.id).exec('cat', '/mnt/data/k3s-standin').trim()).toBe('master');
  });

  it('a second worker is a create of its disk and machine only; the master and the network stay the same', async () => {
    const preview = await runE2eExample(grid, EXAMPLE, 'preview', { workers: '2' });
    const changed = (steps: typeof preview.steps) => steps.filter((s) => s.op !== 'same').map((s) => `${s.op} ${s.type} ${s.name}`);
    expect(changed(preview.steps).sort()).toEqual(['create tfgrid:ZMachine k8s-worker2', 'create tfgrid:ZMount k8s-worker2-disk']);
    grown = await runE2eExample(grid, EXAMPLE, 'up', { workers: '2' });
    expect(changed(grown.steps).sort()).toEqual(['create tfgrid:ZMachine k8s-worker2', 'create tfgrid:ZMount k8s-worker2-disk']);
    expect(grown.outputs.masterIp).toBe(up.outputs.masterIp);
    expect((grown.outputs.machines as Machines).master).toEqual((up.outputs.machines as Machines).master);
    if (grid.backend === 'linux') {
      const w2 = (grown.outputs.machines as Machines).worker2;
      expect(await execUntilOk(gridMachine(grid, w2.node, w2.id), ['cat', `${K3S_STANDIN_STATE}/joined`], 20)).toContain(`${K3S_STANDIN_SERVER_PAGE} master`);
    }
  });

  it('back to 1 worker deletes the second worker only, and its contract', async () => {
    if (!grown) throw new Error('the cluster did not grow (see the previous test)');
    const w2 = (grown.outputs.machines as Machines).worker2;
    const w2Contract = (grown.outputs.contractIds as number[]).filter((id) => !(up.outputs.contractIds as number[]).includes(id));
    expect(w2Contract).toHaveLength(1);
    const shrunk = await runE2eExample(grid, EXAMPLE, 'up', { workers: '1' });
    expect(
      shrunk.steps
        .filter((s) => s.op !== 'same')
        .map((s) => `${s.op} ${s.type} ${s.name}`)
        .sort(),
    ).toEqual(['delete tfgrid:ZMachine k8s-worker2', 'delete tfgrid:ZMount k8s-worker2-disk']);
    expect(shrunk.outputs.machines).toEqual(up.outputs.machines);
    expect((await chain!.getContract(w2Contract[0]))?.state ?? 'deleted').toBe('deleted');
    if (grid.backend === 'linux') expect(gridMachine(grid, w2.node, w2.id).status()).toBe('gone');
  });

  it('destroy deletes every node contract of the cluster', async () => {
    const ids = up.outputs.contractIds as number[];
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const down = await runE2eExample(grid, EXAMPLE, 'destroy', { workers: '1' });
    expect(down.steps.every((s) => s.op === 'delete')).toBe(true);
    for (const id of ids) expect((await chain!.getContract(id))?.state ?? 'deleted').toBe('deleted');
  });
});
