/**
 * `tfgrid local curl <url>` (the quickstart's last command): the web-app example deployed, its NameProxy URL
 * fetched through the CLI from a laptop namespace on the grid's internet, the host resolved by the grid DNS.
 * A name the grid DNS does not know fails with the fix. Needs the linux backend (root): fails loudly otherwise.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import type { GridState } from '../../local/grid/state';
import { ensureE2eGrid, runE2eExample } from './shared-grid';

const tfgrid = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile('node', [path.join(__dirname, '..', '..', 'bin', 'tfgrid'), ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

let grid: GridState;

beforeAll(async () => {
  grid = await ensureE2eGrid();
  if (grid.backend !== 'linux') throw new Error(`tfgrid local curl needs the linux backend (root, ip, runc, wireguard-go); the grid runs ${grid.backend}`);
}, 600_000);

describe('tfgrid local curl', () => {
  it('fetches the web-app page by its NameProxy URL, resolved with the grid DNS', async () => {
    const up = await runE2eExample(grid, 'web-app');
    try {
      const url = String(up.outputs.url);
      // Under the domain of the node the example's NodePicker found (a gateway domain, a public IPv4, room for the machine and disk).
      const gateway = grid.nodes.find((n) => n.nodeId === up.outputs.nodeId);
      expect(url).toMatch(new RegExp(`^http://[a-z0-9_-]+\\.node${gateway?.index}\\.tfgrid\\.test$`));
      const r = await tfgrid(['local', 'curl', url, '--dir', grid.dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('hello from pulumi-tfgrid');
      const unknown = await tfgrid(['local', 'curl', 'http://nobody.example.test/', '--dir', grid.dir]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('the grid DNS has no address for nobody.example.test');
      expect(unknown.stderr).toContain('tfgrid local dns add nobody.example.test node1');
    } finally {
      await runE2eExample(grid, 'web-app', 'destroy');
    }
  }, 900_000);
});
