/**
 * examples/ run end to end on the shared local grid (DESIGN.md §5): zdb, zmount, container ZMachine, network.
 * Each is deployed (`up`), checked through its outputs and the node's view, and destroyed. None pins a node: each
 * example's NodePicker finds its node(s) through the local grid's proxy, and a later `up` keeps them.
 */
import { ensureE2eGrid, runE2eExample } from './shared-grid';
import type { GridState } from '../../local/grid/state';

jest.setTimeout(300_000);
let grid: GridState;
beforeAll(async () => {
  grid = await ensureE2eGrid();
});

describe('examples (basic resources) on the local grid', () => {
  it('zdb: creates a namespace with a secret password, then destroys it', async () => {
    const up = await runE2eExample(grid, 'zdb');
    expect(up.steps.map((s) => `${s.op} ${s.type}`).sort()).toEqual(['create tfgrid:NodePicker', 'create tfgrid:Zdb']);
    expect(grid.nodes.map((n) => n.nodeId)).toContain(up.outputs.nodeId);
    expect(up.outputs.namespace).toMatch(/^\d+-\d+-db$/);
    expect(up.outputs.endpoint).toMatch(/:\d+$/);
    expect(up.secretOutputs).toContain('password');
    const again = await runE2eExample(grid, 'zdb');
    // The picked node stays picked: nothing changes on a second `up`.
    expect(again.steps.map((s) => s.op)).toEqual(['same', 'same']);
    expect(again.outputs.nodeId).toBe(up.outputs.nodeId);
    const down = await runE2eExample(grid, 'zdb', 'destroy');
    expect(down.steps.map((s) => s.op)).toEqual(['delete', 'delete']);
  });

  it('zmount: mounts a disk into a container; growing it while mounted is refused with the ZOS text', async () => {
    const up = await runE2eExample(grid, 'zmount');
    expect(up.outputs.diskSize).toBe('1GiB');
    expect(up.outputs.privateIp).toMatch(/^10\.20\.\d+\.\d+$/);
    await expect(runE2eExample(grid, 'zmount', 'up', { size: '2GiB' })).rejects.toThrow('disk is mounted, please delete the VM first');
    const same = await runE2eExample(grid, 'zmount');
    // The refused grow may have raised the picker's ssd filter (an update that keeps the node); the workloads are unchanged.
    expect(same.steps.filter((s) => s.type !== 'tfgrid:NodePicker').map((s) => s.op)).toEqual(['same', 'same', 'same']);
    expect(same.outputs.nodeId).toBe(up.outputs.nodeId);
    expect(same.outputs.privateIp).toBe(up.outputs.privateIp);
    await runE2eExample(grid, 'zmount', 'destroy');
  });

  it('zmachine-container: runs the hub base flist and reports its private IP and console', async () => {
    const up = await runE2eExample(grid, 'zmachine-container');
    expect(up.outputs.privateIp).toMatch(/^10\.20\.\d+\.\d+$/);
    expect(typeof up.outputs.machineId).toBe('string');
    await runE2eExample(grid, 'zmachine-container', 'destroy');
  });

  it('network: spans two nodes with a /24 each and a secret wg-quick access config', async () => {
    const up = await runE2eExample(grid, 'network');
    const subnets = up.outputs.nodeSubnets as Record<string, string>;
    // Two distinct nodes of the grid, picked with `count: 2`.
    expect(Object.keys(subnets)).toHaveLength(2);
    for (const id of Object.keys(subnets)) expect(grid.nodes.map((n) => String(n.nodeId))).toContain(id);
    expect(new Set(Object.values(subnets)).size).toBe(2);
    expect(up.secretOutputs).toContain('accessConfig');
    expect(String(up.outputs.accessConfig)).toContain('[Peer]');
    await runE2eExample(grid, 'network', 'destroy');
  });
});
