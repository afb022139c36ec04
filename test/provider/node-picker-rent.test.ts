/**
 * Issues 14 and 15, node discovery by rental through the provider (`provider/dynamic-entry`) on the provider grid
 * (shared local chain, our relay, sim nodes, the grid proxy of local/gridproxy): a RentContract on a node makes
 * that node the one `rentedByMe` picks for its renter, first among its picks, and takes it out of every other
 * twin's picks (`available_for`) and of `rentable`; a node with an extra fee is offered only to rent; once the farm
 * is dedicated, only its renter's node is usable without renting, and `rentable` finds the others to rent.
 */
import * as entry from '../../provider/dynamic-entry';
import { up } from './entry-steps';
import { closeProviderProcess, startProviderGrid, useProviderProcess, type GridUser, type ProviderGrid } from './provider-grid';

jest.setTimeout(180_000);

const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 30_000) => {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
};

describe('NodePicker rental filters on the local grid', () => {
  let g: ProviderGrid;
  let renter: GridUser;
  let other: GridUser;
  let farmId: number;
  const as = (u: GridUser) => useProviderProcess(g, u);
  /** A picker's create through the provider (check, then create), or its refusal. */
  const pick = async (filter: Record<string, unknown>) => (await up('NodePicker', { farmId, ...filter })).outs;
  const refused = async (filter: Record<string, unknown>) => {
    const c = await entry.check('NodePicker', {}, { farmId, ...filter });
    expect(c.failures ?? []).toEqual([]);
    return entry.create('NodePicker', c.inputs as Record<string, unknown>);
  };
  /** The proxy's view of a node (`rentedByTwinId`, `inDedicatedFarm`). */
  const proxyNode = async (id: number) => (await fetch(`${g.gridProxy.url}/nodes/${id}`)).json() as Promise<{ rentedByTwinId: number; inDedicatedFarm: boolean; extraFee: number; status: string }>;

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 2 });
    [renter, other] = [await g.user(), await g.user()];
    farmId = g.testGrid.farmId;
    await waitFor('both nodes up on the proxy', async () => (await Promise.all(g.nodeIds.map(proxyNode))).every((n) => n.status === 'up'));
  });
  afterAll(async () => {
    await closeProviderProcess(g);
  });

  it("a rented node is its renter's pick and no other twin's", async () => {
    const [free, rented] = g.nodeIds;
    await as(renter);
    const rent = await up('RentContract', { node: rented });
    const renterTwin = await g.chain.getTwinIdByAccount(renter.address);
    await waitFor('the proxy sees the rent', async () => (await proxyNode(rented)).rentedByTwinId === renterTwin);

    expect(await pick({ rentedByMe: true })).toMatchObject({ nodeId: rented, nodeIds: [rented] });
    // the renter's own node comes first among its picks
    expect(await pick({ count: 2 })).toMatchObject({ nodeId: rented, nodeIds: [rented, free] });
    expect(await pick({ rentable: true })).toMatchObject({ nodeId: free });

    await as(other);
    expect(await pick({})).toMatchObject({ nodeId: free });
    expect(await pick({ rentable: true })).toMatchObject({ nodeId: free });
    await expect(refused({ rentedByMe: true })).rejects.toThrow(/no node matches the filter/);
    await expect(refused({ count: 2 })).rejects.toThrow(/only 1 of the 2 nodes asked for match the filter/);

    // An extra fee on a node (set in the chain's storage) makes it dedicated: it needs a rent first.
    const setFee = (fee: number) => g.chain.api.rpc('dev_setStorage', { SmartContractModule: { DedicatedNodesExtraFee: [[[free], fee]] } });
    await setFee(1000);
    await waitFor('the proxy sees the extra fee', async () => (await proxyNode(free)).extraFee === 1000);
    await expect(refused({})).rejects.toThrow(/are left out: rentable finds nodes to rent/);
    expect(await pick({ rentable: true })).toMatchObject({ nodeId: free });
    await setFee(0);
    await waitFor('the proxy sees the fee gone', async () => (await proxyNode(free)).extraFee === 0);

    // A dedicated farm (set in the chain's storage, as a council vote would): its nodes need a rent first.
    const farm = (await g.chain.api.query.tfgridModule.farms(farmId)).toJSON() as Record<string, unknown>;
    await g.chain.api.rpc('dev_setStorage', { TfgridModule: { Farms: [[[farmId], { ...farm, dedicatedFarm: true }]] } });
    await waitFor('the proxy sees the dedicated farm', async () => (await proxyNode(free)).inDedicatedFarm);
    await expect(refused({})).rejects.toThrow(/in a dedicated farm and not rented by it\) are left out: rentable finds nodes to rent/);
    expect(await pick({ dedicated: true, rentable: true })).toMatchObject({ nodeId: free });
    await expect(refused({ dedicated: false })).rejects.toThrow(/no node matches the filter/);
    await as(renter);
    expect(await pick({ dedicated: true })).toMatchObject({ nodeIds: [rented] });

    await entry.delete('RentContract', rent.id, rent.outs);
    expect(await g.activeContracts(renter)).toEqual([]);
  });
});
