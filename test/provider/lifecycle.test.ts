/**
 * Provider methods called directly (DESIGN.md §5 level 1), through `provider/dynamic-entry` exactly as the shims
 * call them, against the in-memory grid double: a network over 3 nodes, 30 machines with unique IPs in few chain
 * transactions, disks that grow, machines replaced, gateways with name contracts, refresh drift, and destroy
 * leaving no contract behind.
 */
import * as entry from '../../provider/dynamic-entry';
import { resetRuntime, setGridFactory } from '../../provider/runtime';
import { GridDouble } from './grid-double';

type Props = Record<string, unknown>;

let grid: GridDouble;

beforeEach(async () => {
  await resetRuntime();
  grid = new GridDouble([{ id: 1, publicIpv4: '185.1.1.2/24', domain: 'gw1.local' }, { id: 2 }, { id: 3 }]);
  setGridFactory(async () => ({ deps: grid.deps(), close: () => {} }));
  entry.configure((k) => ({ 'tfgrid:coalesceMs': '1', 'tfgrid:mnemonic': 'test words' })[k]);
});

afterAll(async () => {
  await resetRuntime();
  setGridFactory(undefined);
});

async function up(type: string, raw: Props): Promise<{ id: string; outs: Props }> {
  const c = await entry.check(type, {}, raw);
  expect(c.failures ?? []).toEqual([]);
  const r = await entry.create(type, c.inputs as Props);
  return { id: r.id, outs: r.outs as Props };
}

