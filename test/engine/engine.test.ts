/**
 * Level 3 (DESIGN.md §5): a real Pulumi program run by the SDK's own runner through the test engine and the real
 * dynamic-provider plugin: preview → up → no-op up → update (disk grows) → replace (machine cpu) → add a resource
 * → refresh → destroy, with the grid checked after each step and no contract left at the end. The grid is the
 * in-memory double inside the plugin process (persisted between runs); the local-grid variant runs the examples.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { destroy, readState, refresh, up, type EngineOptions, type RunResult } from './engine';

const root = path.resolve(__dirname, '..', '..');
const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

describe('test engine running a Pulumi program', () => {
  let dir: string;
  let opts: EngineOptions;
  let dump: string;
  const active = () => {
    const snap = JSON.parse(fs.readFileSync(dump, 'utf8')) as { contracts: [number, { state: string; nodeId?: number }][]; counters: { transactions: number } };
    return { contracts: snap.contracts.filter(([, c]) => c.state !== 'deleted').map(([id]) => id), tx: snap.counters.transactions };
  };
  const ops = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [s.name, s.op]));
  const run = async (config: Record<string, string> = {}, preview = false) => {
    const r = await up({ ...opts, config: { ...opts.config, ...config } }, { preview });
    if (!r.ok) throw new Error(`run failed: ${r.errors.join('; ')}\n${r.log}`);
    return r;
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-engine-'));
    dump = path.join(dir, 'grid.json');
    opts = {
      programDir: path.join(__dirname, 'programs', 'vm-stack'),
      project: 'vmstack',
      stack: 'dev',
      stateFile: path.join(dir, 'state.json'),
      config: { 'tfgrid:mnemonic': MNEMONIC, 'tfgrid:coalesceMs': '20' },
      secretConfig: ['tfgrid:mnemonic'],
      pluginCwd: root,
      pluginEnv: {
        TFGRID_PROVIDER_MODULE: path.join(root, 'test', 'provider', 'fixtures', 'provider-entry.js'),
        TFGRID_GRID_FACTORY: path.join(root, 'test', 'provider', 'fixtures', 'double-grid.js'),
        TFGRID_DOUBLE_DUMP: dump,
        TFGRID_MNEMONIC: '',
      },
    };
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('previews creates without touching the grid', async () => {
    const r = await run({}, true);
    expect(ops(r)).toMatchObject({ net: 'create', data: 'create', vm: 'create' });
    expect(fs.existsSync(opts.stateFile)).toBe(false);
  }, 120_000);

  const db = { 'app:withDb': 'true' };

  it('creates the stack; secret outputs stay secret and the mnemonic is nowhere in state', async () => {
    const r = await run(db);
    expect(ops(r)).toMatchObject({ net: 'create', data: 'create', vm: 'create', db: 'create' });
    expect(String(r.outputs.privateIp)).toMatch(/^10\.20\.2\.\d+$/);
    expect(r.secretOutputs).toEqual(expect.arrayContaining(['wgConfig', 'dbPassword']));
    expect(r.secretOutputs).not.toContain('privateIp');
    const state = fs.readFileSync(opts.stateFile, 'utf8');
    expect(state).not.toContain(MNEMONIC);
    const s = readState(opts.stateFile);
    const netState = Object.values(s.resources).find((x) => x.name === 'net')!;
    expect(netState.secretKeys).toEqual(expect.arrayContaining(['wgPrivateKeys', 'accessConfig']));
    expect(active().contracts).toHaveLength(4); // network on 2 nodes + the stack's group on each node
  }, 120_000);

  it('changes nothing on a second up', async () => {
    const before = active().tx;
    const r = await run(db);
    expect(Object.values(ops(r)).every((o) => o === 'same')).toBe(true);
    expect(active().tx).toBe(before);
  }, 120_000);

  it('grows the zdb in place', async () => {
    const preview = await run({ ...db, 'app:dbSize': '2GiB' }, true);
    expect(ops(preview)).toMatchObject({ db: 'update', vm: 'same' });
    const r = await run({ ...db, 'app:dbSize': '2GiB' });
    expect(ops(r)).toMatchObject({ db: 'update', data: 'same', vm: 'same', net: 'same' });
  }, 120_000);

  it('replaces the machine when its cpu changes, keeping the contract', async () => {
    const contract = readState(opts.stateFile).outputs.machineContract;
    const r = await run({ ...db, 'app:dbSize': '2GiB', 'app:cpu': '2' });
    expect(r.steps.find((s) => s.name === 'vm')).toMatchObject({ op: 'replace', replaces: ['cpu'] });
    expect(r.outputs.machineContract).toBe(contract);
  }, 120_000);

  it('refuses to grow a mounted disk with the node rule and the fix, changing nothing', async () => {
    const tx = active().tx;
    const r = await up({ ...opts, config: { ...opts.config, ...db, 'app:dbSize': '2GiB', 'app:cpu': '2', 'app:diskSize': '2GiB' } });
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toMatch(/cannot grow the disk while ZMachine "vm" mounts it \(ZOS: disk is mounted, please delete the VM first\)/);
    expect(active().tx).toBe(tx);
    const disk = Object.values(readState(opts.stateFile).resources).find((x) => x.name === 'data')!;
    expect(disk.inputs.size).toBe('1GiB');
  }, 120_000);

  it('deletes a resource removed from the program', async () => {
    const r = await run({ 'app:cpu': '2' });
    expect(ops(r)).toMatchObject({ db: 'delete' });
    expect(active().contracts).toHaveLength(3);
  }, 120_000);

  it('refreshes, then destroys everything leaving no contract', async () => {
    const r = await refresh(opts);
    expect(r.ok).toBe(true);
    expect(r.steps.every((s) => s.op === 'refresh')).toBe(true);
    const d = await destroy(opts);
    expect(d.ok).toBe(true);
    expect(active().contracts).toEqual([]);
    expect(readState(opts.stateFile).order).toEqual([]);
  }, 120_000);
});
