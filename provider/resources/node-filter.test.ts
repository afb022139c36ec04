/**
 * The node filter (issues 14, 15): its grid proxy query uses upstream's `NodeFilter` parameter names, and the same
 * rule run here on each candidate agrees with what the local grid proxy answers for that query (fixture: farm 2 is
 * dedicated and certified; its node 4 is rented by twin 42; node 2 has a node contract of twin 42).
 */
import { fixtureIndex, gpuFixtureIndex } from '../../local/gridproxy/fixture';
import { queryNodes } from '../../local/gridproxy/query';
import { encodeQuery, proxyNodeSchema } from '../grid-proxy';
import { checkNodePicker } from './node-picker';
import { misfits } from './node-picker-diff';
import { candidateOf, filterConflicts, nodeFilterSchema, proxyOnlyFilters, proxyQuery, rankNodes, rejectReason } from './node-filter';

const f = (raw: Record<string, unknown>) => nodeFilterSchema.parse(raw);
/** The proxy's answer for a filter, as candidates. */
const proxied = (raw: Record<string, unknown>, me?: number) => {
  const q = proxyQuery(f(raw), me);
  const r = queryNodes(fixtureIndex(), new URLSearchParams(encodeQuery({ ...q, status: undefined })));
  expect(r.status).toBe(200);
  return (r.body as unknown[]).map((n) => candidateOf(proxyNodeSchema.parse(n)));
};
const ids = (cs: { node: { nodeId: number } }[]) => cs.map((c) => c.node.nodeId).sort();
/** Every fixture node, unfiltered. */
const all = () => (queryNodes(fixtureIndex(), new URLSearchParams('')).body as unknown[]).map((n) => candidateOf(proxyNodeSchema.parse(n)));

describe('the node filter as a grid proxy query', () => {
  it("maps each filter to upstream's parameter", () => {
    expect(proxyQuery(f({ dedicated: true, rentedByMe: true, certified: true, hasGpu: true, exclude: [3] }), 42)).toMatchObject({
      in_dedicated_farm: true,
      rented_by: 42,
      available_for: 42,
      certification_type: 'Certified',
      has_gpu: true,
      excluded: [3],
    });
    expect(proxyQuery(f({ farmIds: [1, 2], farmName: 'x', city: 'Ghent' }))).toMatchObject({ farm_ids: [1, 2], farm_name: 'x', city: 'Ghent' });
    expect(encodeQuery(proxyQuery(f({ rentable: true, dedicated: false }), 42))).toBe('status=up&in_dedicated_farm=false&rentable=true');
    // no filter asks nothing of rental but that the deploying twin may use the node
    expect(encodeQuery(proxyQuery(f({}), 7))).toBe('status=up&available_for=7');
    expect(encodeQuery(proxyQuery(f({}), undefined))).toBe('status=up');
  });

  it('refuses bad values with the field, and contradicting ones with the fix', () => {
    const bad = nodeFilterSchema.safeParse({ count: 0, rentable: 'yes' });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues.map((i) => i.path.join('.')).sort()).toEqual(['count', 'rentable']);
    expect(checkNodePicker({ count: 0, rentedByMe: 'yes' }).failures.map((x) => x.reason)).toEqual([
      'NodePicker "picker": rentedByMe must be true or false (fix: rentedByMe: true)',
      'NodePicker "picker": count must be at least 1 (fix: leave it out for one node)',
    ]);
    expect(filterConflicts(f({ rentable: true, rentedByMe: true }), 'NodePicker', 'p')).toEqual([{ property: 'rentedByMe', reason: expect.stringContaining('fix: set only one of them') }]);
    expect(proxyOnlyFilters(f({ dedicated: false, certified: true, city: 'Ghent' }))).toEqual(['dedicated', 'certified', 'city']);
    expect(filterConflicts(f({ farmId: 1, farmIds: [2] }), 'NodePicker', 'p')).toEqual([{ property: 'farmIds', reason: expect.stringContaining('fix: list every farm in farmIds') }]);
  });
});

describe('the same rule on the candidates agrees with the proxy', () => {
  it.each([
    [{ rentedByMe: true }, 42, [4]],
    [{ rentedByMe: true }, 43, []],
    [{}, 42, [1, 2, 3, 4]],
    // another twin may not use node 4 (rented by 42) nor any node of the dedicated farm
    [{}, 43, [1, 2, 3]],
    [{ rentable: true }, 43, [1, 3]],
    [{ dedicated: true }, 42, [4]],
    [{ dedicated: true }, 43, []],
    [{ dedicated: false }, 43, [1, 2, 3]],
    [{ certified: true }, 42, [4]],
    [{ hasGpu: true }, 42, []],
    [{ exclude: [1, 4] }, 42, [2, 3]],
    [{ farmIds: [2, 9] }, 42, [4]],
    [{ farmName: 'DEDIFARM' }, 42, [4]],
    [{ city: 'cairo' }, 42, [2]],
  ])('%j for twin %i: nodes %j', (raw, me, want) => {
    expect(ids(proxied(raw, me))).toEqual(want);
    expect(ids(all().filter((c) => !rejectReason(c, f(raw), me)))).toEqual(want);
  });

  it('says why a node does not fit, and ranks the nodes the twin rents first', () => {
    const n4 = all().find((c) => c.node.nodeId === 4)!;
    expect(rejectReason(n4, f({}), 43)).toBe('rented by twin 42');
    expect(rejectReason(n4, f({ rentable: true }), 43)).toBe('rented by twin 42');
    expect(rejectReason(all().find((c) => c.node.nodeId === 1)!, f({ rentedByMe: true }), 42)).toBe('not rented');
    expect(rankNodes(all(), f({}), 42)[0].node.nodeId).toBe(4);
    expect(rankNodes(all(), f({}), 43).map((c) => c.node.nodeId)).not.toContain(4);
  });
});

