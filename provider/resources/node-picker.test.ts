/**
 * The NodePicker keeps its nodes while they fit, for the rental, certification and GPU filters and `count`
 * (issues 14, 15): the facts of a chosen node come from the lookup (the grid proxy), the deploying twin from it too.
 */
import { z } from 'zod';
import { fixtureIndex } from '../../local/gridproxy/fixture';
import { queryNodes } from '../../local/gridproxy/query';
import { silentLogger } from '../../protocol/common/log';
import type { ChainNodeInfo, CoordinatorDeps } from '../deps';
import { encodeQuery, proxyNodeSchema, type GridProxyApi } from '../grid-proxy';
import type { NodeCandidate, NodeFacts } from './node-filter';
import { checkNodePicker, diffNodePicker, nodePickerInputsSchema, pickerOutputs, previewNodePicker, updateNodePicker, type PickerLookup } from './node-picker';

const node = (nodeId: number): ChainNodeInfo => ({ nodeId, twinId: 100 + nodeId, farmId: 1, resources: { cru: 8, mru: 2 ** 35, sru: 2 ** 40, hru: 2 ** 41 }, country: 'Belgium' });
const SHARED: NodeFacts = { inDedicatedFarm: false, rentedBy: 0, rentable: true, extraFee: 0, certified: false, gpus: 0, farmName: 'Freefarm', city: 'Ghent' };
const ME = 42;

/** A grid whose nodes have `facts` (by id), deploying as twin 42. */
const grid = (facts: Record<number, Partial<NodeFacts>>) => async (): Promise<PickerLookup> => ({
  node: async (id) => node(id),
  free: async () => ({ cru: 8, mru: 2 ** 34, sru: 2 ** 39, hru: 2 ** 40, farmIps: 1 }),
  facts: async (id) => ({ ...SHARED, ...facts[id] }),
  me: async () => ME,
});
const filter = (raw: Record<string, unknown>) => nodePickerInputsSchema.parse(raw);
const next = (raw: Record<string, unknown>) => checkNodePicker(raw).inputs;

describe('NodePicker: rental, certification and GPU filters keep a node that fits', () => {
  const outs = pickerOutputs(filter({}), node(1));

  it('a node rented by the deploying twin keeps rentedByMe and rentable; another renter moves it, naming the filter', async () => {
    const mine = grid({ 1: { rentedBy: ME, rentable: false } });
    expect(await diffNodePicker(outs, next({ rentedByMe: true }), mine)).toMatchObject({ changes: true, replaces: [] });
    expect(await diffNodePicker(outs, next({ rentable: true }), mine)).toMatchObject({ changes: true, replaces: [] });
    const theirs = grid({ 1: { rentedBy: 7, rentable: false } });
    expect(await diffNodePicker(outs, next({ rentedByMe: true }), theirs)).toMatchObject({ replaces: ['rentedByMe'] });
    expect(await diffNodePicker(outs, next({ rentable: true }), theirs)).toMatchObject({ replaces: ['rentable'] });
  });

  it('dedicated, certified and hasGpu are checked against the node', async () => {
    const plain = grid({});
    expect(await diffNodePicker(outs, next({ dedicated: true }), plain)).toMatchObject({ replaces: ['dedicated'] });
    expect(await diffNodePicker(outs, next({ dedicated: false }), plain)).toMatchObject({ replaces: [] });
    expect(await diffNodePicker(outs, next({ certified: true, hasGpu: true }), plain)).toMatchObject({ replaces: ['certified', 'hasGpu'] });
    expect(await diffNodePicker(outs, next({ certified: true }), grid({ 1: { certified: true } }))).toMatchObject({ replaces: [] });
    expect(await diffNodePicker(outs, next({ farmName: 'freefarm', city: 'GHENT', farmIds: [1, 2] }), plain)).toMatchObject({ replaces: [] });
    expect(await diffNodePicker(outs, next({ farmName: 'other', city: 'Cairo', farmIds: [2] }), plain)).toMatchObject({ replaces: ['farmName', 'city', 'farmIds'] });
  });

  it('a grid that cannot be read keeps the node', async () => {
    const down = async (): Promise<PickerLookup> => {
      throw new Error('unreachable');
    };
    expect(await diffNodePicker(outs, next({ rentedByMe: true }), down)).toMatchObject({ changes: true, replaces: [] });
  });
});

