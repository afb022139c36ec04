/**
 * A node driven like a real one: the shared local chain (contracts, twins, cancel events), our relay, and a
 * user's RMB peer with the typed node client. Covers zos-protocol.md §3.1 (create/update/cancel flow),
 * §3.2/§3.3 error texts as clients see them, §5 scoping, rmb-tfchain.md §B5 contract checks.
 */
import { randomBytes } from 'crypto';
import type { ChainClient } from '../../protocol/chain';
import { RmbError } from '../../protocol/common/errors';
import { createLineLogger } from '../../protocol/common/log';
import { createNodeClient, type NodeClient } from '../../protocol/rmb/node-client';
import { createRmbPeer, type RmbPeer } from '../../protocol/rmb/peer';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { hashDeployment, signDeployment, type Deployment } from '../../protocol/zos';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestAccount, type TestGrid } from '../helpers/chain';
import { brokenPayloads } from './broken-payloads';
import { buildDeployment, chainNodeConfig, GIB, SAMPLE, tempDir, type WorkloadSpec } from './fixtures';

interface User {
  account: TestAccount;
  twinId: number;
  peer: RmbPeer;
  node: NodeClient;
}

const TERMINAL = new Set(['ok', 'error']);
/** `TFG_DEBUG=1` prints node, relay and peer logs. */
const debugLog = process.env.TFG_DEBUG ? createLineLogger((l) => process.stderr.write(l + '\n'), { level: 'debug' }) : undefined;

