/**
 * Crash safety (zos-protocol.md §3.8, docs/style.md §3): `tfgrid node run` as a child process is killed with
 * SIGKILL while it provisions a 20-workload deployment, then restarted on the same data directory. Every
 * workload keeps its last durable state, the queued job finishes, nothing is lost or duplicated. Then the same
 * at random points, three kills in a row on one deployment: every workload ends ok (or error with a reason), none
 * is lost or written twice, and no node process is left behind. The sim backend has no namespaces or mounts to
 * leak; the linux backend's would be checked in its own suite (`ip netns`, /proc/mounts under the data dir).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Database from 'better-sqlite3';
import type { ChainClient } from '../../protocol/chain';
import { createNodeClient, type NodeClient } from '../../protocol/rmb/node-client';
import { createRmbPeer, type RmbPeer } from '../../protocol/rmb/peer';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { hashDeployment, signDeployment } from '../../protocol/zos';
import { bootstrapTestGrid, connectTestChain, freshAccount, testChainUrl, type TestAccount, type TestGrid } from '../helpers/chain';
import { buildDeployment, GIB, tempDir, type WorkloadSpec } from './fixtures';
import { startNodeProcess as startNode, type NodeProcess as Running } from './node-process';

const WORKLOADS: WorkloadSpec[] = Array.from({ length: 20 }, (_, i) =>
  i % 4 === 3
    ? { name: `db${i}`, type: 'zdb', data: { size: Number(GIB), mode: 'user', password: `p${i}`, public: false } }
    : { name: `disk${i}`, type: i % 2 ? 'volume' : 'zmount', data: { size: Number(BigInt(i + 1) * GIB) } },
);

/** PIDs of processes running `tfgrid node run` on `configFile` (read from /proc; nothing is signalled). */
function nodeProcessesOn(configFile: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(configFile)) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The durable state straight from the node's SQLite file: transactions per workload, jobs left. */
function durable(dataDir: string, twin: number, contract: bigint): { log: Record<string, string[]>; jobs: number } {
  const db = new Database(path.join(dataDir, 'node.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT name, state FROM transactions WHERE twin_id = ? AND contract_id = ? ORDER BY id').all(twin, contract.toString()) as { name: string; state: string }[];
    const log: Record<string, string[]> = {};
    for (const r of rows) (log[r.name] ??= []).push(r.state);
    const jobs = (db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    return { log, jobs };
  } finally {
    db.close();
  }
}

describe('node crash recovery (kill -9 mid provisioning)', () => {
  let chain: ChainClient;
  let grid: TestGrid;
  let relay: Relay;
  let user: TestAccount;
  let twinId: number;
  let peer: RmbPeer;
  let node: NodeClient;
  let tmp: { dir: string; remove(): void };
  let running: Running | undefined;
  let configFile: string;
  let logFile: string;

  beforeAll(async () => {
    chain = await connectTestChain();
    grid = await bootstrapTestGrid(chain, { nodes: 1 });
    relay = await createRelay({ port: 0, host: '127.0.0.1', directory: createChainTwinDirectory(chain), domain: 'localhost' });
    tmp = tempDir('tfg-crash-');
    const n = grid.nodes[0];
    configFile = path.join(tmp.dir, 'node.json');
    logFile = path.join(tmp.dir, 'node.log');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        dataDir: 'data',
        backend: 'sim',
        sim: { delayMs: 60 },
        identity: { seed: Buffer.from(n.identity.seed).toString('hex'), keyType: n.identity.type },
        chain: { urls: [await testChainUrl()] },
        relay: { urls: [relay.url] },
        node: { id: n.id, farmId: grid.farmId },
        resources: { cru: 8, mru: '32GiB', sru: '1TiB', hru: '2TiB' },
        logLevel: 'debug',
      }),
    );
    user = await freshAccount(chain, { type: 'sr25519' });
    twinId = (await user.chain.ensureTwin({ relay: 'localhost' })).id;
    peer = createRmbPeer({ identity: user.identity, twinId, relayUrls: [relay.url], directory: createChainTwinDirectory(chain), timeoutMs: 20_000 });
    await peer.ready();
    node = createNodeClient(peer, n.twinId);
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    await peer?.close();
    await relay?.close();
    await chain?.close();
    tmp?.remove();
  });

  it('comes back with every workload in its last durable state and finishes the queue', async () => {
    running = await startNode(configFile, logFile);
    const d0 = buildDeployment(twinId, 0n, WORKLOADS, { metadata: randomBytes(6).toString('hex') });
    const c = await user.chain.createNodeContract({ nodeId: grid.nodes[0].id, hash: hashDeployment(d0) });
    const d = { ...d0, contract_id: BigInt(c.contractId) };
    await node.deployment.deploy(signDeployment(d, twinId, user.identity));

    // Kill -9 once some, but not all, workloads are ok.
    let okBefore = 0;
    for (let i = 0; i < 600; i++) {
      const got = await node.deployment.get(d.contract_id);
      okBefore = got.workloads.filter((w) => w.result.state === 'ok').length;
      if (okBefore >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    running.child.kill('SIGKILL');
    await running.exited;
    const before = durable(path.join(tmp.dir, 'data'), twinId, d.contract_id);
    const okDurable = Object.values(before.log).filter((s) => s[s.length - 1] === 'ok').length;
    expect(okDurable).toBeGreaterThanOrEqual(3);
    expect(okDurable).toBeLessThan(20); // really killed mid provisioning
    expect(before.jobs).toBe(1); // the provision job is still queued
    expect(Object.keys(before.log)).toHaveLength(20);

    running = await startNode(configFile, logFile);
    let states: string[] = [];
    for (let i = 0; i < 600; i++) {
      const got = await node.deployment.get(d.contract_id);
      states = got.workloads.map((w) => w.result.state);
      if (got.workloads.length === 20 && states.every((s) => s === 'ok')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(states).toEqual(Array(20).fill('ok'));

    const after = durable(path.join(tmp.dir, 'data'), twinId, d.contract_id);
    expect(after.jobs).toBe(0);
    for (const w of WORKLOADS) {
      // each workload: written once as init, once as ok; the ok ones were not provisioned twice into the log
      expect([w.name, after.log[w.name]]).toEqual([w.name, ['init', 'ok']]);
      // what was durable before the crash is a prefix of what is there now
      expect(after.log[w.name].slice(0, before.log[w.name].length)).toEqual(before.log[w.name]);
    }
    const changes = await node.deployment.changes(d.contract_id);
    expect(changes).toHaveLength(40);
    expect(await node.deployment.list()).toHaveLength(1);
    const stats = await node.statistics.get();
    expect(stats.users.workloads).toBe(20);

    // a clean stop and start re-provisions without chain validation and writes nothing new
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = await startNode(configFile, logFile);
    await new Promise((r) => setTimeout(r, 500));
    expect((await node.deployment.get(d.contract_id)).workloads.map((w) => w.result.state)).toEqual(Array(20).fill('ok'));
    expect(await node.deployment.changes(d.contract_id)).toHaveLength(40);
  });

  it('survives SIGKILL at three random points of a 20-workload provisioning: none lost, none duplicated, no process left', async () => {
    if (!running || running.child.exitCode !== null) running = await startNode(configFile, logFile);
    const d0 = buildDeployment(twinId, 0n, WORKLOADS, { metadata: randomBytes(6).toString('hex') });
    const c = await user.chain.createNodeContract({ nodeId: grid.nodes[0].id, hash: hashDeployment(d0) });
    const d = { ...d0, contract_id: BigInt(c.contractId) };
    const before = (await node.statistics.get()).users.workloads;
    await node.deployment.deploy(signDeployment(d, twinId, user.identity));
    const delays = Array.from({ length: 3 }, () => Math.floor(Math.random() * 800));
    for (const ms of delays) {
      await new Promise((r) => setTimeout(r, ms));
      running.child.kill('SIGKILL');
      await running.exited;
      running = await startNode(configFile, logFile);
    }
    let got = await node.deployment.get(d.contract_id);
    for (let i = 0; i < 600 && !got.workloads.every((w) => w.result.state === 'ok' || w.result.state === 'error'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      got = await node.deployment.get(d.contract_id);
    }
    const final = got.workloads.map((w) => ({ name: w.name, state: w.result.state, reason: w.result.state === 'error' ? w.result.message.length > 0 : true }));
    expect({ delays, final }).toEqual({ delays, final: WORKLOADS.map(() => ({ name: expect.anything(), state: expect.stringMatching(/^(ok|error)$/), reason: true })) });
    expect(new Set(final.map((w) => w.name))).toEqual(new Set(WORKLOADS.map((w) => w.name)));
    const log = durable(path.join(tmp.dir, 'data'), twinId, d.contract_id);
    expect(log.jobs).toBe(0);
    // each workload written once as init and once as its end state, whatever the kills interrupted
    for (const w of WORKLOADS) expect([w.name, delays, log.log[w.name]]).toEqual([w.name, delays, ['init', got.workloads.find((x) => x.name === w.name)?.result.state]]);
    expect((await node.deployment.list()).filter((x) => String(x.contract_id) === String(d.contract_id))).toHaveLength(1);
    expect((await node.statistics.get()).users.workloads - before).toBe(20);
    expect(nodeProcessesOn(configFile)).toEqual([running.child.pid]);
  });
});
