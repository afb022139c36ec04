/**
 * The security suite's small grid (issue 16): on the run's shared chain (test/global-setup.ts), one farm with one
 * node of its own, our relay and one node runtime (sim backend), and two users with twins: `alice` (whose
 * deployments are attacked) and `mallory` (the attacker, a real twin with a real key). Relay and node log at debug
 * level into `logs`, so a file can check that its own runs wrote no secret.
 * @module
 */
import { randomBytes } from 'crypto';
import type { ChainClient } from '../../protocol/chain';
import { RmbError } from '../../protocol/common/errors';
import { createLineLogger } from '../../protocol/common/log';
import { createNodeClient, type NodeClient } from '../../protocol/rmb/node-client';
import { createRmbPeer, type RmbPeer } from '../../protocol/rmb/peer';
import { createRelay, type Relay } from '../../protocol/rmb/relay';
import { createChainTwinDirectory } from '../../protocol/rmb/twin-directory';
import { hashDeployment, type Deployment } from '../../protocol/zos';
import { createNodeRuntime, type NodeRuntime } from '../../node/runtime';
import { bootstrapTestGrid, connectTestChain, freshAccounts, testChainUrl, type TestAccount, type TestGrid } from '../helpers/chain';
import { buildDeployment, chainNodeConfig, tempDir, type WorkloadSpec } from '../node/fixtures';

export interface SecurityUser {
  account: TestAccount;
  twinId: number;
  peer: RmbPeer;
  node: NodeClient;
}

export interface SecurityGrid {
  chain: ChainClient;
  grid: TestGrid;
  relay: Relay;
  node: NodeRuntime;
  alice: SecurityUser;
  mallory: SecurityUser;
  /** Every line the relay and the node logged (debug level). */
  logs: string[];
  /** A node contract owned by `user` for a new deployment of `workloads`, and that deployment (unsigned). */
  contracted(user: SecurityUser, workloads: WorkloadSpec[]): Promise<Deployment>;
  /** Polls `get` until every workload is ok or error; workload name → state (with the message when there is one). */
  settled(user: SecurityUser, contractId: bigint, count: number): Promise<Record<string, string>>;
  close(): Promise<void>;
}

const TERMINAL = new Set(['ok', 'error']);

/** The node's error text of a refused call (fails the test when the call went through). */
export async function nodeRefusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RmbError)) throw new Error(`expected the node to refuse, got ${err === undefined ? 'success' : String(err)}`);
  return String(err.context.nodeMessage ?? err.message);
}

export async function startSecurityGrid(prefix: string): Promise<SecurityGrid> {
  const logs: string[] = [];
  const log = createLineLogger((l) => logs.push(l), { level: 'debug' });
  const chain = await connectTestChain();
  const grid = await bootstrapTestGrid(chain, { nodes: 1, publicIps: 1 });
  const directory = createChainTwinDirectory(chain);
  const relay = await createRelay({ port: 0, host: '127.0.0.1', directory, domain: 'localhost', log });
  const tmp = tempDir(prefix);
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
  const node = await createNodeRuntime(config, { chain, log });
  await node.peer.ready();
  const accounts = await freshAccounts(chain, 2);
  const users: SecurityUser[] = [];
  for (const account of accounts) {
    const twin = await account.chain.ensureTwin({ relay: 'localhost' });
    const peer = createRmbPeer({ identity: account.identity, twinId: twin.id, relayUrls: [relay.url], directory, timeoutMs: 20_000 });
    await peer.ready();
    users.push({ account, twinId: twin.id, peer, node: createNodeClient(peer, node.twinId) });
  }
  const [alice, mallory] = users;

  return {
    chain,
    grid,
    relay,
    node,
    alice,
    mallory,
    logs,
    async contracted(user, workloads) {
      const d = buildDeployment(user.twinId, 0n, workloads, { metadata: randomBytes(6).toString('hex') });
      const c = await user.account.chain.createNodeContract({ nodeId: n.id, hash: hashDeployment(d), publicIps: 0 });
      return { ...d, contract_id: BigInt(c.contractId) };
    },
    async settled(user, contractId, count) {
      for (let i = 0; i < 300; i++) {
        const got = await user.node.deployment.get(contractId);
        if (got.workloads.length === count && got.workloads.every((w) => TERMINAL.has(w.result.state))) {
          return Object.fromEntries(got.workloads.map((w) => [w.name, w.result.message ? `${w.result.state}: ${w.result.message}` : w.result.state]));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`deployment ${contractId} did not settle`);
    },
    async close() {
      for (const u of users) await u.peer.close();
      await node.close();
      await relay.close();
      await chain.close();
      tmp.remove();
    },
  };
}

/**
 * Secrets the suite handed to the relay or the node, as they would appear in a log line: key seeds (hex), mnemonics,
 * passwords and private keys of workloads. Returns the lines holding any of them (empty when clean).
 */
export function linesWithSecrets(lines: string[], secrets: string[]): { secret: string; line: string }[] {
  const out: { secret: string; line: string }[] = [];
  const wanted = secrets.filter((s) => s.length >= 8);
  for (const line of lines) {
    for (const s of wanted) if (line.includes(s)) out.push({ secret: `${s.slice(0, 4)}…`, line: line.slice(0, 300) });
  }
  return out;
}
