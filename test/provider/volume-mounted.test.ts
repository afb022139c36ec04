/**
 * A Volume and a machine that mounts it, through `provider/dynamic-entry` on the local chain, relay and sim nodes
 * (issue 15): the node provisions the `volume` workload and the machine's wire data names it in `mounts`; it grows
 * in place and a shrink is refused at check (ZOS: below the provisioned space is an error).
 */
import * as entry from '../../provider/dynamic-entry';
import type { Props } from './entry-steps';
import { up } from './entry-steps';
import { startProviderGrid, type GridUser, type ProviderGrid, useProviderProcess, closeProviderProcess } from './provider-grid';

describe('a Volume mounted by a machine', () => {
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

  /** The deployment as the node stores it. */
  async function onNode(contractId: unknown) {
    const conn = await g.connect(user);
    try {
      return await (await conn.deps.node(n1)).get(Number(contractId));
    } finally {
      await conn.close();
    }
  }

  it('is provisioned, mounted by the machine, refuses to shrink and grows in place', async () => {
    const net = await up('Network', { name: 'volNet', nodes: [n1] });
    const vol = await up('Volume', { node: n1, deployment: 'vol', name: 'data', size: '1GiB' });
    expect(vol.outs).toMatchObject({ state: 'ok', volumeId: expect.stringMatching(/.+/) });
    const vm = await up('ZMachine', {
      node: n1,
      deployment: 'vol',
      name: 'vm',
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: 'volNet', subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '256MiB',
      mounts: [{ name: 'data', node: n1, deployment: 'vol', mountpoint: '/data' }],
    });
    expect(vm.outs).toMatchObject({ state: 'ok', contractId: vol.outs.contractId });

    const d = await onNode(vol.outs.contractId);
    const volume = d.workloads.find((w) => w.name === 'data');
    expect(volume).toMatchObject({ type: 'volume', data: { size: 2 ** 30 }, result: { state: 'ok', data: { id: vol.outs.volumeId } } });
    const machine = d.workloads.find((w) => w.name === 'vm');
    expect(machine?.result?.state).toBe('ok');
    expect(machine?.type === 'zmachine' && machine.data.mounts).toEqual([{ name: 'data', mountpoint: '/data' }]);

    // a smaller quota is refused at check, before the node would mark the workload error
    const volIn = (await entry.check('Volume', {}, { node: n1, deployment: 'vol', name: 'data', size: '1GiB' })).inputs as Props;
    const bigger = { ...volIn, size: '2GiB' };
    const shrunk = await entry.check('Volume', bigger, volIn);
    expect(shrunk.failures).toEqual([{ property: 'size', reason: expect.stringMatching(/^Volume "data": size cannot shrink from 2GiB to 1GiB \(ZOS: cannot shrink volume/) }]);

    // grows in place (the node's storage backends grow an unmounted image only: the machine goes first)
    await entry.delete('ZMachine', vm.id, vm.outs);
    const grown = await entry.check('Volume', volIn, bigger);
    expect(grown.failures ?? []).toEqual([]);
    const after = (await entry.update('Volume', vol.id, vol.outs, grown.inputs as Props)).outs as Props;
    expect(after).toMatchObject({ state: 'ok', volumeId: vol.outs.volumeId });
    const grownOnNode = (await onNode(vol.outs.contractId)).workloads.find((w) => w.name === 'data');
    expect(grownOnNode).toMatchObject({ data: { size: 2 ** 31 }, result: { state: 'ok' } });

    await entry.delete('Volume', vol.id, after);
    await entry.delete('Network', net.id, net.outs);
    expect(await g.activeContracts(user)).toEqual([]);
  }, 240_000);
});
