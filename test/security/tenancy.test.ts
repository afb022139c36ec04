/**
 * Security (issue 16): another twin cannot read, update or cancel our deployments (the node refuses with ZOS's texts,
 * the chain with its own errors), and an old signed deployment version is refused when sent again. The attacker is
 * a real twin on the shared chain talking to a real node runtime through our relay. What test/node/node-over-rmb
 * already checks (get/changes/list of another twin) is checked here again only as part of the whole attack.
 */
import { randomBytes } from 'crypto';
import { deploymentToJson, hashDeployment, signDeployment, type Deployment } from '../../protocol/zos';
import { expectChainError } from '../helpers/chain';
import { wgKeyPair } from '../../node/backends/network/network.suite';
import { buildDeployment, GIB, SAMPLE, type WorkloadSpec } from '../node/fixtures';
import { linesWithSecrets, nodeRefusal, startSecurityGrid, type SecurityGrid } from './security-grid';

describe('security: tenancy and replay', () => {
  let g: SecurityGrid;
  const zdbPassword = `pw-${randomBytes(8).toString('hex')}`;
  const db = { ...SAMPLE.db, data: { ...SAMPLE.db.data, password: zdbPassword } };
  /** The WireGuard private keys of Alice's networks (one network per deployment: names are per twin). */
  const wgKeys: string[] = [];

  beforeAll(async () => {
    g = await startSecurityGrid('tfg-sec-tenancy-');
  });
  afterAll(async () => {
    await g?.close();
  });

  /** Alice's deployment of a disk, a zdb and a private network, ok on the node. */
  async function aliceDeployment(): Promise<{ d: Deployment; net: WorkloadSpec }> {
    const key = wgKeyPair().privateKey;
    wgKeys.push(key);
    const net = { ...SAMPLE.net, name: `net${wgKeys.length}`, data: { ...SAMPLE.net.data, wireguard_private_key: key, wireguard_listen_port: 4520 + wgKeys.length } };
    const d = await g.contracted(g.alice, [SAMPLE.disk, db, net]);
    await g.alice.node.deployment.deploy(signDeployment(d, g.alice.twinId, g.alice.account.identity));
    expect(await g.settled(g.alice, d.contract_id, 3)).toEqual({ disk: 'ok', db: 'ok', [net.name]: 'ok' });
    return { d, net };
  }

  it("refuses another twin's read, update and delete of our deployment at the node, and its cancel and update on the chain", async () => {
    const { alice, mallory } = g;
    const { d, net } = await aliceDeployment();
    const c = d.contract_id;
    // read
    expect(await nodeRefusal(mallory.node.deployment.get(c))).toBe('deployment not found');
    expect(await nodeRefusal(mallory.node.deployment.changes(c))).toBe('deployment not found');
    expect(await mallory.node.deployment.list()).toEqual([]);
    expect(await mallory.peer.callRaw(g.node.twinId, 'zos.network.list_private_ips', JSON.stringify({ network_name: 'net' }))).toBe('[]');
    // the admin and farmer commands that read or change any twin's data
    expect(await nodeRefusal(mallory.peer.callRaw(g.node.twinId, 'zos.debug.deployment.get', JSON.stringify({ deployment: `${alice.twinId}:${c}` })))).toBe('unauthorized');
    expect(await nodeRefusal(mallory.peer.callRaw(g.node.twinId, 'zos.debug.deployment.list', '{}'))).toBe('unauthorized');
    expect(await nodeRefusal(mallory.peer.callRaw(g.node.twinId, 'zos.admin.set_public_nic', '"eth1"'))).toBe('unauthorized');
    // update: Alice's twin in the body (signed by Mallory, or Alice's own signed v0 re-sent by Mallory) …
    const v1 = { ...buildDeployment(alice.twinId, c, [{ ...SAMPLE.disk, version: 1, data: { size: Number(2n * GIB) } }, db], { version: 1, metadata: d.metadata }), contract_id: c };
    const mismatch = `twin id mismatch (deployment: ${alice.twinId}, message: ${mallory.twinId})`;
    expect(await nodeRefusal(mallory.node.deployment.update(signDeployment(v1, alice.twinId, mallory.account.identity)))).toBe(mismatch);
    expect(await nodeRefusal(mallory.node.deployment.update(signDeployment(d, alice.twinId, alice.account.identity)))).toBe(mismatch);
    // … or Mallory's own twin on Alice's contract: the node keys deployments by (twin, contract), so there is none
    const hers = { ...buildDeployment(mallory.twinId, c, [SAMPLE.disk], { version: 1 }), contract_id: c };
    expect(await nodeRefusal(mallory.node.deployment.update(signDeployment(hers, mallory.twinId, mallory.account.identity)))).toBe('twin not found: deployment does not exist');
    // delete is disabled for everyone; a deploy of her own on Alice's contract fails the chain check and touches nothing of Alice's
    expect(await nodeRefusal(mallory.node.deployment.delete(c))).toBe('deletion over the api is disabled, please cancel your contract instead');
    const squat = { ...buildDeployment(mallory.twinId, c, [SAMPLE.disk]), contract_id: c };
    await mallory.node.deployment.deploy(signDeployment(squat, mallory.twinId, mallory.account.identity));
    expect(await g.settled(mallory, c, 1)).toEqual({ disk: 'error: contract hash does not match deployment hash' });
    // the chain: cancel and update of Alice's contract by Mallory
    await expectChainError(mallory.account.chain.cancelContract(Number(c)), 'smartContractModule', 'TwinNotAuthorizedToCancelContract');
    await expectChainError(mallory.account.chain.updateNodeContract({ contractId: Number(c), hash: hashDeployment(hers) }), 'smartContractModule', 'TwinNotAuthorizedToUpdateContract');
    // Alice's deployment is untouched: same version, same contract hash, every workload ok
    const got = await alice.node.deployment.get(c);
    expect(got.version).toBe(0);
    expect(Object.fromEntries(got.workloads.map((w) => [w.name, w.result.state]))).toEqual({ disk: 'ok', db: 'ok', [net.name]: 'ok' });
    const onChain = await g.chain.getContract(Number(c));
    expect(onChain).toMatchObject({ type: 'node', twinId: alice.twinId, state: 'created', deploymentHash: hashDeployment(d) });
  });

  it('keeps our gateway names: another twin can neither reserve ours, nor serve it by name or by FQDN', async () => {
    const { alice, mallory } = g;
    const name = `sec${g.grid.tag}`;
    const fqdn = `${name}.n1-${g.grid.tag}.grid.local`;
    await alice.account.chain.createNameContract(name);
    const web = { ...SAMPLE.web, data: { ...SAMPLE.web.data, name } };
    const d = await g.contracted(alice, [web]);
    await alice.node.deployment.deploy(signDeployment(d, alice.twinId, alice.account.identity));
    expect(await g.settled(alice, d.contract_id, 1)).toEqual({ web: 'ok' });
    await expectChainError(mallory.account.chain.createNameContract(name), 'smartContractModule', 'NameExists');
    const byName = await g.contracted(mallory, [web]);
    await mallory.node.deployment.deploy(signDeployment(byName, mallory.twinId, mallory.account.identity));
    expect(await g.settled(mallory, byName.contract_id, 1)).toEqual({ web: 'error: failed to verify name contract: twin id mismatch' });
    const site = { ...SAMPLE.site, data: { ...SAMPLE.site.data, fqdn, tls_passthrough: false, backends: ['http://10.20.2.5:8080'] } };
    const byFqdn = await g.contracted(mallory, [site]);
    await mallory.node.deployment.deploy(signDeployment(byFqdn, mallory.twinId, mallory.account.identity));
    expect(await g.settled(mallory, byFqdn.contract_id, 1)).toEqual({ site: "error: can't create a fqdn workload with a subdomain of the gateway's managed domain" });
    // an FQDN of Alice's own domain, served by her FQDN proxy, cannot be taken on the same node either
    const shop = { ...site, data: { ...site.data, fqdn: `shop-${g.grid.tag}.example.test` } };
    const hers = await g.contracted(alice, [shop]);
    await alice.node.deployment.deploy(signDeployment(hers, alice.twinId, alice.account.identity));
    expect(await g.settled(alice, hers.contract_id, 1)).toEqual({ site: 'ok' });
    const taken = await g.contracted(mallory, [shop]);
    await mallory.node.deployment.deploy(signDeployment(taken, mallory.twinId, mallory.account.identity));
    expect(await g.settled(mallory, taken.contract_id, 1)).toEqual({ site: `error: domain already registered: ${shop.data.fqdn}` });
    expect(await g.settled(alice, d.contract_id, 1)).toEqual({ web: 'ok' });
    expect(await g.settled(alice, hers.contract_id, 1)).toEqual({ site: 'ok' });
  });

  it('refuses an old signed deployment version sent again, as an update or a deploy', async () => {
    const { alice } = g;
    const { d, net } = await aliceDeployment();
    const c = d.contract_id;
    const signedV0 = signDeployment(d, alice.twinId, alice.account.identity);
    const v1 = { ...buildDeployment(alice.twinId, c, [{ ...SAMPLE.disk, version: 1, data: { size: Number(2n * GIB) } }, db, net], { version: 1, metadata: d.metadata }), contract_id: c };
    const signedV1 = signDeployment(v1, alice.twinId, alice.account.identity);
    await alice.account.chain.updateNodeContract({ contractId: Number(c), hash: hashDeployment(v1) });
    await alice.node.deployment.update(signedV1);
    expect(await g.settled(alice, c, 3)).toEqual({ disk: 'ok', db: 'ok', [net.name]: 'ok' });
    // version N+1 again, version N again, and N as a fresh deploy
    expect(await nodeRefusal(alice.node.deployment.update(signedV1))).toBe('expecting deployment version 2, got 1: upgrade validation error');
    expect(await nodeRefusal(alice.node.deployment.update(signedV0))).toBe('expecting deployment version 2, got 0: upgrade validation error');
    expect(await nodeRefusal(alice.node.deployment.deploy(signedV0))).toBe('exists');
    // the raw signed v0 body, byte for byte as first sent
    expect(await nodeRefusal(alice.peer.callRaw(g.node.twinId, 'zos.deployment.update', deploymentToJson(signedV0)))).toBe('expecting deployment version 2, got 0: upgrade validation error');
    // an old body with a bumped version but its old signature: the signature no longer matches
    const bumped = { ...(JSON.parse(deploymentToJson(signedV0)) as Record<string, unknown>), version: 2 };
    expect(await nodeRefusal(alice.peer.callRaw(g.node.twinId, 'zos.deployment.update', JSON.stringify(bumped)))).toBe('failed to verify signature');
    const got = await alice.node.deployment.get(c);
    expect(got.version).toBe(1);
    expect(got.workloads.find((w) => w.name === 'disk')).toMatchObject({ version: 1, data: { size: 2n * GIB } });
  });

  it('leaves no key seed or workload secret in the node and relay logs of these runs', () => {
    expect(g.logs.length).toBeGreaterThan(10);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const secrets = [hex(g.alice.account.identity.seed), hex(g.mallory.account.identity.seed), hex(g.grid.nodes[0].identity.seed), hex(g.grid.farmer.seed), zdbPassword, ...wgKeys];
    expect(wgKeys.length).toBe(2);
    expect(linesWithSecrets([`info zdb ${JSON.stringify({ password: zdbPassword })}`], secrets)).toHaveLength(1); // the scan finds what it looks for
    expect(linesWithSecrets(g.logs, secrets)).toEqual([]);
  });
});
