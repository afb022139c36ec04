import { fixtureIndex, gpuFixtureIndex } from './fixture';
import { parseQuery, NODE_KEYS } from './params';
import { contractById, nodeById, nodeGpus, queryContracts, queryFarms, queryNodes, queryPublicIps, queryStats, queryTwins, type ApiResponse } from './query';

const GIB = 1024 ** 3;
const q = (s: string) => new URLSearchParams(s);
const ids = (r: ApiResponse, key = 'nodeId') => (r.body as Record<string, unknown>[]).map((x) => x[key]);

describe('params: decoded as upstream (gorilla/schema)', () => {
  it('drops empty values, splits string lists, accumulates number lists', () => {
    const r = parseQuery(q('free_mru=&status=up,down&farm_ids=1,2&farm_ids=3&ipv4=t&node_id=5&node_id=6'), NODE_KEYS);
    expect(r).toEqual({ ok: true, values: { status: ['up', 'down'], farm_ids: [1, 2, 3], ipv4: true, node_id: 6 } });
  });
  it('refuses unknown keys and bad values with upstream texts', () => {
    expect(queryNodes(fixtureIndex(), q('farm_id=1'))).toEqual({ status: 400, body: { error: 'failed to decode params: schema: invalid path "farm_id"' } });
    expect(queryNodes(fixtureIndex(), q('free_mru=-1&ipv4=yes'))).toEqual({
      status: 400,
      body: { error: 'failed to decode params: schema: error converting value for "free_mru" (and 1 other errors)' },
    });
    expect(queryNodes(fixtureIndex(), q('sort_by=farm_name')).body).toEqual({ error: '"farm_name" is not a sort field for Node type' });
    expect(queryNodes(fixtureIndex(), q('sort_order=up')).body).toEqual({ error: '"up" is not a valid sort order' });
    expect(queryNodes(fixtureIndex(), q('features=zmachine,teleport')).body).toEqual({ error: 'teleport is not a valid node feature' });
  });
});

