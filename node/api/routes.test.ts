/**
 * The node API table (zos-protocol.md §5.2): every full-node command answers with the documented shape,
 * deployments are scoped to the source twin, admin commands to the farmer, debug to admin twins.
 */
import { systemClock } from '../../protocol/common/clock';
import { buildDeployment, FARMER_TWIN, NODE_ID, SAMPLE, signedPayload, simNode, startSimNode, tempDir, testIdentity, type SimNodeHarness } from '../../test/node/fixtures';
import { API_ERRORS, createRoutes, dispatch, FULL_NODE_FEATURES } from './routes';

const alice = testIdentity(1);
const ALICE = 7;
const BOB = 8;
const ADMIN = 4;

/** Every command of §5.2 a full node serves. */
const FULL_NODE_COMMANDS = [
  'zos.deployment.deploy',
  'zos.deployment.update',
  'zos.deployment.get',
  'zos.deployment.list',
  'zos.deployment.changes',
  'zos.deployment.delete',
  'zos.statistics.get',
  'zos.storage.pools',
  'zos.gpu.list',
  'zos.network.list_wg_ports',
  'zos.network.public_config_get',
  'zos.network.interfaces',
  'zos.network.has_ipv6',
  'zos.network.list_public_ips',
  'zos.network.list_private_ips',
  'zos.system.version',
  'zos.system.dmi',
  'zos.system.hypervisor',
  'zos.system.diagnostics',
  'zos.system.node_features_get',
  'zos.perf.get',
  'zos.perf.get_all',
  'zos.location.get',
  'zos.admin.interfaces',
  'zos.admin.get_public_nic',
  'zos.admin.set_public_nic',
  'zos.debug.deployment.list',
  'zos.debug.deployment.get',
  'zos.debug.deployment.history',
];

