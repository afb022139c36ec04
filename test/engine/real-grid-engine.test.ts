/**
 * End to end without a fake anywhere on the provider's path (DESIGN.md §5 level 3): a Pulumi program run by the
 * SDK's runner through the test engine, the real dynamic-provider plugin, the provider's own grid connection
 * (stack config: chain/relay URLs and the twin's secret key), the local TFChain, our relay and node runtimes
 * (sim backend). up → no-op up → update in place → refresh → destroy, with the chain checked after each step.
 * About 60 s (three program runs against a real chain); one test, so the grid is bootstrapped once.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChainClient } from '../../protocol/chain';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { parseNodeConfig } from '../../node/config';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestGrid } from '../helpers/chain';
import { tempDir } from '../node/fixtures';
import { destroy, readState, refresh, up, type EngineOptions, type RunResult } from './engine';

const root = path.resolve(__dirname, '..', '..');

describe('a Pulumi program on the local chain, relay and nodes', () => {
  let chain: ChainClient;
  let grid: TestGrid;
  let relay: Relay;
  const nodes: NodeRuntime[] = [];
  const dirs: { remove(): void }[] = [];
  let dir: string;
  let opts: EngineOptions;
  let seed: string;

  const ops = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [s.name, s.op]));
  const run = async (config: Record<string, string> = {}) => {
    const r = await up({ ...opts, config: { ...opts.config, ...config } });
    if (!r.ok) throw new Error(`run failed: ${r.errors.join('; ')}\n${r.log}`);
    return r;
  };
  const contractsOf = async (): Promise<number[]> => {
    const s = readState(opts.stateFile);
    const ids = new Set<number>();
    for (const r of Object.values(s.resources)) {
      if (typeof r.outputs.contractId === 'number') ids.add(r.outputs.contractId);
      for (const v of Object.values((r.outputs.contractIds ?? {}) as Record<string, number>)) ids.add(v);
    }
    const active: number[] = [];
    for (const id of ids) {
      const c = await chain.getContract(id);
      if (c && c.state !== 'deleted') active.push(id);
    }
    return active;
  };

  beforeAll(async () => {
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 2 });
    relay = await createRelay({ port: 0, host: '127.0.0.1', directory: createChainTwinDirectory(chain), domain: ['localhost', '127.0.0.1'] });
    const chainUrl = await testChainUrl();
    for (const [i, n] of grid.nodes.entries()) {
      const tmp = tempDir(`tfg-eng-node${i}-`);
      dirs.push(tmp);
      const config = parseNodeConfig({
        dataDir: tmp.dir,
        backend: 'sim',
        identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
        chain: { urls: [chainUrl] },
        relay: { urls: [relay.url] },
        node: { id: n.id, farmId: grid.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        ...(i === 0 ? { publicConfig: { ipv4: '185.69.0.50/24', gw4: '185.69.0.1', domain: `n1-${grid.tag}.grid.local` } } : {}),
      });
      const rt = await createNodeRuntime(config, { chain });
      await rt.peer.ready();
      nodes.push(rt);
    }
    const user = await freshAccount(chain, { type: 'sr25519' });
    seed = `0x${Buffer.from(user.identity.seed).toString('hex')}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-engine-real-'));
    opts = {
      programDir: path.join(__dirname, 'programs', 'vm-stack'),
      project: 'vmstack',
      stack: `e2e${grid.tag}`,
      stateFile: path.join(dir, 'state.json'),
      config: {
        'tfgrid:mnemonic': seed,
        'tfgrid:keyType': 'sr25519',
        'tfgrid:network': 'test',
        'tfgrid:chainUrls': chainUrl,
        'tfgrid:relayUrls': relay.url,
        'tfgrid:deployTimeout': '60',
        'app:node1': String(grid.nodes[0].id),
        'app:node2': String(grid.nodes[1].id),
      },
      secretConfig: ['tfgrid:mnemonic'],
      pluginCwd: root,
      pluginEnv: { TFGRID_PROVIDER_MODULE: path.join(root, 'test', 'provider', 'fixtures', 'provider-entry.js'), TFGRID_MNEMONIC: '' },
    };
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) await n.close();
    await relay?.close();
    await chain?.close();
    dirs.forEach((d) => d.remove());
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ups, changes nothing on a second up, grows a zdb in place, refreshes and destroys with no contract left', async () => {
    const first = await run({ 'app:withDb': 'true' });
    expect(ops(first)).toMatchObject({ net: 'create', data: 'create', vm: 'create', db: 'create' });
    expect(first.secretOutputs).toContain('dbPassword');
    expect(String(first.outputs.privateIp)).toMatch(/^10\.20\.2\.\d+$/);
    expect(first.secretOutputs).toContain('wgConfig');
    expect(fs.readFileSync(opts.stateFile, 'utf8')).not.toContain(seed.slice(2));
    expect(await contractsOf()).toHaveLength(4); // network on 2 nodes, the stack's group on each node

    const again = await run({ 'app:withDb': 'true' });
    expect(Object.values(ops(again)).every((o) => o === 'same')).toBe(true);

    const grown = await run({ 'app:withDb': 'true', 'app:dbSize': '2GiB' });
    expect(ops(grown)).toMatchObject({ db: 'update', data: 'same', vm: 'same' });
    const db = Object.values(readState(opts.stateFile).resources).find((r) => r.name === 'db')!;
    expect(db.outputs).toMatchObject({ state: 'ok', version: 1, size: '2GiB' });

    const r = await refresh(opts);
    expect(r.ok).toBe(true);
    expect(r.steps.every((s) => s.op === 'refresh')).toBe(true);

    const ids = await contractsOf();
    const d = await destroy(opts);
    expect(d.ok).toBe(true);
    for (const id of ids) expect((await chain.getContract(id))?.state ?? 'deleted').toBe('deleted');
  }, 300_000);
});