describe('/nodes filters', () => {
  const ix = fixtureIndex();
  it("status from the nodes' reports: a node silent past the window is down", () => {
    expect(ids(queryNodes(ix, q('status=up')))).toEqual([1, 2, 4]);
    expect(ids(queryNodes(ix, q('status=down')))).toEqual([3]);
    expect((queryNodes(ix, q('node_id=3')).body as { status: string }[])[0].status).toBe('down');
  });
  it("free capacity = total − the node's reported used", () => {
    expect(ids(queryNodes(ix, q(`free_mru=${8 * GIB}`)))).toEqual([1, 3, 4]);
    expect(ids(queryNodes(ix, q(`free_sru=${200 * GIB}&status=up`)))).toEqual([1, 4]);
    const n = (queryNodes(ix, q('node_id=2')).body as Record<string, Record<string, number>>[])[0];
    expect(n.total_resources.mru - n.used_resources.mru).toBe(2 * GIB);
  });
  it('public config, farm, location, certification, rental', () => {
    expect(ids(queryNodes(ix, q('domain=true')))).toEqual([1]);
    expect(ids(queryNodes(ix, q('ipv6=false')))).toEqual([2, 3, 4]);
    expect(ids(queryNodes(ix, q('free_ips=1')))).toEqual([1, 2, 3]);
    expect(ids(queryNodes(ix, q('free_ips=2')))).toEqual([]);
    expect(ids(queryNodes(ix, q('farm_ids=2')))).toEqual([4]);
    expect(ids(queryNodes(ix, q('farm_name=FREEFARM&excluded=1')))).toEqual([2, 3]);
    expect(ids(queryNodes(ix, q('country=egypt')))).toEqual([2]);
    expect(ids(queryNodes(ix, q('city_contains=ghe')))).toEqual([1, 3, 4]);
    expect(ids(queryNodes(ix, q('certification_type=certified')))).toEqual([4]);
    expect(ids(queryNodes(ix, q('rented=true')))).toEqual([4]);
    expect(ids(queryNodes(ix, q('rented_by=42')))).toEqual([4]);
    // node 2 has an active node contract: not rentable; node 4 is rented
    expect(ids(queryNodes(ix, q('rentable=true')))).toEqual([1, 3]);
    expect(ids(queryNodes(ix, q('dedicated=true')))).toEqual([1, 3, 4]);
    // a dedicated farm's nodes are available only to their renter
    expect(ids(queryNodes(ix, q('available_for=42')))).toEqual([4, 1, 2, 3]);
    expect(ids(queryNodes(ix, q('available_for=43')))).toEqual([1, 2, 3]);
    expect(ids(queryNodes(ix, q('has_gpu=true')))).toEqual([]);
    expect(ids(queryNodes(ix, q('has_gpu=false&node_ids=1,2')))).toEqual([1, 2]);
    expect(ids(queryNodes(ix, q('features=zmachine,network&twin_id=101')))).toEqual([1]);
  });
  it('rental as upstream (grid-proxy postgres.go): dedicated farm, renter, node contracts', () => {
    expect(ids(queryNodes(ix, q('in_dedicated_farm=true')))).toEqual([4]);
    expect(ids(queryNodes(ix, q('in_dedicated_farm=false')))).toEqual([1, 2, 3]);
    expect(ids(queryNodes(ix, q('rented=false')))).toEqual([1, 2, 3]);
    // node 2 has a node contract on a shared farm: not dedicated in upstream's sense
    expect(ids(queryNodes(ix, q('dedicated=false')))).toEqual([2]);
    // rented nodes first, as upstream orders `rentable_or_rented_by`
    expect(ids(queryNodes(ix, q('rentable_or_rented_by=42')))).toEqual([4, 1, 3]);
    expect(ids(queryNodes(ix, q('rentable_or_rented_by=43')))).toEqual([1, 3]);
    expect(ids(queryNodes(ix, q('rented_by=43')))).toEqual([]);
    expect(ids(queryNodes(ix, q('certification_type=DIY')))).toEqual([1, 2, 3]);
    // a cancelled rent frees the node: rentable, usable by anyone but for its dedicated farm
    const cancelled = fixtureIndex();
    cancelled.contracts = cancelled.contracts.map((c) => (c.contractId === 9 ? { ...c, state: 'Deleted' } : c));
    expect(ids(queryNodes(cancelled, q('rentable=true')))).toEqual([1, 3, 4]);
    expect(ids(queryNodes(cancelled, q('available_for=42')))).toEqual([1, 2, 3]);
    // a node with an extra fee is dedicated: rentable, but no one's to deploy on until rented
    const fee = fixtureIndex();
    fee.nodes = fee.nodes.map((n) => (n.nodeId === 1 ? { ...n, extraFee: 1000 } : n));
    expect(ids(queryNodes(fee, q('available_for=43')))).toEqual([2, 3]);
    expect(ids(queryNodes(fee, q('rentable=true')))).toEqual([1, 3]);
    expect((queryNodes(fee, q('node_id=1')).body as Record<string, unknown>[])[0]).toMatchObject({ extraFee: 1000, dedicated: true, inDedicatedFarm: false });
  });
  it('sorts, pages and counts as upstream', () => {
    const r = queryNodes(ix, q('sort_by=free_cru&sort_order=desc&size=2&page=1&ret_count=true'));
    expect(ids(r)).toEqual([3, 1]);
    expect(r.headers).toEqual({ Count: '4', Size: '2', Pages: '2' });
    expect(ids(queryNodes(ix, q('sort_by=status&sort_order=DESC')))).toEqual([3, 1, 2, 4]);
    expect(ids(queryNodes(ix, q('size=2&page=2')))).toEqual([3, 4]);
    expect(ids(queryNodes(ix, q('size=2&page=0')))).toEqual([1, 2]);
    expect(queryNodes(ix, q('')).headers).toEqual({});
  });
  it("node JSON has upstream's fields; by id nests capacity", () => {
    const [n] = queryNodes(ix, q('node_id=1')).body as Record<string, unknown>[];
    expect(n).toMatchObject({
      nodeId: 1,
      farmId: 1,
      twinId: 101,
      farmName: 'Freefarm',
      status: 'up',
      uptime: 495,
      updatedAt: 1_700_000_000 - 5,
      farm_free_ips: 1,
      rented: false,
      rentable: true,
      num_gpu: 0,
      healthy: true,
    });
    expect(n.publicConfig).toEqual({ domain: 'gw1.example.com', gw4: '185.69.166.1', gw6: '2a02:1802:5e::1', ipv4: '185.69.166.2/24', ipv6: '2a02:1802:5e::2/64' });
    const d = nodeById(ix, 1, false).body as Record<string, unknown>;
    expect(d).not.toHaveProperty('total_resources');
    expect(d.capacity).toEqual({ total_resources: n.total_resources, used_resources: n.used_resources });
    expect(nodeById(ix, 99, false)).toEqual({ status: 404, body: { error: 'node not found' } });
    expect(nodeById(ix, 2, true)).toEqual({ status: 404, body: { error: 'gateway not found' } });
  });
});

