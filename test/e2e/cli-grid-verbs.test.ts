/**
 * The `tfgrid` verbs a user checks a grid with (issue 18.10, issue 13 "README and CLI"), run in process against the
 * shared local grid in its own directory (`--dir`): `contracts list` shows a deployment's contract and nothing
 * after `destroy`; `zos deployment get` shows what the node has; `local dns add` makes the grid DNS answer an FQDN;
 * `rmb call --dir` and the short and long network names.
 */
import * as fs from 'fs';
import * as path from 'path';
import { addGridUser } from '../../local/grid/grid';
import { createGridDnsResolver } from '../../local/dns/grid-dns';
import type { GridState } from '../../local/grid/state';
import { runCli } from '../helpers/run-cli';
import { runExample } from '../../local/grid/example-runner';
import { e2eGridDir, ensureE2eGrid } from './shared-grid';

jest.setTimeout(300_000);

let grid: GridState;
let mnemonic: string;
const savedEnv = process.env.TFGRID_MNEMONIC;
beforeAll(async () => {
  grid = await ensureE2eGrid();
  ({ mnemonic } = await addGridUser(e2eGridDir()));
});
afterAll(() => {
  if (savedEnv === undefined) delete process.env.TFGRID_MNEMONIC;
  else process.env.TFGRID_MNEMONIC = savedEnv;
});

/** Runs the CLI as the user whose mnemonic is in the environment (never on the command line). */
async function asUser(args: string[]) {
  process.env.TFGRID_MNEMONIC = mnemonic;
  try {
    return await runCli(args);
  } finally {
    delete process.env.TFGRID_MNEMONIC;
  }
}

/** examples/zdb as this file's user (the one in the environment of `asUser`). */
async function zdb(mode: 'up' | 'destroy') {
  const r = await runExample({ programDir: path.join(__dirname, '..', '..', 'examples', 'zdb'), grid, mode, stack: 'cli-verbs', config: { node: '1', 'tfgrid:mnemonic': mnemonic } });
  if (!r.ok) throw new Error(`${mode} examples/zdb failed:\n${r.errors.join('\n')}`);
}

interface Listed {
  twinId: number;
  contracts: { contractId: number; type: string; nodeId?: number; state: string }[];
}

describe('tfgrid verbs on the local grid', () => {
  it('contracts list shows the node contract of a deployment, zos deployment get shows it on the node, and nothing is left after destroy', async () => {
    const dir = ['--dir', grid.dir];
    const before = await asUser(['contracts', 'list', '--json', ...dir]);
    expect(before.code).toBe(0);
    expect((JSON.parse(before.out) as Listed).contracts).toEqual([]);

    await zdb('up');
    try {
      const during = await asUser(['contracts', 'list', '--json', ...dir]);
      const listed = JSON.parse(during.out) as Listed;
      expect(listed.contracts).toEqual([expect.objectContaining({ type: 'node', nodeId: 1, state: 'created' })]);
      const text = await asUser(['contracts', 'list', ...dir]);
      expect(text.out).toMatch(new RegExp(`^twin ${listed.twinId}: 1 contract\\n\\s+${listed.contracts[0].contractId}  node  created\\s+node 1 `));
      // by twin id: no key needed
      const byTwin = await runCli(['contracts', 'list', '--twin', String(listed.twinId), '--json', ...dir]);
      expect(JSON.parse(byTwin.out)).toEqual(listed);

      const got = await asUser(['zos', 'deployment', 'get', '--node', '1', '--contract', String(listed.contracts[0].contractId), ...dir]);
      expect(got.code).toBe(0);
      const dl = JSON.parse(got.out) as { contract_id: number; workloads: { type: string; result: { state: string } }[] };
      expect(dl.contract_id).toBe(listed.contracts[0].contractId);
      expect(dl.workloads.map((w) => `${w.type}:${w.result.state}`)).toEqual(['zdb:ok']);
    } finally {
      await zdb('destroy');
    }
    const after = await asUser(['contracts', 'list', '--json', ...dir]);
    expect((JSON.parse(after.out) as Listed).contracts).toEqual([]);
  });

  it('local dns add points an FQDN at a node on the grid DNS; rm removes it', async () => {
    const node2 = grid.nodes[1];
    const add = await runCli(['local', 'dns', 'add', 'Shop.CLI-Verbs.test', `node${node2.index}`, '--dir', grid.dir]);
    expect(add.code).toBe(0);
    const ip = node2.address.split('/')[0];
    expect(add.out).toBe(`shop.cli-verbs.test → ${ip} (node ${node2.nodeId}, node${node2.index})\n`);
    const resolve = createGridDnsResolver(`${grid.dns?.address}:${grid.dns?.port}`);
    let answer: string[] = [];
    for (let i = 0; i < 50 && answer.length === 0; i++) {
      answer = await resolve('shop.cli-verbs.test');
      if (answer.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(answer).toEqual([ip]);
    const list = await runCli(['local', 'dns', 'list', '--json', '--dir', grid.dir]);
    expect((JSON.parse(list.out) as { hosts: Record<string, string[]> }).hosts['shop.cli-verbs.test']).toEqual([ip]);

    expect((await runCli(['local', 'dns', 'rm', 'shop.cli-verbs.test', '--dir', grid.dir])).code).toBe(0);
    const records = JSON.parse(fs.readFileSync(path.join(grid.dir, 'dns-records.json'), 'utf8')) as { hosts: Record<string, string[]> };
    expect(records.hosts['shop.cli-verbs.test']).toBeUndefined();
    const unknown = await runCli(['local', 'dns', 'add', 'x.example.test', 'node99', '--dir', grid.dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no node "node99" on the local grid');
  });

  it('rmb call takes the grid from --dir and the network by either name', async () => {
    const twin = String(grid.nodes[0].twinId);
    const local = await asUser(['rmb', 'call', '--twin', twin, '--cmd', 'zos.system.version', '--dir', grid.dir]);
    expect(local.err).toBe('');
    expect(JSON.parse(local.out)).toHaveProperty('zos');
    const urls = ['--chain', grid.chain?.url ?? '', '--relay', grid.relay?.url ?? ''];
    for (const network of ['dev', 'devnet']) {
      const r = await asUser(['rmb', 'call', '--twin', twin, '--cmd', 'zos.system.version', '--network', network, ...urls]);
      expect({ network, code: r.code, err: r.err }).toEqual({ network, code: 0, err: '' });
    }
    const bad = await asUser(['rmb', 'call', '--twin', twin, '--cmd', 'zos.system.version', '--network', 'moon', ...urls]);
    expect(bad.code).toBe(2);
  });
});
