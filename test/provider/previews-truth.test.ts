/**
 * Issue 22 and 18.7 through the provider (`provider/dynamic-entry`, as the plugin calls it) on the local chain,
 * our relay and 3 sim nodes: a second run of an unchanged program changes nothing (a NodePicker without a farm
 * filter included), a network grown by a node and shrunk back leaves its machines untouched (same workload
 * version and creation time on the node, same private IP), and a replaced machine keeps its private IP.
 * Each step is what the engine does: check (old inputs, new raw inputs), then diff (old outputs, checked inputs),
 * then create / update / delete as the diff says.
 */
import * as entry from '../../provider/dynamic-entry';
import { up, type Props } from './entry-steps';
import { startProviderGrid, uniqueTag, type GridUser, type ProviderGrid, useProviderProcess, closeProviderProcess } from './provider-grid';

const FLIST = 'https://hub.grid.tf/tf-official-apps/base:latest.flist';

describe('previews that tell the truth, through the provider on the local grid', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let n1: number, n2: number, n3: number;

  beforeAll(async () => {
    g = await startProviderGrid();
    [n1, n2, n3] = g.nodeIds;
    user = await g.user();
    await useProviderProcess(g, user, { 'tfgrid:coalesceMs': '50' });
  }, 120_000);

  afterAll(async () => {
    await closeProviderProcess(g);
  });

  /** The engine's next run of the same resource: check against the old inputs, then diff against the old outputs. */
  async function rerun(type: string, oldInputs: Props, outs: Props, raw: Props) {
    const c = await entry.check(type, oldInputs, raw);
    expect(c.failures ?? []).toEqual([]);
    const inputs = c.inputs as Props;
    return { inputs, diff: await entry.diff(type, String(outs.id ?? ''), outs, inputs) };
  }

  /** The workload as the node stores it: its version and creation time. */
  function onNode(node: number, outs: Props): { version: number; created: number } {
    const rt = g.runtimes[g.nodeIds.indexOf(node)];
    const d = JSON.parse(rt.engine.get(Number(outs.twinId), BigInt(Number(outs.contractId)))) as { workloads: { name: string; version: number; result: { created: number; state: string } }[] };
    const w = d.workloads.find((x) => x.name === outs.name)!;
    expect(w.result.state).toBe('ok');
    return { version: w.version, created: w.result.created };
  }

  it('a NodePicker without a farm filter: the second run of the same program is no change', async () => {
    const raw = { memory: '256MiB', exclude: [] };
    const first = await up('NodePicker', raw);
    expect(typeof first.outs.farmId).toBe('number'); // the chosen node's farm, which the filter does not give
    const c = await entry.check('NodePicker', {}, raw);
    const again = await rerun('NodePicker', c.inputs as Props, first.outs, raw);
    expect(again.diff).toMatchObject({ changes: false, replaces: [] });
    // a filter the chosen node still satisfies keeps it (an update, no replacement)
    const withFarm = await rerun('NodePicker', c.inputs as Props, first.outs, { ...raw, farmId: first.outs.farmId });
    expect(withFarm.diff).toMatchObject({ changes: true, replaces: [] });
    const updated = (await entry.update('NodePicker', first.id, first.outs, withFarm.inputs)).outs as Props;
    expect(updated.nodeId).toBe(first.outs.nodeId);
    expect((await rerun('NodePicker', withFarm.inputs, updated, { ...raw, farmId: first.outs.farmId })).diff).toMatchObject({ changes: false });
    // one it does not satisfy replaces the picker and names the filter
    expect((await rerun('NodePicker', withFarm.inputs, updated, { ...raw, exclude: [first.outs.nodeId] })).diff).toMatchObject({ changes: true, replaces: ['exclude'] });
  });

  it('a network with two machines grows by a node and shrinks back: both machines untouched', async () => {
    const name = `grow_${uniqueTag()}`;
    const netRaw = (nodes: number[]) => ({ name, nodes, mycelium: true });
    const net = await up('Network', netRaw([n1, n2]));
    const machineRaw = (node: number, nodes: number[]) => ({
      node,
      deployment: `g_${name}`,
      name: `vm${node}`,
      flist: FLIST,
      network: { name, ipRange: '10.20.0.0/16', mycelium: true, nodes },
      mycelium: true,
      cpu: 1,
      memory: '256MiB',
    });
    const machines = [await up('ZMachine', machineRaw(n1, [n1, n2])), await up('ZMachine', machineRaw(n2, [n1, n2]))];
    const before = machines.map((m) => ({ ...onNode(Number(m.outs.node), m.outs), ip: m.outs.privateIp, mycelium: m.outs.myceliumIp }));
    expect(before.every((b) => typeof b.ip === 'string' && b.ip !== '')).toBe(true);

    let netOuts = net.outs;
    let netInputs = (await entry.check('Network', {}, netRaw([n1, n2]))).inputs as Props;
    for (const nodes of [
      [n1, n2, n3],
      [n1, n2],
    ]) {
      const step = await rerun('Network', netInputs, netOuts, netRaw(nodes));
      expect(step.diff).toMatchObject({ changes: true, replaces: [] });
      const updated = (await entry.update('Network', String(net.id), netOuts, step.inputs)).outs as Props;
      // existing nodes keep their /24 whatever the network gains or loses
      expect((updated.nodeSubnets as Record<string, string>)[String(n1)]).toBe((net.outs.nodeSubnets as Record<string, string>)[String(n1)]);
      expect((updated.nodeSubnets as Record<string, string>)[String(n2)]).toBe((net.outs.nodeSubnets as Record<string, string>)[String(n2)]);
      netOuts = updated;
      netInputs = step.inputs;
      for (const [i, m] of machines.entries()) {
        const node = Number(m.outs.node);
        const oldInputs = (await entry.check('ZMachine', {}, machineRaw(node, [n1, n2]))).inputs as Props;
        const again = await rerun('ZMachine', oldInputs, m.outs, machineRaw(node, nodes));
        expect(again.diff).toMatchObject({ changes: false, replaces: [] });
        // nothing was redeployed: the node holds the same workload version, created at the same time
        const now = onNode(node, m.outs);
        expect(now).toEqual({ version: before[i].version, created: before[i].created });
        const read = (await entry.read('ZMachine', String(m.id), m.outs)).props as Props;
        expect(read).toMatchObject({ state: 'ok', privateIp: before[i].ip, myceliumIp: before[i].mycelium });
      }
    }
  });

  it('a replaced machine keeps its private IP (delete before replace), unless ip is pinned to another', async () => {
    const name = `keep_${uniqueTag()}`;
    await up('Network', { name, nodes: [n2] });
    const raw = (vm: string, extra: Props = {}) => ({
      node: n2,
      deployment: `k_${name}`,
      name: vm,
      flist: FLIST,
      network: { name, ipRange: '10.20.0.0/16', nodes: [n2] },
      cpu: 1,
      memory: '256MiB',
      ...extra,
    });
    const a = await up('ZMachine', raw('a'));
    const b = await up('ZMachine', raw('b'));
    expect(a.outs.privateIp).not.toBe(b.outs.privateIp);
    // a's lower address is free again: a machine replaced without keeping its IP would take it
    await entry.delete('ZMachine', String(a.id), a.outs);
    const bInputs = (await entry.check('ZMachine', {}, raw('b'))).inputs as Props;
    const step = await rerun('ZMachine', bInputs, b.outs, raw('b', { memory: '512MiB' }));
    expect(step.diff).toMatchObject({ changes: true, replaces: ['memory'], deleteBeforeReplace: true });
    await entry.delete('ZMachine', String(b.id), b.outs);
    const b2 = (await entry.create('ZMachine', step.inputs)).outs as Props;
    expect(b2).toMatchObject({ state: 'ok', privateIp: b.outs.privateIp });
    // a pinned ip wins over the kept one
    const pinnedIp = String(a.outs.privateIp);
    const pin = await rerun('ZMachine', step.inputs, b2, raw('b', { memory: '512MiB', ip: pinnedIp }));
    expect(pin.diff).toMatchObject({ replaces: ['ip'] });
    await entry.delete('ZMachine', String(b.id), b2);
    expect(((await entry.create('ZMachine', pin.inputs)).outs as Props).privateIp).toBe(pinnedIp);
  });
});
