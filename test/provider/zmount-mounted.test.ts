/**
 * A ZMount and the machines that mount it, through `provider/dynamic-entry` on the local chain, relay and sim nodes
 * (issue 18.8, 18.9):
 * - growing a disk that a running machine of its deployment mounts is refused by ZOS (`unchanged`, "disk is mounted,
 *   please delete the VM first", zosbase primitives/zmount): `check` says so at preview, from the live deployment;
 *   a disk no running machine mounts grows, in preview and up;
 * - one disk mounted by three machines is accepted, as ZOS does (primitives/vm attaches it to each machine), and
 *   stays usable by the others while one of them is replaced.
 */
import * as entry from '../../provider/dynamic-entry';
import { up, type Props } from './entry-steps';
import { startProviderGrid, type GridUser, type ProviderGrid, useProviderProcess, closeProviderProcess } from './provider-grid';

describe('a ZMount mounted by machines', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let n1: number;

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 1 });
    [n1] = g.nodeIds;
    user = await g.user();
    await useProviderProcess(g, user, { 'tfgrid:coalesceMs': '50' });
  }, 120_000);

  afterAll(async () => {
    await closeProviderProcess(g);
  });

  /** Pulumi's `check` of a change: the old checked inputs, the new raw ones. */
  async function checkChange(type: string, oldInputs: Props, news: Props) {
    return entry.check(type, oldInputs, news);
  }

  async function created(type: string, raw: Props): Promise<{ id: string; inputs: Props; outs: Props }> {
    const c = await entry.check(type, {}, raw);
    expect(c.failures ?? []).toEqual([]);
    const r = await entry.create(type, c.inputs as Props);
    return { id: r.id, inputs: c.inputs as Props, outs: r.outs as Props };
  }

  it('says at preview that a mounted disk cannot grow, and grows it once no machine mounts it', async () => {
    const net = await up('Network', { name: 'growNet', nodes: [n1] });
    const disk = await created('ZMount', { node: n1, deployment: 'grow', name: 'data', size: '1GiB' });
    const spare = await created('ZMount', { node: n1, deployment: 'grow', name: 'spare', size: '1GiB' });
    const vm = await created('ZMachine', {
      node: n1,
      deployment: 'grow',
      name: 'vm',
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'growNet', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '256MiB',
      mounts: [{ name: 'data', node: n1, deployment: 'grow', mountpoint: '/data' }],
    });
    expect(vm.outs.state).toBe('ok');

    const grown = { ...disk.inputs, size: '2GiB' };
    const refused = await checkChange('ZMount', disk.inputs, grown);
    expect(refused.failures).toEqual([
      {
        property: 'size',
        reason: expect.stringMatching(
          /^ZMount "data": cannot grow from 1GiB to 2GiB while ZMachine "vm" of deployment \d+ on node \d+ mounts it \(ZOS: disk is mounted, please delete the VM first\)\. Fix: /,
        ),
      },
    ]);

    // a disk no machine mounts grows (preview and up)
    const spareGrown = await checkChange('ZMount', spare.inputs, { ...spare.inputs, size: '2GiB' });
    expect(spareGrown.failures ?? []).toEqual([]);
    expect((await entry.update('ZMount', spare.id, spare.outs, spareGrown.inputs as Props)).outs).toMatchObject({ state: 'ok' });

    // once the machine is gone, the disk grows too
    await entry.delete('ZMachine', vm.id, vm.outs);
    const allowed = await checkChange('ZMount', disk.inputs, grown);
    expect(allowed.failures ?? []).toEqual([]);
    const after = (await entry.update('ZMount', disk.id, disk.outs, allowed.inputs as Props)).outs as Props;
    expect(after).toMatchObject({ state: 'ok' });

    await entry.delete('ZMount', spare.id, spare.outs);
    await entry.delete('ZMount', disk.id, after);
    await entry.delete('Network', net.id, net.outs);
    expect(await g.activeContracts(user)).toEqual([]);
  }, 240_000);

  it('lets three machines mount one disk, as ZOS does, and keeps it for the others while one is replaced', async () => {
    const net = await up('Network', { name: 'shareNet', nodes: [n1] });
    const disk = await created('ZMount', { node: n1, deployment: 'share', name: 'data', size: '1GiB' });
    const machineIn = (name: string, memory: string): Props => ({
      node: n1,
      deployment: 'share',
      name,
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'shareNet', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory,
      mounts: [{ name: 'data', node: n1, deployment: 'share', mountpoint: '/data' }],
    });
    const vms = await Promise.all(['a', 'b', 'c'].map((n) => created('ZMachine', machineIn(n, '256MiB'))));
    for (const vm of vms) expect(vm.outs).toMatchObject({ state: 'ok', contractId: disk.outs.contractId });

    // growing it is refused at preview, naming every machine that mounts it
    const refused = await checkChange('ZMount', disk.inputs, { ...disk.inputs, size: '2GiB' });
    expect(refused.failures?.[0].reason).toMatch(/while ZMachine "a", ZMachine "b", ZMachine "c" of deployment/);

    // replace one machine: the others keep running on the disk, the new one mounts it again
    const c = await entry.check('ZMachine', vms[0].inputs, machineIn('a', '512MiB'));
    await entry.delete('ZMachine', vms[0].id, vms[0].outs);
    const a2 = await entry.create('ZMachine', c.inputs as Props);
    expect(a2.outs).toMatchObject({ state: 'ok' });
    for (const vm of vms.slice(1)) expect((await entry.read('ZMachine', vm.id, vm.outs)).props).toMatchObject({ state: 'ok' });

    for (const vm of [{ id: a2.id, outs: a2.outs as Props }, ...vms.slice(1)]) await entry.delete('ZMachine', vm.id, vm.outs);
    await entry.delete('ZMount', disk.id, disk.outs);
    await entry.delete('Network', net.id, net.outs);
    expect(await g.activeContracts(user)).toEqual([]);
  }, 240_000);
});
