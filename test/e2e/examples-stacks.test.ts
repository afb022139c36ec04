/**
 * examples/ run end to end on the shared local grid (DESIGN.md §5): public IP, name and FQDN gateways, qsfs over
 * zdbs and zlogs. Each is deployed, checked through its outputs and destroyed. The multi-node private network
 * has its own file (private-network.test.ts).
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
    await runE2eExample(grid, 'public-ip', 'destroy');
  });

  it('name-proxy: serves <subdomain>.<node domain> backed by a name contract', async () => {
    const up = await runE2eExample(grid, 'name-proxy', 'up', { subdomain: 'e2eapp' });
    expect(up.outputs.fqdn).toBe('e2eapp.node1.tfgrid.test');
    expect(up.outputs.nameContractId).toEqual(expect.any(Number));
    if (grid.backend === 'linux') {
      // A user on the grid internet reaches the machine's httpd through node 1's gateway, over HTTP and HTTPS.
      const node1 = grid.nodes[0].address.split('/')[0];
      expect(await fetchFromLaptop(grid, 'http://e2eapp.node1.tfgrid.test/', node1, 1)).toContain('hello from the tfgrid base flist');
      expect(await fetchFromLaptop(grid, 'https://e2eapp.node1.tfgrid.test/', node1, 1)).toContain('hello from the tfgrid base flist');
    }
    await runE2eExample(grid, 'name-proxy', 'destroy', { subdomain: 'e2eapp' });
  });

  it('fqdn-proxy: serves a domain the grid DNS points at the gateway node', async () => {
    const node1 = grid.nodes[0];
    const node1Ip = (node1.address || '198.18.0.11/16').split('/')[0];
    setGridDnsHost(e2eGridDir(), 'shop.example.test', [node1Ip]);
    const up = await runE2eExample(grid, 'fqdn-proxy');
    expect(up.outputs.domain).toBe('shop.example.test');
    if (grid.backend === 'linux') {
      expect(await fetchFromLaptop(grid, 'http://shop.example.test/', node1Ip, 2)).toContain('hello from the tfgrid base flist');
      expect(await fetchFromLaptop(grid, 'https://shop.example.test/', node1Ip, 2)).toContain('hello from the tfgrid base flist');
    }
    await runE2eExample(grid, 'fqdn-proxy', 'destroy');
  });

  it('qsfs: mounts a file system over 4 data and 4 metadata zdbs on another node', async () => {
    const up = await runE2eExample(grid, 'qsfs');
    expect(up.steps.filter((s) => s.type.endsWith(':Zdb'))).toHaveLength(8);
    expect(String(up.outputs.metricsEndpoint)).toMatch(/^http/);
    await runE2eExample(grid, 'qsfs', 'destroy');
  });

  it('zlogs: streams a machine of the same deployment', async () => {
    const up = await runE2eExample(grid, 'zlogs');
    expect(up.outputs.privateIp).toMatch(/^10\.20\./);
    expect(up.steps.map((s) => s.name)).toContain('logs');
    await runE2eExample(grid, 'zlogs', 'destroy');
  });
});
