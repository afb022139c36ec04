/**
 * Found by the failure suite (deploy timeout during `up`): a Network whose deployment on one node times out left
 * that node's contract on the chain with no resource owning it. The coordinator hands the contract back on the
 * timeout (`partialContractId`), but the network's rollback removed only the nodes that had succeeded. Now the
 * timed-out node's contract is rolled back too (or recorded in a partial create when that fails): no orphan.
 * The same on update: a node added to a network whose deployment times out left its contract unowned (the update
 * threw a plain error, so Pulumi kept the old state); now the update is recorded as partial and retried.
 * Runs on the provider test grid (in-process nodes; node 2 stalled by grid-faults.ts's `setStalled`).
 */
import * as entry from '../../provider/dynamic-entry';
import type { InstrumentedConnection } from '../provider/grid-faults';
import { closeProviderProcess, startProviderGrid, useProviderProcess, type GridUser, type ProviderGrid } from '../provider/provider-grid';
import { ownedContracts } from './audit';

describe('a Network whose deployment on one node times out', () => {
  let g: ProviderGrid | undefined;
  let user: GridUser;
  let conn: InstrumentedConnection | undefined;

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 2 });
    user = await g.user();
    await useProviderProcess(g, user, { 'tfgrid:deployTimeout': '3' }, async () => (conn = await g!.connect(user)));
  }, 120_000);

  afterAll(() => closeProviderProcess(g));

  const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

  it('leaves no contract that the state does not own when it is created', async () => {
    const [n1, n2] = g!.nodeIds;
    const c = await entry.check('Network', {}, { name: 'slow', nodes: [n1, n2] });
    await entry.read('Network', 'x', {}).catch(() => undefined); // connects, so the node can be stalled first
    conn!.setStalled(n2, true);
    const err = (await entry.create('Network', c.inputs as Record<string, unknown>).catch((e: unknown) => e)) as Error & { properties?: Record<string, unknown> };
    conn!.setStalled(n2, false);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/not done after 3s/);
    const owned = err.properties ? ownedContracts(err.properties) : [];
    expect({ active: await g!.activeContracts(user), owned }).toEqual({ active: owned, owned });
    if (err.properties) await entry.delete('Network', 'network/slow', err.properties);
    expect(await g!.activeContracts(user)).toEqual([]);
  });

  it("records the added node's contract when an update times out there, and the next update finishes", async () => {
    const [n1, n2] = g!.nodeIds;
    const first = await entry.check('Network', {}, { name: 'grow', nodes: [n1] });
    const made = await entry.create('Network', first.inputs as Record<string, unknown>);
    const grown = (await entry.check('Network', made.outs, { name: 'grow', nodes: [n1, n2] })).inputs as Record<string, unknown>;
    conn!.setStalled(n2, true);
    const err = (await entry.update('Network', made.id, made.outs, grown).catch((e: unknown) => e)) as Error & { properties?: Record<string, unknown> };
    conn!.setStalled(n2, false);
    expect(err.message).toMatch(/update failed.*not done after 3s/);
    expect(err.properties).toBeDefined();
    const partial = err.properties ?? {};
    const owned = sorted(ownedContracts(partial));
    expect({ active: sorted(await g!.activeContracts(user)), owned }).toEqual({ active: owned, owned });
    expect(owned).toHaveLength(2);
    // The next `up`: the recorded inputs are the previous ones, so the diff asks for the update again.
    expect((await entry.diff('Network', made.id, partial, grown)).changes).toBe(true);
    const done = await entry.update('Network', made.id, partial, grown);
    expect(sorted(ownedContracts(done.outs ?? {}))).toEqual(sorted(await g!.activeContracts(user)));
    expect((await entry.diff('Network', made.id, done.outs ?? {}, grown)).changes).toBe(false);
    await entry.delete('Network', made.id, done.outs ?? {});
    expect(await g!.activeContracts(user)).toEqual([]);
  });
});