describe('GPU card filters (issue 15)', () => {
  const onGpuGrid = (raw: Record<string, unknown>) => {
    const r = queryNodes(gpuFixtureIndex(), new URLSearchParams(encodeQuery({ ...proxyQuery(f(raw), 42), status: undefined, available_for: undefined })));
    expect(r.status).toBe(200);
    return (r.body as unknown[]).map((n) => candidateOf(proxyNodeSchema.parse(n)));
  };
  const gpuNodes = () => (queryNodes(gpuFixtureIndex(), new URLSearchParams('')).body as unknown[]).map((n) => candidateOf(proxyNodeSchema.parse(n)));

  it("maps to upstream's gpu_* parameters and needs the grid proxy", () => {
    const raw = { gpuVendorName: 'nvidia', gpuDeviceName: 'A100', gpuVendorId: '10de', gpuDeviceId: '20b0', gpuAvailable: true };
    expect(proxyQuery(f(raw))).toMatchObject({ gpu_vendor_name: 'nvidia', gpu_device_name: 'A100', gpu_vendor_id: '10de', gpu_device_id: '20b0', gpu_available: true });
    expect(encodeQuery(proxyQuery(f({ gpuAvailable: false })))).toBe('status=up');
    expect(proxyOnlyFilters(f(raw))).toEqual(['gpuVendorName', 'gpuDeviceName', 'gpuVendorId', 'gpuDeviceId', 'gpuAvailable']);
    const bad = nodeFilterSchema.safeParse({ gpuVendorName: '', gpuAvailable: 'yes' });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues.map((i) => i.path.join('.')).sort()).toEqual(['gpuAvailable', 'gpuVendorName']);
  });

  it.each([
    [{ gpuVendorName: 'NVIDIA' }, [1]],
    [{ gpuDeviceName: 'radeon' }, [3]],
    [{ gpuVendorId: '1002' }, [3]],
    [{ gpuDeviceId: '20b0' }, [1]],
    [{ gpuAvailable: true }, [1]],
    [{ gpuVendorName: 'amd', gpuAvailable: true }, []],
    [{ hasGpu: true, gpuDeviceName: 'a100' }, [1]],
  ])('%j: the proxy and the rule here pick nodes %j', (raw, want) => {
    expect(ids(onGpuGrid(raw))).toEqual(want);
    expect(ids(gpuNodes().filter((c) => !rejectReason(c, f(raw))))).toEqual(want);
  });

  it('says which card is missing; a proxy item without card details leaves the cards to the proxy', () => {
    const n3 = gpuNodes().find((c) => c.node.nodeId === 3)!;
    expect(rejectReason(n3, f({ gpuVendorName: 'amd', gpuAvailable: true }))).toBe(
      'no vendor "amd", free GPU (has Advanced Micro Devices, Inc. [AMD/ATI] Navi 31 [Radeon RX 7900 XT/7900 XTX] used by contract 12)',
    );
    expect(rejectReason(gpuNodes().find((c) => c.node.nodeId === 2)!, f({ gpuVendorName: 'nvidia' }))).toBe('no GPU');
    // upstream's /nodes items may carry num_gpu without the cards (gpus: null)
    const bare = { ...n3, facts: { ...n3.facts!, gpuCards: undefined } };
    expect(rejectReason(bare, f({ gpuVendorName: 'nvidia' }))).toBeUndefined();
  });

  it('a NodePicker keeps its node while its card fits, and names the GPU filter that no longer does', () => {
    const n1 = gpuNodes().find((c) => c.node.nodeId === 1)!;
    const chosen = { nodeId: 1, farmId: 1, gatewayDomain: '', facts: n1.facts };
    expect(misfits(chosen, f({}), f({ gpuVendorName: 'nvidia', gpuAvailable: true }))).toEqual([]);
    expect(misfits(chosen, f({}), f({ gpuDeviceName: 'H100' }))).toEqual([{ property: 'gpuDeviceName', why: expect.stringContaining('node 1 has no device "H100" GPU') }]);
  });
});