describe('NodePicker: count', () => {
  const three = pickerOutputs(filter({ count: 3 }), node(1), [node(2), node(3)]);

  it('outputs count distinct nodes, the first as nodeId', () => {
    expect(three).toMatchObject({ nodeId: 1, nodeIds: [1, 2, 3], count: 3 });
  });

  it('a change of count alone is an update: fewer keeps the first nodes, more adds the best others', async () => {
    expect(await diffNodePicker(three, next({ count: 2 }), grid({}))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect((await updateNodePicker(three, next({ count: 2 }))).outs).toMatchObject({ nodeId: 1, nodeIds: [1, 2] });
    const asked: number[][] = [];
    const find = async (f: { exclude: number[] }): Promise<NodeCandidate[]> => {
      asked.push(f.exclude);
      return [5, 6].map((id) => ({ node: node(id), free: { cru: 8, mru: 1, sru: 1, hru: 1 }, farmFreeIps: 0 }));
    };
    expect((await updateNodePicker(three, next({ count: 4 }), find)).outs).toMatchObject({ nodeId: 1, nodeIds: [1, 2, 3, 5] });
    expect(asked).toEqual([[1, 2, 3]]);
    await expect(updateNodePicker(three, next({ count: 6 }), find)).rejects.toThrow(/asks for 3 more nodes, 2 others match the filter/);
  });

  it('every chosen node is checked: one that no longer fits moves the picker', async () => {
    expect(await diffNodePicker(three, next({ count: 3, certified: true }), grid({ 1: { certified: true }, 2: { certified: true }, 3: { certified: true } }))).toMatchObject({ replaces: [] });
    expect(await diffNodePicker(three, next({ count: 3, certified: true }), grid({ 1: { certified: true }, 2: { certified: true } }))).toMatchObject({ replaces: ['certified'] });
  });

  it('a state written before count (no nodeIds) is no change, and grows from its node', async () => {
    const { nodeIds: _n, count: _c, ...old } = pickerOutputs(filter({}), node(1));
    void _n;
    void _c;
    expect(await diffNodePicker(old, next({}), grid({}))).toMatchObject({ changes: false });
    const find = async (): Promise<NodeCandidate[]> => [{ node: node(2), free: { cru: 8, mru: 1, sru: 1, hru: 1 }, farmFreeIps: 0 }];
    expect((await updateNodePicker(old, next({ count: 2 }), find)).outs).toMatchObject({ nodeIds: [1, 2] });
  });
});

describe('NodePicker: a preview names the nodes it would pick', () => {
  /** The provider's deps on the fixture grid proxy (local/gridproxy), deploying as twin `me`. */
  const deps = (me: number) => {
    const proxy: GridProxyApi = {
      url: 'http://fixture',
      nodes: async (q) => z.array(proxyNodeSchema).parse(queryNodes(fixtureIndex(), new URLSearchParams(encodeQuery(q))).body),
      node: async () => undefined,
      contracts: async () => [],
    };
    return { chain: { twinId: async () => me }, gridProxy: proxy, log: silentLogger, node: async () => undefined } as unknown as Pick<CoordinatorDeps, 'chain' | 'node' | 'gridProxy' | 'log'>;
  };
  const preview = async (raw: Record<string, unknown>, me: number) => {
    const lines: string[] = [];
    await previewNodePicker(checkNodePicker(raw).inputs, deps(me), (l) => lines.push(l));
    return lines;
  };

  it('names the pick, or why none fits', async () => {
    expect(await preview({ rentedByMe: true }, 42)).toEqual(['NodePicker: would pick node 4 (farm 2)']);
    expect(await preview({ count: 2 }, 42)).toEqual(['NodePicker: would pick node 4 (farm 2), node 1 (farm 1)']);
    const [none] = await preview({ rentedByMe: true }, 43);
    expect(none).toMatch(/^NodePicker: no node matches the filter \(0 reachable; nodes twin 43 may not deploy on .* are left out: rentable finds nodes to rent\)$/);
    // node 3 is down on the fixture grid (its report is old): status=up leaves it out
    expect(await preview({ exclude: [1, 4] }, 42)).toEqual(['NodePicker: would pick node 2 (farm 1)']);
  });
});
