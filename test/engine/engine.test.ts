/**
 * Level 3 (DESIGN.md §5), with no fake on the provider's path: a real Pulumi program run by the SDK's own runner
 * through the test engine and the real dynamic-provider plugin, whose provider builds its own grid connection from
 * stack config (chain/relay URLs, the twin's secret key) to the local TFChain, our relay and sim node runtimes
 * (test/provider/provider-grid.ts). preview → up → no-op up → update (zdb grows) → replace (machine cpu) → a refused
 * update → delete of a removed resource → refresh → destroy, with the chain checked after each step (contracts of
 * the user's twin, transactions from the account nonce) and nothing left at the end.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startProviderGrid, type GridUser, type ProviderGrid } from '../provider/provider-grid';
import { destroy, readState, refresh, up, type EngineOptions, type RunResult } from './engine';

const root = path.resolve(__dirname, '..', '..');

describe('test engine running a Pulumi program on the local chain, relay and nodes', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let dir: string;
  let opts: EngineOptions;
  const ops = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [s.name, s.op]));
  const run = async (config: Record<string, string> = {}, preview = false) => {
    const r = await up({ ...opts, config: { ...opts.config, ...config } }, { preview });
    if (!r.ok) throw new Error(`run failed: ${r.errors.join('; ')}\n${r.log}`);
    return r;
  };
  const active = () => g.activeContracts(user);
  const tx = () => g.transactions(user);

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 2 });
    user = await g.user();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-engine-'));
    opts = {
      programDir: path.join(__dirname, 'programs', 'vm-stack'),
      project: 'vmstack',
      stack: 'dev',
      stateFile: path.join(dir, 'state.json'),
      config: { ...g.providerConfig(user, { 'tfgrid:coalesceMs': '50' }), 'app:node1': String(g.nodeIds[0]), 'app:node2': String(g.nodeIds[1]) },
      secretConfig: ['tfgrid:mnemonic'],
      pluginCwd: root,
      pluginEnv: { TFGRID_PROVIDER_MODULE: path.join(root, 'test', 'provider', 'fixtures', 'provider-entry.js'), TFGRID_MNEMONIC: '' },
    };
  }, 120_000);

  afterAll(async () => {
    await g?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('previews creates without touching the grid', async () => {
    const before = await tx();
    const r = await run({}, true);
    expect(ops(r)).toMatchObject({ net: 'create', data: 'create', vm: 'create' });
    expect(fs.existsSync(opts.stateFile)).toBe(false);
    expect(await tx()).toBe(before);
  }, 120_000);

  const db = { 'app:withDb': 'true' };

  it('creates the stack; secret outputs stay secret and the key is nowhere in state', async () => {
    const r = await run(db);
    expect(ops(r)).toMatchObject({ net: 'create', data: 'create', vm: 'create', db: 'create' });
    expect(String(r.outputs.privateIp)).toMatch(/^10\.20\.2\.\d+$/);
    expect(r.secretOutputs).toEqual(expect.arrayContaining(['wgConfig', 'dbPassword']));
    expect(r.secretOutputs).not.toContain('privateIp');
    expect(fs.readFileSync(opts.stateFile, 'utf8')).not.toContain(user.seed.slice(2));
    const netState = Object.values(readState(opts.stateFile).resources).find((x) => x.name === 'net')!;
    expect(netState.secretKeys).toEqual(expect.arrayContaining(['wgPrivateKeys', 'accessConfig']));
    expect(await active()).toHaveLength(4); // network on 2 nodes + the stack's group on each node
  }, 120_000);

  it('changes nothing on a second up', async () => {
    const before = await tx();
    const r = await run(db);
    expect(Object.values(ops(r)).every((o) => o === 'same')).toBe(true);
    expect(await tx()).toBe(before);
  }, 120_000);

  it('grows the zdb in place', async () => {
    const preview = await run({ ...db, 'app:dbSize': '2GiB' }, true);
    expect(ops(preview)).toMatchObject({ db: 'update', vm: 'same' });
    const r = await run({ ...db, 'app:dbSize': '2GiB' });
    expect(ops(r)).toMatchObject({ db: 'update', data: 'same', vm: 'same', net: 'same' });
    const dbState = Object.values(readState(opts.stateFile).resources).find((x) => x.name === 'db')!;
    expect(dbState.outputs).toMatchObject({ state: 'ok', version: 1, size: '2GiB' });
  }, 120_000);

  it('replaces the machine when its cpu changes, keeping the contract', async () => {
    const contract = readState(opts.stateFile).outputs.machineContract;
    const r = await run({ ...db, 'app:dbSize': '2GiB', 'app:cpu': '2' });
    expect(r.steps.find((s) => s.name === 'vm')).toMatchObject({ op: 'replace', replaces: ['cpu'] });
    expect(r.outputs.machineContract).toBe(contract);
  }, 120_000);

  it('refuses to grow a mounted disk with the node rule and the fix, changing nothing', async () => {
    const before = await tx();
    const r = await up({ ...opts, config: { ...opts.config, ...db, 'app:dbSize': '2GiB', 'app:cpu': '2', 'app:diskSize': '2GiB' } });
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toMatch(/cannot grow the disk while ZMachine "vm" mounts it \(ZOS: disk is mounted, please delete the VM first\)/);
    expect(await tx()).toBe(before);
    const disk = Object.values(readState(opts.stateFile).resources).find((x) => x.name === 'data')!;
    expect(disk.inputs.size).toBe('1GiB');
  }, 120_000);

  it('deletes a resource removed from the program', async () => {
    const r = await run({ 'app:cpu': '2' });
    expect(ops(r)).toMatchObject({ db: 'delete' });
    expect(await active()).toHaveLength(3);
  }, 120_000);

  it('refreshes, then destroys everything leaving no contract', async () => {
    const r = await refresh(opts);
    expect(r.ok).toBe(true);
    expect(r.steps.every((s) => s.op === 'refresh')).toBe(true);
    const d = await destroy(opts);
    expect(d.ok).toBe(true);
    expect(await active()).toEqual([]);
    expect(readState(opts.stateFile).order).toEqual([]);
  }, 120_000);
});