describe('node API routes', () => {
  let h: SimNodeHarness;
  const call = async (twin: number, cmd: string, payload: unknown = null) => {
    const r = await dispatch(h.routes, cmd, twin, typeof payload === 'string' ? payload : JSON.stringify(payload));
    if (!r.ok) throw new Error(r.error);
    return JSON.parse(r.body) as unknown;
  };
  const fails = async (twin: number, cmd: string, payload: unknown = null) => {
    const r = await dispatch(h.routes, cmd, twin, typeof payload === 'string' ? payload : JSON.stringify(payload));
    return r.ok ? undefined : r.error;
  };

  beforeAll(async () => {
    h = await startSimNode('tfg-api-', { [ALICE]: alice });
    const d = buildDeployment(ALICE, 40n, [SAMPLE.disk, SAMPLE.net, SAMPLE.db, SAMPLE.pip]);
    h.chain.contractFor(d, NODE_ID, { publicIps: [{ ip: '185.69.0.20/24', gateway: '185.69.0.1' }] });
    expect(await call(ALICE, 'zos.deployment.deploy', signedPayload(d, alice))).toBeNull();
    await h.engine.idle();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves every full-node command of §5.2', () => {
    expect(Object.keys(h.routes).sort()).toEqual([...FULL_NODE_COMMANDS].sort());
  });

  it('answers an unknown command with `function is not found`', async () => {
    expect(await fails(ALICE, 'zos.deployment.nope')).toBe('function is not found');
    expect(await fails(ALICE, 'constructor')).toBe('function is not found');
  });

  it('returns the deployment to its twin only, with every workload field', async () => {
    const got = (await call(ALICE, 'zos.deployment.get', { contract_id: 40 })) as { contract_id: number; expiration: number; workloads: Record<string, unknown>[] };
    expect(got.contract_id).toBe(40);
    expect(got.expiration).toBe(0);
    for (const w of got.workloads) expect(Object.keys(w)).toEqual(['version', 'name', 'type', 'data', 'metadata', 'description', 'result']);
    expect(await fails(BOB, 'zos.deployment.get', { contract_id: 40 })).toBe('deployment not found');
    expect(await fails(BOB, 'zos.deployment.changes', { contract_id: 40 })).toBe('deployment not found');
    expect(await call(BOB, 'zos.deployment.list')).toEqual([]);
    expect((await call(ALICE, 'zos.deployment.list')) as unknown[]).toHaveLength(1);
  });

  it('keeps data as sent, compacted with Go escaping', async () => {
    const d = buildDeployment(ALICE, 41n, [{ name: 'd', type: 'zmount', data: { size: 1024 } }]);
    h.chain.contractFor(d, NODE_ID);
    const payload = signedPayload(d, alice).replace('"size":1024', '"size" : 1024, "note": "<a&b>"');
    await call(ALICE, 'zos.deployment.deploy', payload);
    const r = await dispatch(h.routes, 'zos.deployment.get', ALICE, '{"contract_id":41}');
    expect(r.ok && r.body).toContain('"data":{"size":1024,"note":"\\u003ca\\u0026b\\u003e"}');
  });

  it('refuses deletion over the API', async () => {
    expect(await fails(ALICE, 'zos.deployment.delete', { contract_id: 40 })).toBe(API_ERRORS.deleteDisabled);
  });

  it('reports statistics, pools, gpus and features', async () => {
    const s = (await call(ALICE, 'zos.statistics.get')) as Record<string, Record<string, number>>;
    expect(Object.keys(s)).toEqual(['total', 'used', 'system', 'users', 'open_connections']);
    expect(Object.keys(s.total)).toEqual(['cru', 'sru', 'hru', 'mru', 'ipv4u']);
    expect(s.used.hru).toBe(1 << 30);
    expect(s.used.ipv4u).toBe(1);
    expect(s.users.deployments).toBeGreaterThanOrEqual(1);
    const pools = (await call(ALICE, 'zos.storage.pools')) as { type: string }[];
    expect(pools.map((p) => p.type)).toEqual(['ssd', 'hdd']);
    expect(await call(ALICE, 'zos.gpu.list')).toEqual([]);
    expect(await call(ALICE, 'zos.system.node_features_get')).toEqual([...FULL_NODE_FEATURES]);
  });

  it('answers the network commands', async () => {
    expect(await call(ALICE, 'zos.network.list_wg_ports')).toEqual([4521]);
    expect(await call(ALICE, 'zos.network.public_config_get')).toMatchObject({ type: 'macvlan', ipv4: '185.69.0.11/24', domain: 'gw11.grid.test' });
    expect(await call(ALICE, 'zos.network.has_ipv6')).toBe(false);
    expect(await call(ALICE, 'zos.network.list_public_ips')).toEqual(['185.69.0.20/24']);
    expect(await call(ALICE, 'zos.network.interfaces')).toEqual({ zos: ['185.69.0.11'], ygg: [] });
    expect(await call(ALICE, 'zos.network.list_private_ips', { network_name: 'net' })).toEqual([]);
  });

  it('says `no public configuration` on a node without one', async () => {
    const t = tempDir('tfg-api2-');
    const node = simNode(t.dir, h.chain, { publicConfig: undefined });
    const r = createRoutes({ engine: h.engine, facts: node.facts, backends: node.backends, clock: systemClock });
    expect(await dispatch(r, 'zos.network.public_config_get', ALICE, '')).toEqual({ ok: false, error: 'no public configuration' });
    t.remove();
  });

  it('answers the system commands', async () => {
    expect(await call(ALICE, 'zos.system.version')).toEqual({ zos: expect.any(String), zinit: expect.any(String) });
    expect(typeof (await call(ALICE, 'zos.system.hypervisor'))).toBe('string');
    expect(await call(ALICE, 'zos.system.diagnostics')).toMatchObject({ system_status_ok: true, healthy: true });
    expect(await call(ALICE, 'zos.system.dmi')).toMatchObject({ tooling: expect.any(Object), sections: expect.any(Array) });
    expect(Object.keys((await call(ALICE, 'zos.location.get')) as object)).toEqual(['longitude', 'latitude', 'continent', 'country_name', 'country_code', 'city_name']);
    expect(await call(ALICE, 'zos.perf.get', { name: 'healthcheck' })).toMatchObject({ name: 'healthcheck', timestamp: expect.any(Number) });
    expect(await call(ALICE, 'zos.perf.get_all')).toHaveLength(1);
  });

  it('lets only the farmer use admin commands', async () => {
    for (const cmd of ['zos.admin.interfaces', 'zos.admin.get_public_nic', 'zos.admin.set_public_nic']) {
      expect(await fails(ALICE, cmd, '"eth1"')).toBe('unauthorized');
    }
    expect(await call(FARMER_TWIN, 'zos.admin.set_public_nic', '"eth1"')).toBeNull();
    expect(await call(FARMER_TWIN, 'zos.admin.get_public_nic')).toEqual({ is_single: false, is_dual: true, dual_interface: 'eth1' });
    expect(await call(FARMER_TWIN, 'zos.admin.interfaces')).toHaveProperty('zos');
  });

  it('lets only admin twins use debug commands', async () => {
    expect(await fails(ALICE, 'zos.debug.deployment.list')).toBe('unauthorized');
    const l = (await call(ADMIN, 'zos.debug.deployment.list', { twin_id: ALICE })) as { deployments: { twin_id: number; contract_id: number }[] };
    expect(l.deployments.map((d) => d.contract_id)).toEqual([40, 41]);
    expect(await call(ADMIN, 'zos.debug.deployment.get', { deployment: `${ALICE}:40` })).toHaveProperty('deployment.contract_id', 40);
    expect(((await call(ADMIN, 'zos.debug.deployment.history', { deployment: `${ALICE}:40` })) as { history: unknown[] }).history.length).toBeGreaterThan(3);
  });

  it('decodes payloads the Go way', async () => {
    expect(await fails(ALICE, 'zos.deployment.get', { contract_id: 'x' })).toBe('json: cannot unmarshal string into Go struct field struct.contract_id of type uint64');
    expect(await fails(ALICE, 'zos.deployment.get', '{"contract_id":')).toBe('unexpected end of JSON input');
    expect(await call(ALICE, 'zos.deployment.get', { CONTRACT_ID: 40, extra: [1] })).toHaveProperty('contract_id', 40);
  });
});
