/**
 * Two stacks of one twin deploying to the same node, network and deployment group at the same moment (issue 16,
 * "Failures"): two provider processes, each with its own connection, coalescing coordinator and IP allocator, and
 * nothing shared but the chain and the node. Stood in for by two provider runtimes in one process: the same twin
 * given once as `0x<seed>` (the stack's config) and once as the bare hex seed (a resource's `account`), which the
 * runtime keys apart. Asked: no private IP collision, no lost update, no version conflict left unresolved.
 */
import * as entry from '../../provider/dynamic-entry';
import { createGridConnection } from '../../provider/grid-connection';
import { setNoticeSink } from '../../provider/notices';
import { up } from './entry-steps';
import { closeProviderProcess, startProviderGrid, uniqueTag, useProviderProcess, type GridUser, type ProviderGrid } from './provider-grid';

jest.setTimeout(180_000);

describe('two stacks of one twin on one node, network and group at once', () => {
  let g: ProviderGrid;
  let user: GridUser;

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 1 });
    user = await g.user();
    await useProviderProcess(g, user, { 'tfgrid:coalesceMs': '50' }, (config) => createGridConnection(config));
  }, 120_000);

  afterAll(() => closeProviderProcess(g));

  it('gives every machine its own private IP (a refused one allocates again) and keeps every workload of both', async () => {
    const node = g.nodeIds[0];
    const tag = uniqueTag();
    // The other "process": the same twin, keyed apart by the runtime (its own allocator and coordinator).
    const otherProcess = { mnemonic: user.seed.replace(/^0x/, ''), network: 'test', keyType: user.keyType };
    const net = await up('Network', { name: `shared_${tag}`, nodes: [node] });
    const machine = (name: string) => ({
      node,
      deployment: `grp_${tag}`,
      name,
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { name: `shared_${tag}`, subnets: net.outs.nodeSubnets },
      cpu: 1,
      memory: '256MiB',
    });
    const names = ['a1', 'a2', 'b1', 'b2'];
    const raw = (name: string) => (name.startsWith('b') ? { ...machine(name), account: otherProcess } : machine(name));
    const notices: string[] = [];
    setNoticeSink((line) => notices.push(line));
    // The node refuses a machine whose IP the other process took a moment earlier; the create allocates again.
    const made = await Promise.all(names.map((n) => up('ZMachine', raw(n)))).finally(() => setNoticeSink(undefined));
    const ips = made.map((c) => c.outs.privateIp);
    expect(new Set(ips).size).toBe(names.length);
    for (const c of made) expect((await entry.read('ZMachine', c.id, c.outs)).props).toMatchObject({ state: 'ok' });
    // Each process made its own deployment of the group (neither knows the other's): every contract is owned.
    const owned = [...new Set([...made.map((c) => Number(c.outs.contractId)), ...Object.values(net.outs.contractIds as Record<string, number>)])];
    expect((await g.activeContracts(user)).sort()).toEqual(owned.sort());
    for (const c of made) await entry.delete('ZMachine', c.id, c.outs);
    await entry.delete('Network', net.id, net.outs);
    expect(await g.activeContracts(user)).toEqual([]);
    const retried = notices.filter((l) => /allocating again/.test(l));
    console.log(`two stacks at once: ${retried.length} of ${names.length} creates allocated again`);
  });
});