describe('node over RMB and the local chain', () => {
  let chain: ChainClient;
  let grid: TestGrid;
  let relay: Relay;
  let node: NodeRuntime;
  let alice: User;
  let bob: User;
  let tmp: { dir: string; remove(): void };

  async function makeUser(): Promise<User> {
    const account = await freshAccount(chain, { type: 'sr25519' });
    const twin = await account.chain.ensureTwin({ relay: 'localhost' });
    const peer = createRmbPeer({ identity: account.identity, twinId: twin.id, relayUrls: [relay.url], directory: createChainTwinDirectory(chain), timeoutMs: 20_000, log: debugLog });
    await peer.ready();
    return { account, twinId: twin.id, peer, node: createNodeClient(peer, node.twinId) };
  }

  beforeAll(async () => {
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 2 });
    relay = await createRelay({ port: 0, host: '127.0.0.1', directory: createChainTwinDirectory(chain), domain: 'localhost', log: debugLog });
    tmp = tempDir('tfg-node-rmb-');
    const n = grid.nodes[0];
    const config = chainNodeConfig(
      tmp.dir,
      n.identity,
      { chainUrl: await testChainUrl(), relayUrl: relay.url },
      {
        node: { id: n.id, farmId: grid.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        publicConfig: { ipv4: '185.69.0.50/24', gw4: '185.69.0.1', domain: `n1-${grid.tag}.grid.local` },
      },
    );
    node = await createNodeRuntime(config, { chain, log: debugLog });
    await node.peer.ready();
    alice = await makeUser();
    bob = await makeUser();
  });

  afterAll(async () => {
    for (const u of [alice, bob]) await u?.peer.close();
    await node?.close();
    await relay?.close();
    await chain?.close();
    tmp?.remove();
  });

  /** Contract on chain for `d` (hash unless told), contract id set, signed. */
  async function contracted(user: User, workloads: WorkloadSpec[], opts: { nodeId?: number; hash?: string; publicIps?: number } = {}): Promise<Deployment> {
    const d = buildDeployment(user.twinId, 0n, workloads, { metadata: randomBytes(6).toString('hex') });
    const c = await user.account.chain.createNodeContract({ nodeId: opts.nodeId ?? node.nodeId, hash: opts.hash ?? hashDeployment(d), publicIps: opts.publicIps ?? 0 });
    return { ...d, contract_id: BigInt(c.contractId) };
  }

  /** Polls `get` until exactly the workloads `names` (or `names` many) are there, each ok or error. */
  async function settled(user: User, contractId: bigint, names: number | string[]): Promise<Record<string, string>> {
    const want = typeof names === 'number' ? undefined : [...names].sort().join(',');
    for (let i = 0; i < 200; i++) {
      const got = await user.node.deployment.get(contractId);
      const states = got.workloads.map((w) => w.result.state);
      const have = got.workloads
        .map((w) => w.name)
        .sort()
        .join(',');
      const complete = want === undefined ? got.workloads.length === names : have === want;
      if (complete && states.every((s) => TERMINAL.has(s))) {
        return Object.fromEntries(got.workloads.map((w) => [w.name, w.result.message ? `${w.result.state}: ${w.result.message}` : w.result.state]));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`deployment ${contractId} did not settle`);
  }

  const rejection = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(RmbError);
      return String((err as RmbError).context.nodeMessage);
    }
    throw new Error('expected a node error');
  };

  it('creates every workload type, updates and removes them, and cancels', async () => {
    const name = `web${grid.tag}`;
    await alice.account.chain.createNameContract(name);
    const all: WorkloadSpec[] = [SAMPLE.disk, SAMPLE.vol, SAMPLE.net, SAMPLE.pip, SAMPLE.db, SAMPLE.vm, SAMPLE.logs, { ...SAMPLE.web, data: { ...SAMPLE.web.data, name } }];
    const d = await contracted(alice, all, { publicIps: 1 });
    await alice.node.deployment.deploy(signDeployment(d, alice.twinId, alice.account.identity));
    expect(await settled(alice, d.contract_id, all.length)).toEqual(Object.fromEntries(all.map((w) => [w.name, 'ok'])));
    const got = await alice.node.deployment.get(d.contract_id);
    expect(got.workloads.find((w) => w.name === 'pip')?.result.data).toMatchObject({ ip: grid.farmIps[0].ip, gateway: grid.farmIps[0].gw });
    expect(got.workloads.find((w) => w.name === 'web')?.result.data).toEqual({ fqdn: `${name}.n1-${grid.tag}.grid.local` });
    expect(await alice.node.network.listPrivateIps('net')).toEqual(['10.20.2.5']);

    // v1: grow the zdb, add a volume, drop zlogs
    const next = buildDeployment(
      alice.twinId,
      d.contract_id,
      [
        ...all.filter((w) => w.name !== 'logs' && w.name !== 'db').map((w) => ({ ...w, version: 0 })),
        { ...SAMPLE.db, version: 1, data: { ...SAMPLE.db.data, size: Number(2n * GIB) } },
        { name: 'vol2', type: 'volume', data: { size: Number(GIB) }, version: 1 },
      ],
      { version: 1, metadata: d.metadata },
    );
    const v1 = { ...next, contract_id: d.contract_id };
    await alice.account.chain.updateNodeContract({ contractId: Number(d.contract_id), hash: hashDeployment(v1) });
    await alice.node.deployment.update(signDeployment(v1, alice.twinId, alice.account.identity));
    const names = [...all.map((w) => w.name).filter((n) => n !== 'logs' && n !== 'db'), 'db', 'vol2'];
    expect(await settled(alice, d.contract_id, names)).toEqual(Object.fromEntries(names.map((n) => [n, 'ok'])));
    const db = (await alice.node.deployment.get(d.contract_id)).workloads.find((w) => w.name === 'db');
    expect(db).toMatchObject({ version: 1, result: { state: 'ok' } });
    const changes = await alice.node.deployment.changes(d.contract_id);
    expect(changes.filter((w) => w.name === 'logs').map((w) => w.result.state)).toEqual(['init', 'ok', 'deleted']);

    // cancel on chain: the node hears the event and forgets the deployment
    await alice.account.chain.cancelContract(Number(d.contract_id));
    let gone = '';
    for (let i = 0; i < 100 && !gone; i++) {
      gone = await rejection(alice.node.deployment.get(d.contract_id)).catch(() => '');
      if (!gone) await new Promise((r) => setTimeout(r, 200));
    }
    expect(gone).toBe('deployment not found');
  });

  it('marks every workload error on a hash mismatch, a wrong node and an unknown contract', async () => {
    const wrongHash = await contracted(alice, [SAMPLE.disk, SAMPLE.vol], { hash: randomBytes(16).toString('hex') });
    await alice.node.deployment.deploy(signDeployment(wrongHash, alice.twinId, alice.account.identity));
    expect(await settled(alice, wrongHash.contract_id, 2)).toEqual({ disk: 'error: contract hash does not match deployment hash', vol: 'error: contract hash does not match deployment hash' });

    const otherNode = await contracted(alice, [SAMPLE.disk], { nodeId: grid.nodes[1].id });
    await alice.node.deployment.deploy(signDeployment(otherNode, alice.twinId, alice.account.identity));
    expect(await settled(alice, otherNode.contract_id, 1)).toEqual({ disk: 'error: invalid node address in contract' });

    const unknown = { ...buildDeployment(alice.twinId, 0n, [SAMPLE.disk]), contract_id: 4_000_000_000n };
    await alice.node.deployment.deploy(signDeployment(unknown, alice.twinId, alice.account.identity));
    const states = await settled(alice, unknown.contract_id, 1);
    expect(states.disk).toMatch(/^error: failed to get deployment contract: /);
  });

  it('answers synchronous errors with the node texts and keeps other twins out', async () => {
    const d = await contracted(alice, [SAMPLE.disk]);
    expect(await rejection(bob.node.deployment.deploy(signDeployment(d, alice.twinId, alice.account.identity)))).toBe(`twin id mismatch (deployment: ${alice.twinId}, message: ${bob.twinId})`);
    expect(await rejection(alice.node.deployment.deploy(signDeployment(d, alice.twinId, bob.account.identity)))).toBe('failed to verify signature');
    await alice.node.deployment.deploy(signDeployment(d, alice.twinId, alice.account.identity));
    expect(await settled(alice, d.contract_id, 1)).toEqual({ disk: 'ok' });
    expect(await rejection(alice.node.deployment.deploy(signDeployment(d, alice.twinId, alice.account.identity)))).toBe('exists');
    expect(await rejection(bob.node.deployment.get(d.contract_id))).toBe('deployment not found');
    expect(await rejection(bob.node.deployment.changes(d.contract_id))).toBe('deployment not found');
    expect(await bob.node.deployment.list()).toEqual([]);
    expect(await rejection(alice.node.deployment.delete(d.contract_id))).toBe('deletion over the api is disabled, please cancel your contract instead');
    expect(await rejection(alice.node.admin.interfaces())).toBe('unauthorized');
    expect(await rejection(alice.peer.call(node.twinId, 'zos.no.such'))).toBe('function is not found');
    const stats = await alice.node.statistics.get();
    expect(stats.used.sru).toBeGreaterThanOrEqual(GIB);
  });

  it('answers 200+ broken payloads sent through the relay with errors and keeps serving', async () => {
    const payloads = brokenPayloads(alice.twinId, alice.account.identity).filter((p) => !p.big && !/^unknown fields [01]$/.test(p.label));
    expect(payloads.length).toBeGreaterThanOrEqual(200);
    const commands = ['zos.deployment.deploy', 'zos.deployment.update', 'zos.deployment.get'];
    let errors = 0;
    for (const p of payloads) {
      for (const command of commands) {
        if (command === 'zos.deployment.get' && !/^(truncated|random bytes|nested)/.test(p.label)) continue;
        const text = await rejection(alice.peer.callRaw(node.twinId, command, p.text));
        expect(text.length).toBeGreaterThan(0);
        errors++;
      }
    }
    expect(errors).toBeGreaterThanOrEqual(400);
    expect((await alice.node.system.version()).zos).toEqual(expect.any(String));
    const d = await contracted(alice, [SAMPLE.disk]);
    await alice.node.deployment.deploy(signDeployment(d, alice.twinId, alice.account.identity));
    expect(await settled(alice, d.contract_id, 1)).toEqual({ disk: 'ok' });
  });

  it('registers its twin and node on chain when asked, then serves', async () => {
    const account = await freshAccount(chain, { type: 'ed25519' });
    const t = tempDir('tfg-node-reg-');
    const registered = await createNodeRuntime(
      chainNodeConfig(
        t.dir,
        account.identity,
        { chainUrl: await testChainUrl(), relayUrl: relay.url },
        {
          relay: { urls: [relay.url], host: 'localhost' },
          node: { farmId: grid.farmId },
          register: true,
          resources: { cru: 4, mru: '8GiB', sru: '100GiB', hru: '1TiB' },
        },
      ),
      { chain },
    );
    try {
      await registered.peer.ready();
      const onChain = await chain.getNode(registered.nodeId);
      expect(onChain).toMatchObject({ farmId: grid.farmId, twinId: registered.twinId });
      expect((await chain.findTwin(registered.twinId))?.relay).toBe('localhost');
      expect(registered.facts.farmerTwinId).toBe((await chain.getFarm(grid.farmId))?.twinId);
      const version = await createNodeClient(alice.peer, registered.twinId).system.version();
      expect(version.zos).toEqual(expect.any(String));
    } finally {
      await registered.close();
      t.remove();
    }
  });
});
