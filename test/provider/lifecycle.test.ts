/**
 * Provider methods called directly (DESIGN.md §5 level 1), through `provider/dynamic-entry` exactly as the shims
 * call them, on the real grid pieces (provider-grid.ts: local chain, our relay, 3 sim node runtimes): disks that
 * grow, machines replaced, gateways with name contracts, refresh drift, networks that grow, secrets kept, two
 * processes sharing a network, adoption, preview-time rules, the node picker, and rollback when a deploy fails.
 * Failures the grid cannot produce on demand (a lost deploy, an unreachable chain, a node down) wrap the real
 * connection (grid-faults.ts). One grid and one user for the file; names are unique per test.
 */
import { RmbError, ChainError } from '../../protocol/common/errors';
import * as entry from '../../provider/dynamic-entry';
import { resetRuntime, setGridFactory } from '../../provider/runtime';
import { up, type Props } from './entry-steps';
import type { InstrumentedConnection } from './grid-faults';
import { startProviderGrid, uniqueTag, type GridUser, type ProviderGrid } from './provider-grid';

describe('provider lifecycle (methods called directly) on the local chain, relay and nodes', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let conn: InstrumentedConnection;
  let n1: number, n2: number, n3: number;

  /** A fresh provider process: new runtime, new connection (no in-memory reservations or caches). */
  async function newProcess(): Promise<void> {
    await resetRuntime();
    setGridFactory(async () => (conn = await g.connect(user)));
    const cfg = g.providerConfig(user, { 'tfgrid:coalesceMs': '50' });
    entry.configure((k) => cfg[k]);
  }

  beforeAll(async () => {
    g = await startProviderGrid();
    [n1, n2, n3] = g.nodeIds;
    user = await g.user();
    await newProcess();
  }, 120_000);

  afterAll(async () => {
    await resetRuntime();
    setGridFactory(undefined);
    await g?.close();
  });

  const tx = () => g.transactions(user);

  it('grows a disk in place, replaces a machine, refreshes drift, and destroys everything', async () => {
    const net = await up('Network', { name: 'net1', nodes: [n1] });
    const disk = await up('ZMount', { node: n1, deployment: 'd', name: 'data', size: '1GiB' });
    const vmIn = {
      node: n1,
      deployment: 'd',
      name: 'vm',
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'net1', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '1GiB',
      mounts: [{ name: 'data', node: n1, deployment: 'd', mountpoint: '/data' }],
    };
    const vm = await up('ZMachine', vmIn);
    expect(vm.outs).toMatchObject({ contractId: disk.outs.contractId, version: 1, state: 'ok' });

    // ZOS does not grow a disk a machine of the same deployment mounts: refused before any chain transaction
    const grownIn = (await entry.check('ZMount', disk.outs, { ...disk.outs, size: '2GiB' })).inputs as Props;
    expect(await entry.diff('ZMount', disk.id, disk.outs, grownIn)).toMatchObject({ changes: true, replaces: [] });
    const before = await tx();
    await expect(entry.update('ZMount', disk.id, disk.outs, grownIn)).rejects.toThrow(/cannot grow the disk while ZMachine "vm" mounts it \(ZOS: disk is mounted, please delete the VM first\)/);
    expect(await tx()).toBe(before);

    // shrinking is refused in check, with the fix
    const shrink = await entry.check('ZMount', disk.outs, { ...disk.outs, size: '512MiB' });
    expect(shrink.failures?.[0].reason).toMatch(/cannot shrink/);

    // a machine change is a delete-before-replace; in between, the unmounted disk grows in place
    const vmNewIn = (await entry.check('ZMachine', vm.outs, { ...vmIn, cpu: 2 })).inputs as Props;
    expect(await entry.diff('ZMachine', vm.id, vm.outs, vmNewIn)).toMatchObject({ replaces: ['cpu'], deleteBeforeReplace: true });
    await entry.delete('ZMachine', vm.id, vm.outs);
    const grown = await entry.update('ZMount', disk.id, disk.outs, grownIn);
    expect(grown.outs).toMatchObject({ version: 3, state: 'ok' });
    const vm2 = await entry.create('ZMachine', vmNewIn);
    expect((vm2.outs as Props).state).toBe('ok');

    // refresh: ok, then node down (no failure), then contract gone
    expect((await entry.read('ZMachine', vm2.id, vm2.outs as Props)).props).toMatchObject({ state: 'ok' });
    conn.setDown(n1, true);
    const down = await entry.read('ZMachine', vm2.id, vm2.outs as Props);
    conn.setDown(n1, false);
    expect(down.id).toBe(vm2.id);
    expect(down.props).toMatchObject({ state: 'unreachable' });

    // destroy in reverse order: no contract left
    await entry.delete('ZMachine', vm2.id, vm2.outs as Props);
    await entry.delete('ZMount', disk.id, grown.outs as Props);
    await entry.delete('Network', net.id, net.outs);
    expect(await g.activeContracts(user)).toEqual([]);
    expect((await entry.read('ZMount', disk.id, grown.outs as Props)).id).toBe('');
  });

  it('reserves the gateway name in the same transaction and releases it on delete', async () => {
    const sub = `myapp${uniqueTag()}`;
    const before = await tx();
    const gw = await up('NameProxy', { node: n1, deployment: 'gw', name: 'web', subdomain: sub, backends: ['http://198.51.100.2:8080'] });
    expect(gw.outs.fqdn).toBe(`${sub}.${g.domain}`);
    expect((await tx()) - before).toBe(1);
    expect(await g.chain.getContractIdByName(sub)).toBe(gw.outs.nameContractId);
    await entry.delete('NameProxy', gw.id, gw.outs);
    expect(await g.chain.getContractIdByName(sub)).toBeUndefined();
    expect(await g.activeContracts(user)).toEqual([]);
  });

  it('rolls back a deploy the relay never delivered, leaving no contract', async () => {
    const c = await entry.check('ZMount', {}, { node: n2, deployment: 'lost', name: 'bad', size: '1GiB' });
    conn.failNext('deploy', new RmbError('no reply from twin within 20s (relay timeout)'));
    await expect(entry.create('ZMount', c.inputs as Props)).rejects.toThrow(/deploy failed \(no reply from twin within 20s \(relay timeout\)\); contract cancelled/);
    expect(await g.activeContracts(user)).toEqual([]);
  });

  it('records a partially created resource when the rollback fails too, and destroy cleans it', async () => {
    const c = await entry.check('ZMount', {}, { node: n2, deployment: 'half', name: 'bad', size: '1GiB' });
    conn.failNext('deploy', new RmbError('relay timeout'));
    conn.failNext('cancel', new ChainError('chain unreachable'));
    const err = (await entry.create('ZMount', c.inputs as Props).catch((e: unknown) => e)) as { id?: string; properties?: Props; reasons?: string[] };
    expect(err.id).toBe(`${n2}/half/bad`);
    expect(err.properties?.contractId).toBeGreaterThan(0);
    expect(err.reasons?.[0]).toMatch(/relay timeout/);
    expect(await g.activeContracts(user)).toEqual([err.properties?.contractId]);
    await entry.delete('ZMount', err.id!, err.properties!);
    expect(await g.activeContracts(user)).toEqual([]);
  });

  it('adds a node to a network in one chain transaction, keeping keys and ports of the others', async () => {
    const net = await up('Network', { name: 'grow', nodes: [n1, n2] });
    const before = await tx();
    const next = (await entry.check('Network', net.outs, { name: 'grow', nodes: [n1, n2, n3] })).inputs as Props; // the program's inputs, as the engine sends them
    expect(await entry.diff('Network', net.id, net.outs, next)).toMatchObject({ changes: true, replaces: [] });
    const grown = (await entry.update('Network', net.id, net.outs, next)).outs as Props;
    expect((await tx()) - before).toBe(1); // create on node 3 + peer updates on 1 and 2, batched
    for (const k of [String(n1), String(n2)]) {
      expect((grown.wgPorts as Record<string, number>)[k]).toBe((net.outs.wgPorts as Record<string, number>)[k]);
      expect((grown.wgPrivateKeys as Record<string, string>)[k]).toBe((net.outs.wgPrivateKeys as Record<string, string>)[k]);
    }
    const onNode1 = await (await conn.deps.node(n1)).get((grown.contractIds as Record<string, number>)[String(n1)]);
    expect(onNode1.version).toBe(1);
    expect((onNode1.workloads[0].data.peers as unknown[]).length).toBe(2);
    // removing it again removes its deployment
    const shrunk = (await entry.update('Network', net.id, grown, (await entry.check('Network', grown, { name: 'grow', nodes: [n1, n2] })).inputs as Props)).outs as Props;
    expect(Object.keys(shrunk.contractIds as object).sort()).toEqual([String(n1), String(n2)].sort());
    expect((await g.chain.getContract((grown.contractIds as Record<string, number>)[String(n3)]))?.state ?? 'deleted').toBe('deleted');
    await entry.delete('Network', net.id, shrunk);
  });

  it('keeps generated secrets stable across updates', async () => {
    const db = await up('Zdb', { node: n3, deployment: 'd', name: 'db', size: '1GiB' });
    const pw = db.outs.generatedPassword;
    expect(typeof pw).toBe('string');
    const next = (await entry.check('Zdb', db.outs, { ...db.outs, size: '2GiB' })).inputs as Props;
    const upd = await entry.update('Zdb', db.id, db.outs, next);
    expect(upd.outs as Props).toMatchObject({ generatedPassword: pw, version: 1, state: 'ok' });
    await entry.delete('Zdb', db.id, upd.outs as Props);
  });

  it('gives machines of two stacks (two provider processes) different IPs on one network', async () => {
    const net = await up('Network', { name: 'shared', nodes: [n2] });
    const vmIn = (name: string, deployment: string) => ({
      node: n2,
      deployment,
      name,
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'shared', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '256MiB',
    });
    const a = await up('ZMachine', vmIn('a', 'stackA'));
    await newProcess(); // a second process: no in-memory reservations, only what the node reports
    const b = await up('ZMachine', vmIn('b', 'stackB'));
    expect(a.outs.privateIp).not.toBe(b.outs.privateIp);
    expect(a.outs.contractId).not.toBe(b.outs.contractId);
  });

  it('adopts an existing deployment by contract id instead of creating one', async () => {
    const disk = await up('ZMount', { node: n3, deployment: 'old', name: 'legacy', size: '1GiB' });
    await newProcess();
    const before = await tx();
    const adopted = await up('ZMount', { node: n3, deployment: 'old', name: 'legacy', size: '1GiB', adoptContractId: disk.outs.contractId });
    expect(adopted.outs).toMatchObject({ contractId: disk.outs.contractId, state: 'ok' });
    expect(await tx()).toBe(before); // nothing changed on chain
  });

  it('says in check (preview) that a public IP cannot join an existing contract, with the fix', async () => {
    await up('ZMount', { node: n1, deployment: 'web', name: 'data', size: '1GiB' });
    const late = await entry.check('PublicIp', {}, { node: n1, deployment: 'web', name: 'ip' });
    expect(late.failures).toEqual([{ property: 'deployment', reason: expect.stringMatching(/TFChain cannot add public IPs to an existing contract\. Fix: set `deployment` to a new group/) }]);
    expect((await entry.check('PublicIp', {}, { node: n1, deployment: 'web2', name: 'ip' })).failures).toEqual([]);
  });

  it('picks a node of the farm by capacity, public IPs and domain', async () => {
    const farmId = g.testGrid.farmId;
    const p = await up('NodePicker', { memory: '1GiB', publicIpv4: 1, domain: true, farmId });
    expect(p.outs.nodeId).toBe(n1);
    await expect(up('NodePicker', { cpu: 64, farmId })).rejects.toThrow(/no node matches the filter/);
  });
});
