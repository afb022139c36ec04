/**
 * Issue 15, dedicated nodes: the RentContract resource through the provider (`provider/dynamic-entry`) on the
 * local chain (the TFChain runtime's own rules), our relay and sim nodes. The renter deploys on its node; another
 * twin is refused by the chain (`NodeNotAvailableToDeploy`) and cannot rent it again (`NodeHasRentContract`); the
 * rent is not cancelled while the renter's deployment remains (`NodeHasActiveContracts`), and is once it is gone.
 */
import * as entry from '../../provider/dynamic-entry';
import { up } from './entry-steps';
import { startProviderGrid, uniqueTag, type GridUser, type ProviderGrid, useProviderProcess, closeProviderProcess } from './provider-grid';

describe('RentContract through the provider on the local grid', () => {
  let g: ProviderGrid;
  let renter: GridUser;
  let other: GridUser;

  /** The provider process of `user` (a fresh runtime: its own twin, chain signer and caches). */
  async function as(user: GridUser): Promise<void> {
    await useProviderProcess(g, user, { 'tfgrid:coalesceMs': '50' });
  }

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 2 });
    [renter, other] = [await g.user(), await g.user()];
  }, 120_000);

  afterAll(async () => {
    await closeProviderProcess(g);
  });

  it('only the renter deploys on a rented node, and the rent outlives its deployments', async () => {
    const node = g.nodeIds[1];
    await as(renter);
    const rent = await up('RentContract', { node });
    expect(rent.outs).toMatchObject({ node, state: 'created' });
    expect(Number(rent.outs.contractId)).toBeGreaterThan(0);
    expect(await g.activeContracts(renter)).toContain(Number(rent.outs.contractId));
    const disk = await up('ZMount', { node, deployment: `r_${uniqueTag()}`, name: 'data', size: '1GiB' });
    expect(disk.outs.state).toBe('ok');

    await as(other);
    const c = await entry.check('ZMount', {}, { node, deployment: `o_${uniqueTag()}`, name: 'data', size: '1GiB' });
    await expect(entry.create('ZMount', c.inputs as Record<string, unknown>)).rejects.toThrow(/NodeNotAvailableToDeploy/);
    await expect(entry.create('RentContract', (await entry.check('RentContract', {}, { node })).inputs as Record<string, unknown>)).rejects.toThrow(/NodeHasRentContract/);
    expect(await g.activeContracts(other)).toEqual([]);

    await as(renter);
    await expect(entry.delete('RentContract', rent.id, rent.outs)).rejects.toThrow(/cannot be cancelled while node contracts remain on the node \(TFChain: NodeHasActiveContracts\)/);
    await entry.delete('ZMount', disk.id, disk.outs);
    await entry.delete('RentContract', rent.id, rent.outs);
    expect(await g.activeContracts(renter)).toEqual([]);
    expect((await entry.read('RentContract', rent.id, rent.outs)).id).toBe('');
  });

  it('a change of node is a new rent; the same node with another solution provider replaces it delete-first', async () => {
    const d = (o: Record<string, unknown>, n: Record<string, unknown>) => entry.diff('RentContract', 'x', { ...o, __inputs: o }, n);
    expect(await d({ node: 1 }, { node: 2 })).toMatchObject({ replaces: ['node'], deleteBeforeReplace: false });
    expect(await d({ node: 1 }, { node: 1, solutionProviderId: 1 })).toMatchObject({ replaces: ['solutionProviderId'], deleteBeforeReplace: true });
    expect(await d({ node: 1 }, { node: 1 })).toMatchObject({ changes: false });
  });
});
