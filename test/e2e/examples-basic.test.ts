/**
 * examples/ run end to end on the shared local grid (DESIGN.md §5): zdb, zmount, container ZMachine, network.
 * Each is deployed (`up`), checked through its outputs and the node's view, and destroyed.
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
    expect(up.steps.map((s) => s.op)).toEqual(['create']);
    expect(up.outputs.namespace).toMatch(/^\d+-\d+-db$/);
    expect(up.outputs.endpoint).toMatch(/:\d+$/);
    expect(up.secretOutputs).toContain('password');
    const again = await runE2eExample(grid, 'zdb');
    expect(again.steps.map((s) => s.op)).toEqual(['same']);
    const down = await runE2eExample(grid, 'zdb', 'destroy');
    expect(down.steps.map((s) => s.op)).toEqual(['delete']);
  });

  it('zmount: mounts a disk into a container; growing it while mounted is refused with the ZOS text', async () => {
    const up = await runE2eExample(grid, 'zmount');
    expect(up.outputs.diskSize).toBe('1GiB');
    expect(up.outputs.privateIp).toMatch(/^10\.20\.\d+\.\d+$/);
    await expect(runE2eExample(grid, 'zmount', 'up', { size: '2GiB' })).rejects.toThrow('disk is mounted, please delete the VM first');
    const same = await runE2eExample(grid, 'zmount');
    expect(same.steps.map((s) => s.op)).toEqual(['same', 'same', 'same']);
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
    expect(Object.keys(subnets).sort()).toEqual(['1', '2']);
    expect(new Set(Object.values(subnets)).size).toBe(2);
    expect(up.secretOutputs).toContain('accessConfig');
    expect(String(up.outputs.accessConfig)).toContain('[Peer]');
    await runE2eExample(grid, 'network', 'destroy');
  });
});
