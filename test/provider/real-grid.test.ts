/**
 * The provider against the real pieces (DESIGN.md §5 level 1 on a real grid): the shared local TFChain
 * (chopsticks), our RMB relay, and three node runtimes (sim backend: node state only, the ZOS API, versioning, hash and
 * contract checks are real), through `provider/grid-connection.ts` (provider-grid.ts). 30 machines on 3 nodes in
 * one transaction; a machine with a public IP in one up (the IP reserved on the contract at creation, the sim node
 * records it); a network across a public and a hidden node, disk + machine, growth in place, a gateway with its name
 * contract, refresh, and destroy leaving no active contract on the chain.
 */
import * as entry from '../../provider/dynamic-entry';
import { resetRuntime, setGridFactory } from '../../provider/runtime';
import { up, type Props } from './entry-steps';
import type { InstrumentedConnection } from './grid-faults';
import { startProviderGrid, type GridUser, type ProviderGrid } from './provider-grid';

describe('provider on the local chain, relay and node runtimes', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let conn: InstrumentedConnection;
  let twinId = 0;

  beforeAll(async () => {
    g = await startProviderGrid();
    user = await g.user();
    await resetRuntime();
    setGridFactory(async () => (conn = await g.connect(user)));
    const cfg = g.providerConfig(user, { 'tfgrid:coalesceMs': '50' });
    entry.configure((k) => cfg[k]);
  }, 120_000);

  afterAll(async () => {
    await resetRuntime();
    setGridFactory(undefined);
    await g?.close();
  });

  it('brings up 30 machines on 3 nodes with unique IPs in one chain transaction for the machines', async () => {
    const ids = g.nodeIds;
    const net = await up('Network', { name: 'many', nodes: ids });
    const before = conn.counters.transactions;
    const group = 'many';
    const machines = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        up('ZMachine', {
          node: ids[i % 3],
          deployment: group,
          name: `m${i}`,
          flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
          network: { name: 'many', subnets: net.outs.nodeSubnets },
          cpu: 1,
          memory: '256MiB',
        }),
      ),
    );
    expect(conn.counters.transactions - before).toBe(1);
    expect(new Set(machines.map((m) => m.outs.privateIp)).size).toBe(30);
    expect(machines.every((m) => m.outs.state === 'ok')).toBe(true);
    const contracts = [...new Set(machines.map((m) => Number(m.outs.contractId)))];
    expect(contracts).toHaveLength(3);
    await Promise.all(machines.map((m) => entry.delete('ZMachine', m.id, m.outs)));
    await entry.delete('Network', net.id, net.outs);
    expect(await activeContracts([...contracts, ...Object.values(net.outs.contractIds as Record<string, number>)])).toEqual([]);
  }, 300_000);

  async function activeContracts(ids: number[]): Promise<number[]> {
    const active = new Set(await g.activeContracts(user));
    return ids.filter((id) => active.has(id));
  }

  it('deploys a machine with a public IP in one up on the public node; a hidden node refuses it with the ZOS text', async () => {
    const [n1, n2] = g.nodeIds;
    const net = await up('Network', { name: 'pubnet', nodes: [n1, n2] });
    const machine = (node: number, deployment: string) => ({
      node,
      deployment,
      name: 'web',
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'pubnet', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '256MiB',
      publicIp: { name: 'pub', node, deployment },
    });
    // one up: the IP first (its contract reserves a farm IP at creation), then the machine that uses it
    const before = conn.counters.transactions;
    const ip = await up('PublicIp', { node: n1, deployment: 'pub', name: 'pub' });
    const vm = await up('ZMachine', machine(n1, 'pub'));
    expect(conn.counters.transactions - before).toBe(2);
    expect(vm.outs).toMatchObject({ state: 'ok', contractId: ip.outs.contractId, version: 1 });
    expect(g.testGrid.farmIps.map((f) => f.ip)).toContain(String(ip.outs.ip));
    const contract = await g.chain.getContract(Number(ip.outs.contractId));
    expect(contract).toMatchObject({ type: 'node', nodeId: n1, publicIps: 1 });
    const onNode = await (await conn.deps.node(n1)).get(Number(ip.outs.contractId));
    expect(onNode.workloads.find((w) => w.name === 'web')?.data.network).toMatchObject({ public_ip: 'pub' });

    // a node without a public config: the node's own rule, its text verbatim
    const hiddenIp = await up('PublicIp', { node: n2, deployment: 'pub', name: 'pub' });
    const c = await entry.check('ZMachine', {}, machine(n2, 'pub'));
    await expect(entry.create('ZMachine', c.inputs as Props)).rejects.toThrow(/public ipv4 is requested, but not supported on this node/);

    await entry.delete('PublicIp', hiddenIp.id, hiddenIp.outs);
    await entry.delete('ZMachine', vm.id, vm.outs);
    await entry.delete('PublicIp', ip.id, ip.outs);
    await entry.delete('Network', net.id, net.outs);
    expect(await activeContracts([Number(ip.outs.contractId), Number(hiddenIp.outs.contractId)])).toEqual([]);
    expect((await g.chain.getFreePublicIps(g.testGrid.farmId)).length).toBe(g.testGrid.farmIps.length);
  }, 120_000);

  it('deploys, updates, refreshes and destroys real deployments', async () => {
    const [n1, n2] = g.nodeIds;
    const net = await up('Network', { name: 'net1', nodes: [n1, n2], addWgAccess: true });
    expect(net.outs.endpoints).toMatchObject({ [String(n1)]: g.publicIpv4, [String(n2)]: '' });
    expect(String(net.outs.accessConfig)).toContain(`Endpoint = ${g.publicIpv4}:`);
    const netContracts = Object.values(net.outs.contractIds as Record<string, number>);
    expect(await activeContracts(netContracts)).toHaveLength(2);
    twinId = Number(net.outs.twinId);

    const group = 'g';
    const [ip, disk] = await Promise.all([up('PublicIp', { node: n1, deployment: group, name: 'ip1' }), up('ZMount', { node: n1, deployment: group, name: 'data', size: '1GiB' })]);
    expect(ip.outs.contractId).toBe(disk.outs.contractId);
    expect(g.testGrid.farmIps.map((f) => f.ip)).toContain(String(ip.outs.ip));
    const vm = await up('ZMachine', {
      node: n1,
      deployment: group,
      name: 'vm1',
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'net1', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '512MiB',
      mounts: [{ name: 'data', node: n1, deployment: group, mountpoint: '/data' }],
    });
    expect(vm.outs.state).toBe('ok');
    expect(String(vm.outs.privateIp)).toMatch(/^10\.20\.2\.\d+$/);
    expect(vm.outs.contractId).toBe(disk.outs.contractId);
    const contract = Number(vm.outs.contractId);
    const onChain = await g.chain.getContract(contract);
    expect(onChain).toMatchObject({ type: 'node', nodeId: n1, twinId, publicIps: 1 });

    // a zdb in its own group on the hidden node, grown in place
    const db = await up('Zdb', { node: n2, deployment: group, name: 'db1', size: '1GiB' });
    expect(db.outs.namespace).toBe(`${twinId}-${db.outs.contractId}-db1`);
    const grownIn = (await entry.check('Zdb', db.outs, { ...db.outs, size: '2GiB' })).inputs as Props;
    const grown = (await entry.update('Zdb', db.id, db.outs, grownIn)).outs as Props;
    expect(grown).toMatchObject({ state: 'ok', version: 1 });

    // gateway: the name contract goes in the same transaction and is released on delete
    const sub = `app${g.testGrid.tag}`;
    const gw = await up('NameProxy', { node: n1, deployment: 'gw', name: 'gw1', subdomain: sub, backends: [`http://${String(vm.outs.privateIp)}:8080`], network: 'net1' });
    expect(gw.outs.fqdn).toBe(`${sub}.${g.domain}`);
    expect(await g.chain.getContractIdByName(sub)).toBe(gw.outs.nameContractId);

    // refresh: ok; a machine gone behind our back reads as gone
    expect((await entry.read('ZMachine', vm.id, vm.outs)).props).toMatchObject({ state: 'ok' });

    // destroy, newest first
    await entry.delete('NameProxy', gw.id, gw.outs);
    await entry.delete('Zdb', db.id, grown);
    await entry.delete('ZMachine', vm.id, vm.outs);
    await entry.delete('ZMount', disk.id, disk.outs);
    await entry.delete('PublicIp', ip.id, ip.outs);
    await entry.delete('Network', net.id, net.outs);
    const all = [...netContracts, contract, Number(db.outs.contractId), Number(gw.outs.contractId), Number(gw.outs.nameContractId)];
    expect(await activeContracts(all)).toEqual([]);
    expect((await entry.read('ZMount', disk.id, disk.outs)).id).toBe('');
  }, 300_000);
});
