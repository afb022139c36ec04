/**
 * Node discovery through the grid proxy (issue 14), on the provider grid (shared local chain, our relay, sim node
 * runtimes, and the grid proxy of local/gridproxy as `tfgrid local up` runs it):
 * - ThreeFold's own `@threefold/gridproxy_client` reads this grid's farm, nodes (filters, pagination, count),
 *   node by id, twins, contracts and stats, consistent with the chain;
 * - a contract created or cancelled shows at once; a stopped node turns `down` within a few seconds;
 * - the provider's `findNodes` (NodePicker, sdk findNodes) resolves through the proxy with no RMB call, where the
 *   chain path asks every node; with the proxy unreachable it falls back to that path and says so.
 */
import GridProxyClient, { ContractState, UnifiedNodeStatus } from '@threefold/gridproxy_client';
import { identityFromSecret } from '../../protocol/common/identity';
import type { ChainClient } from '../../protocol/chain';
import { findNodes, nodePickerInputsSchema, pickBest } from '../../provider/resources/node-picker';
import { startProviderGrid, type GridUser, type ProviderGrid } from './provider-grid';

jest.setTimeout(120_000);

const GIB = 1024 ** 3;
const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 20_000) => {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

describe('the grid proxy on the provider grid', () => {
  let g: ProviderGrid;
  let user: GridUser;
  let userChain: ChainClient;
  let client: GridProxyClient;
  let farmId: number;

  beforeAll(async () => {
    g = await startProviderGrid({ nodes: 3 });
    user = await g.user();
    userChain = await g.chain.withSigner(identityFromSecret(user.seed, user.keyType));
    await userChain.ensureTwin({ relay: '127.0.0.1' });
    client = new GridProxyClient(g.gridProxy.url);
    farmId = g.testGrid.farmId;
    await waitFor('every node of the grid reported', async () => (await client.nodes.list({ farmIds: String(farmId), status: UnifiedNodeStatus.Up })).data.length === 3);
  });
  afterAll(async () => {
    await g?.close();
  });

  it('the official client reads farms, nodes, node by id, twins and stats as the chain has them', async () => {
    const [farm] = (await client.farms.list({ farmId })).data;
    const chainFarm = await g.chain.getFarm(farmId);
    expect(farm).toMatchObject({ farmId, name: chainFarm?.name, twinId: chainFarm?.twinId, dedicated: false });
    expect(farm.publicIps.map((p) => p.ip).sort()).toEqual(chainFarm?.publicIps.map((p) => p.ip).sort());

    const page1 = await client.nodes.list({ farmIds: String(farmId), size: 2, page: 1, retCount: true });
    const page2 = await client.nodes.list({ farmIds: String(farmId), size: 2, page: 2, retCount: true });
    expect(page1.count).toBe(3);
    expect([...page1.data, ...page2.data].map((n) => n.nodeId)).toEqual(g.nodeIds);
    const gateways = await client.nodes.list({ farmIds: String(farmId), domain: true, freeIps: 1, status: UnifiedNodeStatus.Up });
    expect(gateways.data.map((n) => n.nodeId)).toEqual([g.nodeIds[0]]);

    const n = await client.nodes.byId(g.nodeIds[1]);
    const chainNode = await g.chain.getNode(g.nodeIds[1]);
    expect(n).toMatchObject({ nodeId: g.nodeIds[1], farmId, twinId: chainNode?.twinId, status: 'up' });
    expect(n.total_resources.mru).toBe(Number(chainNode?.resources.mru));
    expect(await client.nodes.statsById(g.nodeIds[1])).toMatchObject({ total: { mru: 32 * GIB } });

    const [twin] = (await client.twins.list({ twinId: chainNode?.twinId })).data;
    expect(twin.accountId).toBe((await g.chain.getTwin(chainNode?.twinId ?? 0)).accountId);
    const stats = await client.stats.get({});
    expect(stats.nodes).toBeGreaterThanOrEqual(3);
    expect(stats.farms).toBeGreaterThanOrEqual(1);
  });

  it('a contract created shows at once; cancelled, it is listed Deleted', async () => {
    const twinId = (await userChain.myTwinId()) ?? 0;
    const name = `gp${Date.now().toString(36)}`;
    const c = await userChain.createNameContract(name);
    const listed = await client.contracts.list({ twinId, state: [ContractState.Created] });
    expect(listed.data.map((x) => x.contract_id)).toContain(c.contractId);
    expect((await client.contracts.list({ name, type: 'name' as never })).data.map((x) => x.contract_id)).toEqual([c.contractId]);
    await userChain.cancelContract(c.contractId);
    const after = await client.contracts.list({ contractId: c.contractId } as never);
    expect(after.data.map((x) => x.state)).toEqual(['Deleted']);
  });

  it('the provider finds nodes through the proxy: no RMB call, the same choice as the chain path', async () => {
    const conn = await g.connect(user);
    const f = nodePickerInputsSchema.parse({ farmId, memory: '1GiB', domain: true, publicIpv4: 1 });
    const viaProxy = await findNodes(conn.deps, f);
    expect(viaProxy.map((c) => c.node.nodeId)).toEqual([g.nodeIds[0]]);
    expect(conn.counters.rmbCalls).toBe(0);

    const all = nodePickerInputsSchema.parse({ farmId, exclude: [g.nodeIds[2]] });
    const proxyPick = await findNodes(conn.deps, all);
    expect(proxyPick.map((c) => c.node.nodeId).sort((a, b) => a - b)).toEqual(g.nodeIds.slice(0, 2));
    expect(conn.counters.rmbCalls).toBe(0);
    // Without the proxy: the chain is read farm by farm and every node of the grid is asked over RMB.
    const { gridProxy: _proxy, ...chainOnly } = conn.deps;
    void _proxy;
    const chainPick = await findNodes(chainOnly, all);
    expect(chainPick.map((c) => c.node.nodeId).sort((a, b) => a - b)).toEqual(g.nodeIds.slice(0, 2));
    expect(conn.counters.rmbCalls).toBeGreaterThanOrEqual(2);
    expect(pickBest(proxyPick, all)?.node.nodeId).toBe(pickBest(chainPick, all)?.node.nodeId);
  });

  it('an unreachable proxy: the chain path, said in a log line', async () => {
    const conn = await g.connect(user, { 'tfgrid:gridProxyUrl': 'http://127.0.0.1:1' });
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
    const f = nodePickerInputsSchema.parse({ farmId, domain: true });
    let found: Awaited<ReturnType<typeof findNodes>>;
    try {
      found = await findNodes(conn.deps, f);
    } finally {
      process.stderr.write = write;
    }
    // the chain path lists every reachable node; the filter picks
    expect(pickBest(found, f)?.node.nodeId).toBe(g.nodeIds[0]);
    expect(conn.counters.rmbCalls).toBeGreaterThanOrEqual(3);
    expect(lines.join('')).toMatch(/grid proxy http:\/\/127\.0\.0\.1:1 unreachable: .*finding nodes from the chain and asking each node over RMB instead/);
  });

  it('a stopped node turns down within seconds and is no longer found', async () => {
    const last = g.nodeIds[2];
    await g.runtimes[2].close();
    await waitFor(`node ${last} down`, async () => (await client.nodes.byId(last)).status === 'down', 30_000);
    const conn = await g.connect(user);
    const found = await findNodes(conn.deps, nodePickerInputsSchema.parse({ farmId }));
    expect(found.map((c) => c.node.nodeId)).not.toContain(last);
  });
});
