/**
 * Replacing every machine of one deployment group (issue 18.1), through `provider/dynamic-entry` as the Pulumi engine
 * drives it: each ZMachine change is a delete-before-replace, and the engine runs the chains of independent resources
 * in parallel (delete the old machine, then create the new one), so the deletes of all machines meet in one version
 * and the creates in the next. ZOS only drops a removed workload from the deployment when its job has run
 * (zos-protocol.md §3.4): a create sent before that is an update of the old machine, which ZOS refuses for the whole
 * version (`workload 'zmachine' does not support upgrade`). 1, 3 and 10 machines, with and without a disk all of them
 * mount, several rounds each, on the local chain, relay and sim nodes (provider-grid.ts).
 */
import { createCoordinator, type WorkloadOp } from '../../provider/deployment-coordinator';
import * as entry from '../../provider/dynamic-entry';
import { up, type Props } from './entry-steps';
import type { InstrumentedConnection } from './grid-faults';
import { startProviderGrid, type GridUser, type ProviderGrid, useProviderProcess, closeProviderProcess } from './provider-grid';

const ROUNDS = 3;
const GIB = 1024 ** 3;

describe('replacing all machines of one deployment group', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let n1: number;
  let conn: InstrumentedConnection | undefined;

  const debugBefore = process.env.TFGRID_DEBUG;
  beforeAll(async () => {
    // a failure here shows its message and stack (without it, jest prints only the hidden-stack line users see)
    process.env.TFGRID_DEBUG = '1';
    // a machine's removal takes a few backend calls, as on a real node: the node is still removing when the creates come
    g = await startProviderGrid({ nodes: 1, simDelayMs: 100 });
    [n1] = g.nodeIds;
    user = await g.user();
    await useProviderProcess(g, user);
  }, 120_000);

  afterAll(async () => {
    if (debugBefore === undefined) delete process.env.TFGRID_DEBUG;
    else process.env.TFGRID_DEBUG = debugBefore;
    await closeProviderProcess(g);
  });

  /** Names and types on the node for a contract. */
  async function onNode(contractId: number): Promise<{ name: string; type: string; state: string }[]> {
    conn ??= await g.connect(user);
    const d = await (await conn.deps.node(n1)).get(contractId);
    return d.workloads.map((w) => ({ name: w.name, type: w.type, state: w.result?.state ?? '' })).sort((a, b) => a.name.localeCompare(b.name));
  }

  it('sends a delete and a create of one workload name in one coalescing window as two versions', async () => {
    conn ??= await g.connect(user);
    const co = createCoordinator(conn.deps, { coalesceMs: 200, newGroupMs: 200, pollMs: 100, deployTimeoutMs: 30_000 });
    try {
      const disk = (size: number): WorkloadOp => ({ kind: 'upsert', workload: { name: 'd', type: 'zmount', data: { size } } });
      const keep = await co.apply({ node: n1, group: 'same-window', op: { kind: 'upsert', workload: { name: 'keep', type: 'zmount', data: { size: GIB } } } });
      const first = await co.apply({ node: n1, group: 'same-window', op: disk(2 * GIB) });
      // a replaced disk (a new, smaller one under the same name): merged into one version it would be a shrink of the
      // old disk, which ZOS refuses (`not safe to shrink a disk`) and which would keep the old data
      const [removed, added] = await Promise.all([
        co.apply({ node: n1, group: 'same-window', op: { kind: 'remove', name: 'd' }, contractId: keep.contractId }),
        co.apply({ node: n1, group: 'same-window', op: disk(GIB), contractId: keep.contractId }),
      ]);
      expect(removed.version).toBe(first.version + 1);
      expect(added).toMatchObject({ version: first.version + 2, workload: { version: first.version + 2, result: { state: 'ok' } } });
      await co.apply({ node: n1, group: 'same-window', op: { kind: 'remove', name: 'd' }, contractId: keep.contractId });
      await co.apply({ node: n1, group: 'same-window', op: { kind: 'remove', name: 'keep' }, contractId: keep.contractId });
    } finally {
      co.close();
    }
  }, 120_000);

  const cases: [number, boolean][] = [
    [1, false],
    [1, true],
    [3, false],
    [3, true],
    [10, false],
    [10, true],
  ];

  it.each(cases)(
    '%i machine(s), shared disk: %s, replaced %#',
    async (count, withDisk) => {
      const tag = `r${count}${withDisk ? 'd' : ''}`;
      // what an earlier case left (when it failed) is not this case's to clean up
      const before = await g.activeContracts(user);
      const group = `grp-${tag}`;
      const net = await up('Network', { name: `net_${tag}`, nodes: [n1] });
      const disk = withDisk ? await up('ZMount', { node: n1, deployment: group, name: 'data', size: '1GiB' }) : undefined;
      const machineIn = (i: number, memoryMiB: number): Props => ({
        node: n1,
        deployment: group,
        name: `vm${i}`,
        flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
        network: { name: `net_${tag}`, subnets: net.outs.nodeSubnets },
        cpu: 1,
        memory: `${memoryMiB}MiB`,
        mounts: withDisk ? [{ name: 'data', node: n1, deployment: group, mountpoint: '/data' }] : [],
      });
      const names = Array.from({ length: count }, (_, i) => i);
      // created in parallel, as Pulumi creates independent resources
      let machines = await Promise.all(names.map((i) => up('ZMachine', machineIn(i, 256))));

      for (let round = 1; round <= ROUNDS; round++) {
        const memory = 256 + 32 * round;
        machines = await Promise.all(
          machines.map(async (old, i) => {
            const c = await entry.check('ZMachine', old.outs, machineIn(i, memory));
            expect(c.failures ?? []).toEqual([]);
            const news = c.inputs as Props;
            expect(await entry.diff('ZMachine', old.id, old.outs, news)).toMatchObject({ replaces: ['memory'], deleteBeforeReplace: true });
            await entry.delete('ZMachine', old.id, old.outs);
            const r = await entry.create('ZMachine', news);
            return { id: r.id, outs: r.outs as Props };
          }),
        );
        // without a disk the group is empty in between: its contract is cancelled and the new machines get a new one
        const contractId = Number(machines[0].outs.contractId);
        if (disk) expect(contractId).toBe(disk.outs.contractId);
        for (const m of machines) expect(m.outs).toMatchObject({ state: 'ok', contractId });
        const expected = [...(withDisk ? [{ name: 'data', type: 'zmount', state: 'ok' }] : []), ...names.map((i) => ({ name: `vm${i}`, type: 'zmachine', state: 'ok' }))];
        expect(await onNode(contractId)).toEqual(expected.sort((a, b) => a.name.localeCompare(b.name)));
      }

      await Promise.all(machines.map((m) => entry.delete('ZMachine', m.id, m.outs)));
      if (disk) await entry.delete('ZMount', disk.id, disk.outs);
      await entry.delete('Network', net.id, net.outs);
      expect(await g.activeContracts(user)).toEqual(before);
    },
    300_000,
  );
});
