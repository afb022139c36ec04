/**
 * Level 2 (DESIGN.md §5): the real dynamic-provider plugin of @pulumi/pulumi, started as a process and driven over
 * gRPC like the engine does, serving our serialized shims. Proves closure-serializability of the shims, config and
 * secret plumbing (the mnemonic never appears in `__provider` or in state), diff codes, and the partial-failure
 * encoding. The grid behind it is real (provider-grid.ts: local chain, our relay, sim node runtimes), reached from
 * the plugin process through the provider's own connection; a lost deploy and an unreachable chain are armed
 * through a faults file read by fixtures/real-grid.js (the wrapper of grid-faults.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { makeShim } from '../../provider/shim';
import { secretWire, startPlugin, type PluginClient, type Props } from './plugin-client';
import { startProviderGrid, type GridUser, type ProviderGrid } from './provider-grid';

const root = path.resolve(__dirname, '..', '..');
const urn = (type: string, name: string) => `urn:pulumi:dev::proj::pulumi-nodejs:dynamic/tfgrid:${type}::${name}`;

describe('dynamic-provider plugin over gRPC', () => {
  let plugin: PluginClient;
  let dir: string;
  let faults: string;
  let zmountProvider: string;
  let g: ProviderGrid;
  let user: GridUser;
  let MNEMONIC: string;
  let n1: number, n2: number, n3: number;
  const active = () => g.activeContracts(user);

  beforeAll(async () => {
    g = await startProviderGrid();
    [n1, n2, n3] = g.nodeIds;
    user = await g.user();
    MNEMONIC = user.seed;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-plugin-'));
    faults = path.join(dir, 'faults.json');
    // exactly what dynamic.Resource does with the provider object
    const provider = makeShim('ZMount');
    zmountProvider = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
    plugin = await startPlugin({
      cwd: root,
      env: {
        TFGRID_PROVIDER_MODULE: path.join(__dirname, 'fixtures', 'provider-entry.js'),
        TFGRID_GRID_FACTORY: path.join(__dirname, 'fixtures', 'real-grid.js'),
        TFGRID_FAULTS_FILE: faults,
        TFGRID_MNEMONIC: '',
      },
    });
    const { 'tfgrid:mnemonic': _m, ...config } = g.providerConfig(user, { 'tfgrid:coalesceMs': '20' });
    await plugin.configure({ ...config, 'tfgrid:mnemonic': secretWire(MNEMONIC) });
  }, 120_000);

  afterAll(async () => {
    await plugin?.stop();
    await g?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serializes each shim to a small text that requires the package and holds no credentials', () => {
    expect(zmountProvider.length).toBeLessThan(4000);
    expect(zmountProvider).toContain('dynamic-entry');
    expect(zmountProvider).not.toContain(MNEMONIC);
  });

  it('fails check with the field path and the fix', async () => {
    const r = await plugin.check(urn('ZMount', 'data'), {}, { __provider: zmountProvider, node: n1, deployment: 'd', name: 'data', size: '10GB' });
    expect(r.failures).toEqual([{ property: 'size', reason: expect.stringMatching(/^ZMount "data": size "10GB" is not a size; use bytes or a binary unit such as "10GiB"/) }]);
  });

  it('runs create, diff, update, read and delete, leaving no contract', async () => {
    const u = urn('ZMount', 'data');
    const checked = await plugin.check(u, {}, { __provider: zmountProvider, node: n1, deployment: 'd', name: 'data', size: '1GiB' });
    expect(checked.failures).toEqual([]);
    const created = await plugin.create(u, checked.inputs);
    expect(created.id).toBe(`${n1}/d/data`);
    expect(created.properties).toMatchObject({ state: 'ok', version: 0, size: '1GiB' });
    expect(created.properties.__provider).toBe(zmountProvider);
    expect(JSON.stringify(created.properties)).not.toContain(MNEMONIC);
    expect(await active()).toEqual([created.properties.contractId]);

    expect((await plugin.diff(u, created.id, created.properties, checked.inputs)).changes).toBe(1); // DIFF_NONE
    const grown = (await plugin.check(u, checked.inputs, { ...checked.inputs, size: '2GiB' })).inputs;
    expect(await plugin.diff(u, created.id, created.properties, grown)).toEqual({ changes: 2, replaces: [], deleteBeforeReplace: false });
    const moved = (await plugin.check(u, checked.inputs, { ...checked.inputs, node: n2 })).inputs;
    expect((await plugin.diff(u, created.id, created.properties, moved)).replaces).toEqual(['node']);

    const updated = await plugin.update(u, created.id, created.properties, grown);
    expect(updated.properties).toMatchObject({ version: 1, size: '2GiB', state: 'ok' });

    const read = await plugin.read(u, created.id, updated.properties);
    expect(read.id).toBe(created.id);
    expect(read.properties).toMatchObject({ state: 'ok' });

    await plugin.delete(u, created.id, updated.properties);
    expect(await active()).toEqual([]);
    const gone = await plugin.read(u, created.id, updated.properties);
    expect(gone.id).toBe('');
  });

  it('reports a partially created resource as ErrorResourceInitFailed so destroy can clean it', async () => {
    const u = urn('ZMount', 'half');
    const checked = await plugin.check(u, {}, { __provider: zmountProvider, node: n3, deployment: 'h', name: 'half', size: '1GiB' });
    fs.writeFileSync(faults, JSON.stringify({ deploy: { kind: 'rmb', message: 'relay timeout' }, cancel: { kind: 'chain', message: 'chain unreachable' } }));
    const err = await plugin.create(u, checked.inputs).catch((e: unknown) => e);
    const failure = plugin.initFailure(err);
    expect(failure?.id).toBe(`${n3}/h/half`);
    expect(failure?.properties.__provider).toBe(zmountProvider);
    expect(failure?.properties.contractId).toBeGreaterThan(0);
    expect(failure?.reasons[0]).toMatch(/relay timeout/);
    expect(await active()).toEqual([failure?.properties.contractId]);
    // destroy removes what was recorded
    await plugin.delete(u, failure!.id, failure!.properties as Props);
    expect(await active()).toEqual([]);
  });
});