describe('/nodes GPU filters and /nodes/{id}/gpu (issue 15)', () => {
  const ix = gpuFixtureIndex();
  it.each([
    ['has_gpu=true', [1, 3]],
    ['has_gpu=false', [2, 4]],
    ['num_gpu=1', [1, 3]],
    // names contain the value, any case; ids are matched inside the card id
    ['gpu_vendor_name=nvidia', [1]],
    ['gpu_device_name=RADEON', [3]],
    ['gpu_vendor_id=1002', [3]],
    ['gpu_device_id=20B0', [1]],
    ['gpu_available=true', [1]],
    ['gpu_available=false', [3]],
    // one card must satisfy them all
    ['gpu_vendor_name=amd&gpu_available=true', []],
    ['gpu_vendor_name=nvidia&gpu_device_name=a100&gpu_available=true', [1]],
    ['gpu_vendor_name=intel', []],
  ])('%s → nodes %j', (query, want) => {
    expect(ids(queryNodes(ix, q(query)))).toEqual(want);
  });

  it("lists a node's cards as upstream's NodeGPU, on the node item and at /nodes/{id}/gpu", () => {
    const card = { node_twin_id: 101, id: '0000:0e:00.0/10de/20b0', vendor: 'NVIDIA Corporation', device: 'GA100 [A100 SXM4 40GB]', contract: 0 };
    expect((queryNodes(ix, q('node_id=1')).body as Record<string, unknown>[])[0]).toMatchObject({ num_gpu: 1, gpus: [card] });
    expect(nodeGpus(ix, 1)).toEqual({ status: 200, body: [card] });
    expect(nodeGpus(ix, 2)).toEqual({ status: 200, body: [] });
    expect(ids(queryNodes(ix, q('sort_by=num_gpu&sort_order=desc&node_ids=1,2')))).toEqual([1, 2]);
  });
});

describe('/farms, /contracts, /twins, /public_ips, /stats', () => {
  const ix = fixtureIndex();
  it('farms by farm fields and by their nodes', () => {
    expect(ids(queryFarms(ix, q('')), 'farmId')).toEqual([1, 2]);
    expect(ids(queryFarms(ix, q('free_ips=1')), 'farmId')).toEqual([1]);
    expect(ids(queryFarms(ix, q('dedicated=true')), 'farmId')).toEqual([2]);
    expect(ids(queryFarms(ix, q('node_certified=true')), 'farmId')).toEqual([2]);
    expect(ids(queryFarms(ix, q(`node_free_mru=${20 * GIB}&node_status=up`)), 'farmId')).toEqual([1, 2]);
    expect(ids(queryFarms(ix, q('country=egypt')), 'farmId')).toEqual([1]);
    expect(queryFarms(ix, q('farm_name=x')).status).toBe(400);
    expect((queryFarms(ix, q('farm_id=1')).body as Record<string, unknown>[])[0].publicIps).toEqual([
      { id: '1-a', ip: '185.69.166.10/24', gateway: '185.69.166.1', contract_id: 0 },
      { id: '1-b', ip: '185.69.166.11/24', gateway: '185.69.166.1', contract_id: 7 },
    ]);
  });
  it('contracts: state (case-insensitive), type, twin, node, name; Deleted listed without a state filter', () => {
    expect(ids(queryContracts(ix, q('twin_id=42')), 'contract_id')).toEqual([7, 8, 9, 10]);
    expect(ids(queryContracts(ix, q('twin_id=42&state=created,graceperiod')), 'contract_id')).toEqual([7, 8, 9]);
    expect(ids(queryContracts(ix, q('type=name&name=web')), 'contract_id')).toEqual([8]);
    expect(ids(queryContracts(ix, q('node_id=2&number_of_public_ips=1')), 'contract_id')).toEqual([7]);
    expect(ids(queryContracts(ix, q('farm_name=freefarm')), 'contract_id')).toEqual([7, 10]);
    expect(contractById(ix, 7).body).toEqual({
      contract_id: 7,
      twin_id: 42,
      state: 'Created',
      created_at: 1_700_000_000 - 50,
      type: 'node',
      details: { nodeId: 2, deployment_data: '{}', deployment_hash: 'abc', number_of_public_ips: 1, farm_name: 'Freefarm', farm_id: 1 },
    });
    expect(contractById(ix, 99)).toEqual({ status: 500, body: { error: 'contract not found' } });
  });
  it('twins and public IPs', () => {
    expect(queryTwins(ix, q('twin_id=42')).body).toEqual([{ twinId: 42, accountId: '5User', relay: 'relay.example.com', publicKey: '0x02' }]);
    expect(queryPublicIps(ix, q('free=true')).body).toEqual([{ id: '1-a', ip: '185.69.166.10/24', gateway: '185.69.166.1', contract_id: 0, farm_id: 1 }]);
  });
  it('stats: whole grid, node figures filtered by status', () => {
    expect(queryStats(ix, q('')).body).toMatchObject({ nodes: 4, farms: 2, twins: 2, contracts: 4, publicIps: 2, accessNodes: 1, countries: 2, nodesDistribution: { Belgium: 3, Egypt: 1 } });
    expect(queryStats(ix, q('status=up')).body).toMatchObject({ nodes: 3, totalCru: 24, workloads_number: 13 });
  });
});
