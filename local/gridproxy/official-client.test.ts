/**
 * ThreeFold's own `@threefold/gridproxy_client` (what the dashboard and grid_client use) against our server:
 * every query it builds must decode here (a 400 would come back to it as data), and what it reads must be the
 * index. The same client runs against the local grid's daemon in test/provider/gridproxy.test.ts.
 */
import GridProxyClient, { ContractState, NodeStatus, UnifiedNodeStatus } from '@threefold/gridproxy_client';
import { fixtureIndex } from './fixture';
import { startGridProxyServer, type GridProxyServer } from './server';

const GIB = 1024 ** 3;
let server: GridProxyServer;
let client: GridProxyClient;

beforeAll(async () => {
  server = await startGridProxyServer({ index: fixtureIndex, statistics: async () => ({ total: {}, used: {} }) });
  client = new GridProxyClient(server.url);
});
afterAll(() => server.close());

it('nodes: filters, pagination and the count header', async () => {
  const up = await client.nodes.list({ status: UnifiedNodeStatus.Up, retCount: true });
  expect(up.data.map((n) => n.nodeId)).toEqual([1, 2, 4]);
  expect(up.count).toBe(3);
  const page2 = await client.nodes.list({ size: 2, page: 2, retCount: true });
  expect(page2.data.map((n) => n.nodeId)).toEqual([3, 4]);
  expect(page2.count).toBe(4);
  const big = await client.nodes.list({ freeMru: 8 * GIB, freeIps: 1, farmIds: '1', domain: true });
  expect(big.data.map((n) => n.nodeId)).toEqual([1]);
  const rented = await client.nodes.list({ rentedBy: 42, availableFor: 42 });
  expect(rented.data.map((n) => n.nodeId)).toEqual([4]);
  expect((await client.nodes.list({ country: 'Egypt', hasGpu: false })).data.map((n) => n.nodeId)).toEqual([2]);
});

it('node by id: capacity copied up by the client, its farm loaded', async () => {
  const n = await client.nodes.byId(2, { loadFarm: true, loadTwin: false });
  expect(n.nodeId).toBe(2);
  expect(n.total_resources.mru - n.used_resources.mru).toBe(2 * GIB);
  expect(n.farm?.name).toBe('Freefarm');
  expect(n.publicIps).toEqual({ total: 2, used: 1, free: 1 });
});

it('gateways, farms, twins, contracts, stats, public IPs', async () => {
  expect((await client.gateways.list({ ipv6: true })).data.map((n) => n.nodeId)).toEqual([1]);
  expect((await client.nodes.list({ status: UnifiedNodeStatus.UpStandby })).data.map((n) => n.nodeId)).toEqual([1, 2, 4]);
  expect((await client.gateways.byId(1)).publicConfig.domain).toBe('gw1.example.com');
  const farms = await client.farms.list({ freeIps: 1, retCount: true });
  expect(farms.data.map((f) => f.farmId)).toEqual([1]);
  expect(farms.count).toBe(1);
  expect((await client.farms.list({ dedicated: true, nameContains: 'DEDI' })).data.map((f) => f.name)).toEqual(['dedifarm']);
  expect((await client.twins.list({ twinId: 42 })).data).toEqual([{ twinId: 42, accountId: '5User', relay: 'relay.example.com', publicKey: '0x02' }]);
  const contracts = await client.contracts.list({ twinId: 42, state: [ContractState.Created], retCount: true });
  expect(contracts.data.map((c) => c.contract_id)).toEqual([7, 8, 9]);
  expect(contracts.count).toBe(3);
  expect((await client.contracts.list({ type: 'name' as never, name: 'web' })).data.map((c) => c.contract_id)).toEqual([8]);
  const stats = await client.stats.get({});
  expect(stats).toMatchObject({ nodes: 4, farms: 2, twins: 2, contracts: 4 });
  expect((await client.stats.get({ status: NodeStatus.Up })).nodes).toBe(3);
  expect((await client.publicIps.list({ free: true })).data.map((p) => p.ip)).toEqual(['185.69.166.10/24']);
});

it('HTTP edges: ping, strict slash, unknown path, CORS', async () => {
  expect(await (await fetch(`${server.url}/ping`)).json()).toEqual({ ping: 'pong' });
  const slash = await fetch(`${server.url}/nodes/?size=1`, { redirect: 'manual' });
  expect(slash.status).toBe(301);
  expect(slash.headers.get('location')).toBe('/nodes?size=1');
  const missing = await fetch(`${server.url}/nope`);
  expect(missing.status).toBe(404);
  expect(await missing.text()).toBe('404 page not found\n');
  const bad = await fetch(`${server.url}/nodes?bogus=1`);
  expect(bad.status).toBe(400);
  expect(bad.headers.get('access-control-allow-origin')).toBe('*');
  expect(await bad.json()).toEqual({ error: 'failed to decode params: schema: invalid path "bogus"' });
});
