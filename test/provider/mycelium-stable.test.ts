/**
 * Issue 15, mycelium addresses that stay put, through the provider (`provider/dynamic-entry`) on the local chain,
 * our relay and sim nodes: a machine replaced for a change of its env keeps its mycelium IP, also when the
 * replacement is created by a new provider process (nothing remembered in memory); a given `myceliumSeed` sets
 * the address and a changed one moves it; the Network's `myceliumKeys` input sets the node's key, and neither
 * input makes an unchanged program differ on its next run. Each step is the engine's: check, diff, then
 * delete + create as the diff says.
 */
import * as entry from '../../provider/dynamic-entry';
import { derivedMyceliumSeed } from '../../provider/resources/zmachine';
import { up, type Props } from './entry-steps';
import { startProviderGrid, uniqueTag, type GridUser, type ProviderGrid, useProviderProcess, closeProviderProcess } from './provider-grid';

const FLIST = 'https://hub.grid.tf/tf-official-apps/base:latest.flist';

describe('mycelium addresses that stay put, through the provider on the local grid', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let n1: number, n2: number;

  /** A fresh provider runtime, as a new plugin process has (no allocator memory, no caches). */
  async function newProcess(): Promise<void> {
    await useProviderProcess(g, user, { 'tfgrid:coalesceMs': '50' });
  }

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 2 });
    [n1, n2] = g.nodeIds;
    user = await g.user();
    await newProcess();
  }, 120_000);

  afterAll(async () => {
    await closeProviderProcess(g);
  });

  async function rerun(type: string, oldInputs: Props, outs: Props, raw: Props) {
    const c = await entry.check(type, oldInputs, raw);
    expect(c.failures ?? []).toEqual([]);
    const inputs = c.inputs as Props;
    return { inputs, diff: await entry.diff(type, String(outs.id ?? ''), outs, inputs) };
  }

  /** The engine's replace (delete before replace): the old machine goes, then the new one is created. */
  async function replace(id: string, olds: Props, inputs: Props, opts: { newProcess?: boolean } = {}): Promise<Props> {
    await entry.delete('ZMachine', id, olds);
    if (opts.newProcess) await newProcess();
    return (await entry.create('ZMachine', inputs)).outs as Props;
  }

  it('a machine replaced for an env change keeps its mycelium IP, also when a new provider process creates it', async () => {
    const name = `myc_${uniqueTag()}`;
    const net = await up('Network', { name, nodes: [n1, n2], mycelium: true });
    const machine = (vm: string, extra: Props = {}) => ({
      node: n2,
      deployment: `m_${name}`,
      name: vm,
      flist: FLIST,
      network: { name, ipRange: '10.20.0.0/16', mycelium: true, nodes: [n1, n2] },
      mycelium: true,
      cpu: 1,
      memory: '256MiB',
      ...extra,
    });
    const a = await up('ZMachine', machine('a', { env: { V: '1' } }));
    const b = await up('ZMachine', machine('b'));
    const ipA = String(a.outs.myceliumIp);
    expect(ipA).toMatch(/:ff0f:/);
    // the seed is the one derived from the network's key on the node and the machine's place, not a drawn one
    const key = (net.outs.myceliumKeys as Record<string, string>)[String(n2)];
    expect(a.outs.myceliumSeed).toBe(derivedMyceliumSeed(key, { node: n2, deployment: `m_${name}`, name: 'a' }));
    expect(b.outs.myceliumIp).not.toBe(ipA); // another name, another address in the same /64

    const aInputs = (await entry.check('ZMachine', {}, machine('a', { env: { V: '1' } }))).inputs as Props;
    const step = await rerun('ZMachine', aInputs, a.outs, machine('a', { env: { V: '2' } }));
    expect(step.diff).toMatchObject({ changes: true, replaces: ['env'], deleteBeforeReplace: true });
    const a2 = await replace(a.id, a.outs, step.inputs);
    expect(a2).toMatchObject({ state: 'ok', myceliumIp: ipA, myceliumSeed: a.outs.myceliumSeed });
    expect(a2.env).toEqual({ V: '2' });

    // again, the replacement created by a fresh provider process (pulumi up after a restart): same address
    const step2 = await rerun('ZMachine', step.inputs, a2, machine('a', { env: { V: '3' } }));
    expect(step2.diff).toMatchObject({ replaces: ['env'] });
    const a3 = await replace(a.id, a2, step2.inputs, { newProcess: true });
    expect(a3).toMatchObject({ state: 'ok', myceliumIp: ipA });
    // the node serves it there: the workload's result on the node holds the same mycelium IP
    const rt = g.runtimes[g.nodeIds.indexOf(n2)];
    const onNode = JSON.parse(rt.engine.get(Number(a3.twinId), BigInt(Number(a3.contractId)))) as { workloads: { name: string; result: { data: { mycelium_ip?: string } } }[] };
    expect(onNode.workloads.find((w) => w.name === 'a')?.result.data.mycelium_ip).toBe(ipA);

    // an unchanged program is no change, and state written before `__inputs` (the seed an output only) neither
    expect((await rerun('ZMachine', step2.inputs, a3, machine('a', { env: { V: '3' } }))).diff).toMatchObject({ changes: false });
    const { __inputs: _dropped, ...legacy } = a3;
    void _dropped;
    expect((await rerun('ZMachine', step2.inputs, legacy, machine('a', { env: { V: '3' } }))).diff).toMatchObject({ changes: false });
  });

  it('a given myceliumSeed sets the address; changing it replaces the machine and moves the address', async () => {
    const name = `seed_${uniqueTag()}`;
    await up('Network', { name, nodes: [n1], mycelium: true });
    const machine = (seed: string) => ({
      node: n1,
      deployment: `s_${name}`,
      name: 'vm',
      flist: FLIST,
      network: { name, ipRange: '10.20.0.0/16', mycelium: true, nodes: [n1] },
      mycelium: true,
      myceliumSeed: seed,
      cpu: 1,
      memory: '256MiB',
    });
    const m = await up('ZMachine', machine('A1B2C3D4E5F6'));
    expect(m.outs.myceliumSeed).toBe('a1b2c3d4e5f6'); // lowercase on the wire (zos-protocol.md §2.9)
    expect(String(m.outs.myceliumIp)).toMatch(/:ff0f:a1b2:c3d4:e5f6$/);
    const inputs = (await entry.check('ZMachine', {}, machine('A1B2C3D4E5F6'))).inputs as Props;
    const step = await rerun('ZMachine', inputs, m.outs, machine('0a0b0c0d0e0f'));
    expect(step.diff).toMatchObject({ changes: true, replaces: ['myceliumSeed'] });
    const m2 = await replace(m.id, m.outs, step.inputs);
    expect(String(m2.myceliumIp)).toMatch(/:ff0f:a0b:c0d:e0f$/);

    const bad = await entry.check('ZMachine', {}, machine('0000000000'));
    expect(JSON.stringify(bad.failures)).toMatch(/6 bytes of hex/);
    const zero = await entry.check('ZMachine', {}, machine('000000000000'));
    expect(JSON.stringify(zero.failures)).toMatch(/all 00 or all ff/);
    const off = await entry.check('ZMachine', {}, { ...machine('a1b2c3d4e5f6'), mycelium: false });
    expect(JSON.stringify(off.failures)).toMatch(/myceliumSeed given but mycelium is false/);
  });

  it("the Network's myceliumKeys set the node's key; an unchanged program with or without them is no change", async () => {
    const name = `keys_${uniqueTag()}`;
    const key = 'ab'.repeat(32);
    const raw = { name, nodes: [n1, n2], mycelium: true, myceliumKeys: { [String(n1)]: key.toUpperCase() } };
    const net = await up('Network', raw);
    const keys = net.outs.myceliumKeys as Record<string, string>;
    expect(keys[String(n1)]).toBe(key);
    expect(keys[String(n2)]).toMatch(/^[0-9a-f]{64}$/); // generated for the node left out
    const rt = g.runtimes[g.nodeIds.indexOf(n1)];
    const onNode = JSON.parse(rt.engine.get(Number(net.outs.twinId), BigInt((net.outs.contractIds as Record<string, number>)[String(n1)]))) as {
      workloads: { data: { mycelium?: { hex_key: string } } }[];
    };
    expect(onNode.workloads[0].data.mycelium?.hex_key).toBe(key);

    const inputs = (await entry.check('Network', {}, raw)).inputs as Props;
    expect((await rerun('Network', inputs, net.outs, raw)).diff).toMatchObject({ changes: false });
    // giving node 2 the key it already has is a change of input, in place; the generated key of node 2 is kept
    const withN2 = { ...raw, myceliumKeys: { ...raw.myceliumKeys, [String(n2)]: keys[String(n2)] } };
    const step = await rerun('Network', inputs, net.outs, withN2);
    expect(step.diff).toMatchObject({ changes: true, replaces: [] });
    const updated = (await entry.update('Network', net.id, net.outs, step.inputs)).outs as Props;
    expect(updated.myceliumKeys).toEqual(keys);
    expect((await rerun('Network', step.inputs, updated, withN2)).diff).toMatchObject({ changes: false });

    const stray = await entry.check('Network', {}, { ...raw, myceliumKeys: { '999999': key } });
    expect(JSON.stringify(stray.failures)).toMatch(/not one of the network's nodes/);
    const short = await entry.check('Network', {}, { ...raw, myceliumKeys: { [String(n1)]: 'ab' } });
    expect(JSON.stringify(short.failures)).toMatch(/32 bytes of hex/);
  });
});
