/**
 * examples/ run end to end on the shared local grid (DESIGN.md §5): public IP, name and FQDN gateways, qsfs over
 * zdbs and zlogs. Each is deployed, checked through its outputs and destroyed. The multi-node private network
 * has its own file (private-network.test.ts). The examples find their nodes through the grid proxy (NodePicker);
 * only fqdn-proxy pins node 1, whose address the grid DNS must answer for the domain before the gateway exists.
 */
import { setGridDnsHost } from '../../local/grid/dns-records';
import type { GridState } from '../../local/grid/state';
import { e2eGridDir, ensureE2eGrid, fetchFromLaptop, runE2eExample } from './shared-grid';

jest.setTimeout(300_000);
let grid: GridState;
beforeAll(async () => {
  grid = await ensureE2eGrid();
});

describe('examples (stacks and gateways) on the local grid', () => {
  it('public-ip: reserves a farm IPv4 on the contract and gives it to the machine', async () => {
    const up = await runE2eExample(grid, 'public-ip');
    expect(up.outputs.publicIp).toMatch(/^198\.18\.1\.\d+\/16$/);
    expect(up.outputs.gateway).toBe('198.18.0.1');
    expect(grid.nodes.map((n) => n.nodeId)).toContain(up.outputs.nodeId);
    await runE2eExample(grid, 'public-ip', 'destroy');
  });

  it('name-proxy: serves <subdomain>.<node domain> backed by a name contract', async () => {
    const up = await runE2eExample(grid, 'name-proxy', 'up', { subdomain: 'e2eapp' });
    // The picker found a gateway node (`domain: true`): the name is under that node's domain.
    const gateway = grid.nodes.find((n) => n.nodeId === up.outputs.nodeId);
    if (!gateway) throw new Error(`name-proxy picked node ${String(up.outputs.nodeId)}, not a node of the grid`);
    const fqdn = `e2eapp.node${gateway.index}.tfgrid.test`;
    expect(up.outputs.fqdn).toBe(fqdn);
    expect(up.outputs.nameContractId).toEqual(expect.any(Number));
    if (grid.backend === 'linux') {
      // A user on the grid internet reaches the machine's httpd through the gateway node, over HTTP and HTTPS.
      const address = gateway.address.split('/')[0];
      expect(await fetchFromLaptop(grid, `http://${fqdn}/`, address, 1)).toContain('hello from the tfgrid base flist');
      expect(await fetchFromLaptop(grid, `https://${fqdn}/`, address, 1)).toContain('hello from the tfgrid base flist');
    }
    await runE2eExample(grid, 'name-proxy', 'destroy', { subdomain: 'e2eapp' });
  });

  it('fqdn-proxy: serves a domain the grid DNS points at the gateway node', async () => {
    const node1 = grid.nodes[0];
    const node1Ip = (node1.address || '198.18.0.11/16').split('/')[0];
    setGridDnsHost(e2eGridDir(), 'shop.example.test', [node1Ip]);
    const up = await runE2eExample(grid, 'fqdn-proxy', 'up', { node: String(node1.nodeId) });
    expect(up.outputs.domain).toBe('shop.example.test');
    expect(up.outputs.nodeId).toBe(node1.nodeId);
    if (grid.backend === 'linux') {
      expect(await fetchFromLaptop(grid, 'http://shop.example.test/', node1Ip, 2)).toContain('hello from the tfgrid base flist');
      expect(await fetchFromLaptop(grid, 'https://shop.example.test/', node1Ip, 2)).toContain('hello from the tfgrid base flist');
    }
    await runE2eExample(grid, 'fqdn-proxy', 'destroy', { node: String(node1.nodeId) });
  });

  it('qsfs: mounts a file system over 4 data and 4 metadata zdbs on another node', async () => {
    const up = await runE2eExample(grid, 'qsfs');
    expect(up.steps.filter((s) => s.type.endsWith(':Zdb'))).toHaveLength(8);
    expect(String(up.outputs.metricsEndpoint)).toMatch(/^http/);
    // Two pickers: the zdbs' node excludes the qsfs node.
    expect(up.outputs.zdbNodeId).not.toBe(up.outputs.nodeId);
    await runE2eExample(grid, 'qsfs', 'destroy');
  });

  it('zlogs: streams a machine of the same deployment', async () => {
    const up = await runE2eExample(grid, 'zlogs');
    expect(up.outputs.privateIp).toMatch(/^10\.20\./);
    expect(up.steps.map((s) => s.name)).toContain('logs');
    await runE2eExample(grid, 'zlogs', 'destroy');
  });
});