describe('provider lifecycle (methods called directly)', () => {
  it('brings up 30 machines on 3 nodes with unique IPs in a handful of chain transactions', async () => {
    const net = await up('Network', { name: 'net1', nodes: [1, 2, 3] });
    const txAfterNet = grid.counters.transactions;
    expect(txAfterNet).toBe(1); // three network deployments, one batchAll
    const subnets = net.outs.nodeSubnets as Record<string, string>;
    const machines = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        up('ZMachine', {
          node: (i % 3) + 1,
          deployment: 'stack.dev',
          name: `vm${i}`,
          flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
          network: { name: 'net1', subnets },
          cpu: 1,
          memory: '512MiB',
        }),
      ),
    );
    const ips = machines.map((m) => m.outs.privateIp as string);
    expect(new Set(ips).size).toBe(30);
    for (const m of machines) expect((m.outs.privateIp as string).startsWith(subnets[String(m.outs.node)].slice(0, -4))).toBe(true);
    // 30 creates coalesced: one transaction for the three new machine deployments
    expect(grid.counters.transactions - txAfterNet).toBe(1);
    expect(grid.activeContracts()).toHaveLength(6);
    for (const m of machines) expect(m.outs.state).toBe('ok');
  });

  it('grows a disk in place, replaces a machine, refreshes drift, and destroys everything', async () => {
    const net = await up('Network', { name: 'net1', nodes: [1] });
    const disk = await up('ZMount', { node: 1, deployment: 'd', name: 'data', size: '1GiB' });
    const vmIn = {
      node: 1,
      deployment: 'd',
      name: 'vm',
      flist: 'https://hub.grid.tf/x.flist',
      network: { name: 'net1', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '1GiB',
      mounts: [{ name: 'data', node: 1, deployment: 'd', mountpoint: '/data' }],
    };
    const vm = await up('ZMachine', vmIn);
    expect(vm.outs.contractId).toBe(disk.outs.contractId);
    expect(vm.outs.version).toBe(1);

    // ZOS does not grow a disk a machine of the same deployment mounts: refused before any chain transaction
    const grownIn = (await entry.check('ZMount', disk.outs, { ...disk.outs, size: '2GiB' })).inputs as Props;
    expect(await entry.diff('ZMount', disk.id, disk.outs, grownIn)).toMatchObject({ changes: true, replaces: [] });
    const tx = grid.counters.transactions;
    await expect(entry.update('ZMount', disk.id, disk.outs, grownIn)).rejects.toThrow(/cannot grow the disk while ZMachine "vm" mounts it \(ZOS: disk is mounted, please delete the VM first\)/);
    expect(grid.counters.transactions).toBe(tx);

    // shrinking is refused in check, with the fix
    const shrink = await entry.check('ZMount', disk.outs, { ...disk.outs, size: '512MiB' });
    expect(shrink.failures?.[0].reason).toMatch(/cannot shrink/);

    // a machine change is a delete-before-replace; in between, the unmounted disk grows in place
    const vmNewIn = (await entry.check('ZMachine', vm.outs, { ...vmIn, cpu: 2 })).inputs as Props;
    expect(await entry.diff('ZMachine', vm.id, vm.outs, vmNewIn)).toMatchObject({ replaces: ['cpu'], deleteBeforeReplace: true });
    await entry.delete('ZMachine', vm.id, vm.outs);
    const grown = await entry.update('ZMount', disk.id, disk.outs, grownIn);
    expect((grown.outs as Props).version).toBe(3);
    const vm2 = await entry.create('ZMachine', vmNewIn);
    expect((vm2.outs as Props).state).toBe('ok');

    // refresh: ok, then node down (no failure), then contract gone
    expect((await entry.read('ZMachine', vm2.id, vm2.outs as Props)).props).toMatchObject({ state: 'ok' });
    grid.nodes.get(1)!.down = true;
    const down = await entry.read('ZMachine', vm2.id, vm2.outs as Props);
    expect(down.id).toBe(vm2.id);
    expect(down.props).toMatchObject({ state: 'unreachable' });
    grid.nodes.get(1)!.down = false;

    // destroy in reverse order: no contract left
    await entry.delete('ZMachine', vm2.id, vm2.outs as Props);
    await entry.delete('ZMount', disk.id, grown.outs as Props);
    await entry.delete('Network', net.id, net.outs);
    expect(grid.activeContracts()).toHaveLength(0);
    const gone = await entry.read('ZMount', disk.id, grown.outs as Props);
    expect(gone.id).toBe('');
  });

  it('reserves the gateway name in the same transaction and releases it on delete', async () => {
    const gw = await up('NameProxy', { node: 1, deployment: 'gw', name: 'web', subdomain: 'myapp', backends: ['http://10.20.2.2:8080'] });
    expect(gw.outs.fqdn).toBe('myapp.gw1.local');
    expect(grid.counters.transactions).toBe(1);
    expect(grid.names.get('myapp')).toBe(gw.outs.nameContractId);
    await entry.delete('NameProxy', gw.id, gw.outs);
    expect(grid.names.has('myapp')).toBe(false);
    expect(grid.activeContracts()).toHaveLength(0);
  });

  it('rolls back a workload the node put in error, leaving no contract', async () => {
    const c = await entry.check('ZMount', {}, { node: 2, deployment: 'd', name: 'bad', size: '1GiB' });
    const inputs = c.inputs as Props;
    grid.faults.set('deploy', 'failed to get public key for twin 7');
    await expect(entry.create('ZMount', inputs)).rejects.toThrow(/deploy failed \(failed to get public key for twin 7\); contract cancelled/);
    expect(grid.activeContracts()).toHaveLength(0);
  });

  it('records a partially created resource when the rollback fails too', async () => {
    const c = await entry.check('ZMount', {}, { node: 2, deployment: 'd', name: 'bad', size: '1GiB' });
    grid.faults.set('deploy', 'relay timeout');
    grid.faults.set('cancel', 'chain unreachable');
    const err = (await entry.create('ZMount', c.inputs as Props).catch((e: unknown) => e)) as { id?: string; properties?: Props; reasons?: string[] };
    expect(err.id).toBe('2/d/bad');
    expect(err.properties?.contractId).toBeGreaterThan(0);
    expect(err.reasons?.[0]).toMatch(/relay timeout/);
  });

  it('adds a node to a network in one chain transaction, keeping keys and ports of the others', async () => {
    const net = await up('Network', { name: 'grow', nodes: [1, 2] });
    const tx = grid.counters.transactions;
    const next = (await entry.check('Network', net.outs, { ...net.outs, nodes: [1, 2, 3] })).inputs as Props;
    expect(await entry.diff('Network', net.id, net.outs, next)).toMatchObject({ changes: true, replaces: [] });
    const grown = (await entry.update('Network', net.id, net.outs, next)).outs as Props;
    expect(grid.counters.transactions - tx).toBe(1); // create on node 3 + peer updates on 1 and 2, batched
    for (const k of ['1', '2']) {
      expect((grown.wgPorts as Record<string, number>)[k]).toBe((net.outs.wgPorts as Record<string, number>)[k]);
      expect((grown.wgPrivateKeys as Record<string, string>)[k]).toBe((net.outs.wgPrivateKeys as Record<string, string>)[k]);
    }
    const node1 = await grid.nodeApi(1).get((grown.contractIds as Record<string, number>)['1']);
    expect(node1.version).toBe(1);
    expect((node1.workloads[0].data.peers as unknown[]).length).toBe(2);
    // removing it again removes its deployment
    const shrunk = (await entry.update('Network', net.id, grown, (await entry.check('Network', grown, { ...grown, nodes: [1, 2] })).inputs as Props)).outs as Props;
    expect(Object.keys(shrunk.contractIds as object)).toEqual(['1', '2']);
    expect(grid.contracts.get((grown.contractIds as Record<string, number>)['3'])?.state).toBe('deleted');
  });

  it('keeps generated secrets stable across updates', async () => {
    const db = await up('Zdb', { node: 1, deployment: 'd', name: 'db', size: '1GiB' });
    const pw = db.outs.generatedPassword;
    expect(typeof pw).toBe('string');
    const next = (await entry.check('Zdb', db.outs, { ...db.outs, size: '2GiB' })).inputs as Props;
    const upd = await entry.update('Zdb', db.id, db.outs, next);
    expect((upd.outs as Props).generatedPassword).toBe(pw);
  });

  it('gives machines of two stacks (two plugin processes) different IPs on one network', async () => {
    const net = await up('Network', { name: 'shared', nodes: [2] });
    const vmIn = (name: string, deployment: string) => ({
      node: 2,
      deployment,
      name,
      flist: 'https://hub.grid.tf/x.flist',
      network: { name: 'shared', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '256MiB',
    });
    const a = await up('ZMachine', vmIn('a', 'stackA'));
    await resetRuntime(); // a second process: no in-memory reservations, only what the node reports
    setGridFactory(async () => ({ deps: grid.deps(), close: () => {} }));
    entry.configure((k) => ({ 'tfgrid:coalesceMs': '1' })[k]);
    const b = await up('ZMachine', vmIn('b', 'stackB'));
    expect(a.outs.privateIp).not.toBe(b.outs.privateIp);
    expect(a.outs.contractId).not.toBe(b.outs.contractId);
  });

  it('adopts an existing deployment by contract id instead of creating one', async () => {
    const disk = await up('ZMount', { node: 3, deployment: 'old', name: 'legacy', size: '1GiB' });
    const tx = grid.counters.transactions;
    await resetRuntime();
    setGridFactory(async () => ({ deps: grid.deps(), close: () => {} }));
    entry.configure((k) => ({ 'tfgrid:coalesceMs': '1' })[k]);
    const adopted = await up('ZMount', { node: 3, deployment: 'old', name: 'legacy', size: '1GiB', adoptContractId: disk.outs.contractId });
    expect(adopted.outs.contractId).toBe(disk.outs.contractId);
    expect(adopted.outs.state).toBe('ok');
    expect(grid.counters.transactions).toBe(tx); // nothing changed on chain
    expect(grid.activeContracts()).toHaveLength(1);
  });

  it('says in check (preview) that a public IP cannot join an existing contract, with the fix', async () => {
    await up('ZMount', { node: 1, deployment: 'web', name: 'data', size: '1GiB' });
    const late = await entry.check('PublicIp', {}, { node: 1, deployment: 'web', name: 'ip' });
    expect(late.failures).toEqual([
      { property: 'deployment', reason: expect.stringMatching(/TFChain cannot add public IPs to an existing contract\. Fix: set `deployment` to a new group/) },
    ]);
    expect((await entry.check('PublicIp', {}, { node: 1, deployment: 'web2', name: 'ip' })).failures).toEqual([]);
  });

  it('picks a node by capacity and public IPs', async () => {
    const p = await up('NodePicker', { memory: '1GiB', publicIpv4: 1, domain: true });
    expect(p.outs.nodeId).toBe(1);
    await expect(up('NodePicker', { cpu: 64 })).rejects.toThrow(/no node matches the filter/);
  });
});
