/**
 * Issue 16 "Scale", the small size CI runs: a stack of 30 workloads (network, disks, zdbs, machines, gateways) over
 * 5 sim nodes through the provider methods, as the engine calls them per dependency wave (test/provider/stack-scale.ts).
 * The counts that must not grow with W: chain transactions follow the dependency waves; a no-op `up` sends nothing;
 * an update of 10% is one transaction; `destroy` leaves no contract. `bench/stack-scale.bench.ts` runs the same
 * stack at W = 100..1,000 over 50 nodes and prints wall time and memory next to these counts.
 */
import { getRuntime, setGridFactory } from '../../provider/runtime';
import type { InstrumentedConnection } from './grid-faults';
import { closeProviderProcess, startProviderGrid, uniqueTag, useProviderProcess, type ProviderGrid } from './provider-grid';
import { stackDestroy, stackMix, stackResources, stackUp, stackWaves, type StackState } from './stack-scale';

const W = 30;
const NODES = 5;

describe('a stack of 30 workloads over 5 nodes (issue 16 scale, CI size)', () => {
  let g: ProviderGrid | undefined;
  afterAll(() => closeProviderProcess(g));

  it('up, no-op up, update of 10% and destroy: transactions per wave, nothing sent for no change, no contract left', async () => {
    g = await startProviderGrid({ nodes: NODES });
    const grid = g;
    const user = await grid.user();
    await useProviderProcess(grid, user);
    let conn: InstrumentedConnection | undefined;
    setGridFactory(async () => (conn = await grid.connect(user)));
    await getRuntime(); // twin creation is not part of an up
    const c = () => ({ ...conn!.counters });
    const opts = { workloads: W, nodeIds: grid.nodeIds, gatewayNode: grid.nodeIds[0], tag: uniqueTag() };
    const stack = stackResources(opts);
    const mix = stackMix(W);
    expect(stack).toHaveLength(W);
    const waves = stackWaves(stack).length;
    const state: StackState = { resources: new Map() };

    const c0 = c();
    expect(await stackUp(stack, state)).toEqual({ created: W, updated: 0, unchanged: 0 });
    const c1 = c();
    // One batch per wave: the network, disks + zdbs, machines, gateways (name contracts in the gateways' batch).
    expect(c1.transactions - c0.transactions).toBe(waves);
    // Contracts: the network, "app" and "data" on every node, "gw" on the gateway node, one name per gateway.
    const expected = 3 * NODES + 1 + mix.gateways;
    expect(await grid.activeContracts(user)).toHaveLength(expected);
    expect(c1.deploys - c0.deploys).toBe(3 * NODES + 1);

    expect(await stackUp(stack, state)).toEqual({ created: 0, updated: 0, unchanged: W });
    const c2 = c();
    expect(c2.transactions - c1.transactions).toBe(0);
    expect(c2.deploys - c1.deploys + c2.updates - c1.updates).toBe(0);

    const grown = stackResources({ ...opts, grown: true });
    const touched = Math.ceil(mix.zdbs / 2);
    expect(await stackUp(grown, state)).toEqual({ created: 0, updated: touched, unchanged: W - touched });
    const c3 = c();
    expect(c3.transactions - c2.transactions).toBe(1); // the touched zdbs' deployments, one batch
    expect(c3.updates - c2.updates).toBe(Math.min(touched, NODES));
    expect(c3.deploys - c2.deploys).toBe(0);

    await stackDestroy(grown, state);
    const c4 = c();
    expect(c4.transactions - c3.transactions).toBe(waves);
    expect(await grid.activeContracts(user)).toEqual([]);
    expect(state.resources.size).toBe(0);
  }, 300_000); // ~50 s alone; more when the machine is shared
});
