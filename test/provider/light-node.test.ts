/**
 * Issue 15, light nodes, through the provider (`provider/dynamic-entry`) on the local chain, our relay and sim
 * nodes, one of them a ZOS light node (node config `light: true`): the provider asks each node's features and,
 * with no change in the program, sends `network` + `zmachine` to the full node and `network-light` +
 * `zmachine-light` to the light one (a light network always with a mycelium key, a light machine without
 * public_ip/planetary); what a light node lacks is refused with the reason, and the light node itself refuses a
 * full-node type as ZOS light does (no manager for it).
 */
import * as entry from '../../provider/dynamic-entry';
import { up, type Props } from './entry-steps';
import { startProviderGrid, uniqueTag, type GridUser, type ProviderGrid, useProviderProcess, closeProviderProcess } from './provider-grid';

const FLIST = 'https://hub.grid.tf/tf-official-apps/base:latest.flist';

interface StoredDeployment {
  workloads: { name: string; type: string; data: Record<string, unknown>; result: { state: string; message: string; data: Record<string, unknown> | null } }[];
}

describe('light nodes, through the provider on the local grid', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let full: number, light: number;

  beforeAll(async () => {
    // node index 0 is the public full node, index 1 a hidden light node
    g = await startProviderGrid({ nodes: 2, light: [1] });
    [full, light] = g.nodeIds;
    user = await g.user();
    await useProviderProcess(g, user, { 'tfgrid:coalesceMs': '50' });
  }, 120_000);

  afterAll(async () => {
    await closeProviderProcess(g);
  });

  const stored = (node: number, twin: unknown, contract: unknown): StoredDeployment =>
    JSON.parse(g.runtimes[g.nodeIds.indexOf(node)].engine.get(Number(twin), BigInt(Number(contract)))) as StoredDeployment;

  it('the light node says so in its features', async () => {
    const conn = await g.connect(user);
    expect(await (await conn.deps.node(light)).features!()).toEqual(expect.arrayContaining(['network-light', 'zmachine-light', 'mycelium']));
    expect(await (await conn.deps.node(light)).features!()).not.toContain('zmachine');
    expect(await (await conn.deps.node(full)).features!()).toEqual(expect.arrayContaining(['network', 'zmachine']));
  });

  it('one program, a network and a machine on each node: full types on the full node, light types on the light one', async () => {
    const name = `lt_${uniqueTag()}`;
    const net = await up('Network', { name, nodes: [full, light], mycelium: true });
    expect(net.outs.nodeTypes).toEqual({ [String(full)]: 'network', [String(light)]: 'network-light' });
    const contracts = net.outs.contractIds as Record<string, number>;
    const netFull = stored(full, net.outs.twinId, contracts[String(full)]).workloads[0];
    const netLight = stored(light, net.outs.twinId, contracts[String(light)]).workloads[0];
    expect(netFull).toMatchObject({ type: 'network', result: { state: 'ok' } });
    expect(netLight).toMatchObject({ type: 'network-light', result: { state: 'ok' } });
    expect((netLight.data.mycelium as { hex_key: string }).hex_key).toBe((net.outs.myceliumKeys as Record<string, string>)[String(light)]);
    // the light node reports wireguard, so the two still peer over WireGuard (zosbase since d32dcb7e)
    expect((netLight.data.peers as { subnet: string }[]).map((p) => p.subnet)).toEqual([(net.outs.nodeSubnets as Record<string, string>)[String(full)]]);

    const machine = (node: number, extra: Props = {}) => ({
      node,
      deployment: `d_${name}`,
      name: `vm${node}`,
      flist: FLIST,
      network: { name, ipRange: '10.20.0.0/16', mycelium: true, nodes: [full, light] },
      mycelium: true,
      cpu: 1,
      memory: '256MiB',
      ...extra,
    });
    const onFull = await up('ZMachine', machine(full));
    const onLight = await up('ZMachine', machine(light));
    expect(onFull.outs).toMatchObject({ state: 'ok', workloadType: 'zmachine' });
    expect(onLight.outs).toMatchObject({ state: 'ok', workloadType: 'zmachine-light' });
    expect(String(onLight.outs.myceliumIp)).toMatch(/:ff0f:/);
    expect(String(onLight.outs.privateIp)).toMatch(/^10\.20\.\d+\.\d+$/);
    const wFull = stored(full, onFull.outs.twinId, onFull.outs.contractId).workloads.find((w) => w.name === `vm${full}`)!;
    const wLight = stored(light, onLight.outs.twinId, onLight.outs.contractId).workloads.find((w) => w.name === `vm${light}`)!;
    expect(wFull.type).toBe('zmachine');
    expect(Object.keys(wFull.data.network as object).sort()).toEqual(['interfaces', 'mycelium', 'planetary', 'public_ip']);
    expect(wLight.type).toBe('zmachine-light');
    expect(Object.keys(wLight.data.network as object).sort()).toEqual(['interfaces', 'mycelium']);

    // a second run of the same program changes nothing on either node
    for (const [m, node] of [
      [onFull, full],
      [onLight, light],
    ] as const) {
      const c = await entry.check('ZMachine', {}, machine(node));
      expect(await entry.diff('ZMachine', m.id, m.outs, c.inputs as Props)).toMatchObject({ changes: false });
    }
  });

  it('a light network gets a mycelium key although mycelium is off (ZOS requires one); a light machine refuses planetary', async () => {
    const name = `lk_${uniqueTag()}`;
    const net = await up('Network', { name, nodes: [full, light] });
    expect(Object.keys(net.outs.myceliumKeys as object)).toEqual([String(light)]);
    const nl = stored(light, net.outs.twinId, (net.outs.contractIds as Record<string, number>)[String(light)]).workloads[0];
    expect(nl).toMatchObject({ type: 'network-light', result: { state: 'ok' } });
    const m = await up('ZMachine', { node: light, deployment: `d_${name}`, name: 'plain', flist: FLIST, network: { name, ipRange: '10.20.0.0/16', nodes: [full, light] }, cpu: 1, memory: '256MiB' });
    expect(m.outs).toMatchObject({ state: 'ok', workloadType: 'zmachine-light', myceliumIp: '' });

    const raw = { node: light, deployment: `e_${name}`, name: 'overlay', flist: FLIST, network: { name, ipRange: '10.20.0.0/16', nodes: [full, light] }, planetary: true, cpu: 1, memory: '256MiB' };
    // the preview says it (check asks the node's kind), and create refuses it too (a program run without preview)
    const c = await entry.check('ZMachine', {}, raw);
    expect(c.failures).toEqual([expect.objectContaining({ property: 'planetary', reason: expect.stringMatching(/node \d+ is a light node \(zmachine-light\), which has no planetary/) })]);
    await expect(entry.create('ZMachine', c.inputs as Props)).rejects.toThrow(/node \d+ is a light node \(zmachine-light\), which has no planetary/);
    expect((await g.activeContracts(user)).length).toBeGreaterThan(0);
  });
});
