/**
 * Shared pieces for node tests: deployments of every workload type built and signed through protocol/zos,
 * and a chain view kept in memory for engine unit tests (zos-protocol.md §8.2 asks tests to simulate hash
 * mismatch, wrong node and missing contracts; integration tests use the real local chain instead).
 * @module
 */
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';
import { identityFromSeed, type Identity } from '../../protocol/common/identity';
import { silentLogger } from '../../protocol/common/log';
import { deploymentToJson, hashDeployment, parseDeployment, signDeployment, type Deployment } from '../../protocol/zos';
import type { NodeConfig } from '../../node/config';
import { parseNodeConfig } from '../../node/config';
import type { Backends, ChainContract, ContractEvent, EngineChain, NodeFacts } from '../../node/engine/deps';
import { createLinuxNodeBackends, createSimBackends, factsFrom } from '../../node/runtime';
import { systemClock } from '../../protocol/common/clock';
import { createEngine, type Engine } from '../../node/engine/engine';
import { openStorage, type Storage } from '../../node/engine/storage';
import { createRoutes, type Handler } from '../../node/api/routes';
import type { NameContractStatus } from '../../node/backends/gateway/gateway';

export const GIB = 1n << 30n;
export const MIB = 1n << 20n;

/** Deterministic test identity: seed = `byte` repeated. */
export function testIdentity(byte: number, type: 'ed25519' | 'sr25519' = 'ed25519'): Identity {
  return identityFromSeed(new Uint8Array(32).fill(byte), type);
}

export interface WorkloadSpec {
  name: string;
  type: string;
  data: unknown;
  version?: number;
  description?: string;
}

/** Sample data of every type, referencing each other the way clients do. */
export const SAMPLE = {
  disk: { name: 'disk', type: 'zmount', data: { size: Number(GIB) } },
  vol: { name: 'vol', type: 'volume', data: { size: Number(GIB) } },
  net: {
    name: 'net',
    type: 'network',
    data: {
      ip_range: '10.20.0.0/16',
      subnet: '10.20.2.0/24',
      wireguard_private_key: 'GDU+cjKrHNJS9fodzjFDzNFl5su3kJXTZ3ipPgUjOUE=',
      wireguard_listen_port: 4521,
      peers: [],
    },
  },
  pip: { name: 'pip', type: 'ip', data: { v4: true, v6: false } },
  db: { name: 'db', type: 'zdb', data: { size: Number(GIB), mode: 'user', password: 'secret', public: false } },
  vm: {
    name: 'vm',
    type: 'zmachine',
    data: {
      flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
      network: { public_ip: '', planetary: false, interfaces: [{ network: 'net', ip: '10.20.2.5' }] },
      size: 0,
      compute_capacity: { cpu: 1, memory: Number(512n * MIB) },
      mounts: [{ name: 'disk', mountpoint: '/data' }],
      entrypoint: '/sbin/zinit init',
      env: { SSH_KEY: 'ssh-ed25519 AAAA test' },
      corex: false,
    },
  },
  logs: { name: 'logs', type: 'zlogs', data: { zmachine: 'vm', output: 'redis://10.20.2.9:6379/logs' } },
  web: { name: 'web', type: 'gateway-name-proxy', data: { name: 'web', tls_passthrough: false, backends: ['http://10.20.2.5:8080'] } },
  site: { name: 'site', type: 'gateway-fqdn-proxy', data: { fqdn: 'site.example.test', tls_passthrough: true, backends: ['10.20.2.5:443'] } },
} satisfies Record<string, WorkloadSpec>;

/** A deployment (protocol/zos typed) from specs; `version` 0 unless given; one request for `twin`. */
export function buildDeployment(twin: number, contract: bigint, workloads: WorkloadSpec[], opts: { version?: number; metadata?: string } = {}): Deployment {
  return parseDeployment({
    version: opts.version ?? 0,
    twin_id: twin,
    contract_id: Number(contract),
    metadata: opts.metadata ?? '',
    description: '',
    expiration: 0,
    signature_requirement: { requests: [{ twin_id: twin, required: false, weight: 1 }], weight_required: 1, signatures: [], signature_style: '' },
    workloads: workloads.map((w) => ({ version: w.version ?? opts.version ?? 0, name: w.name, type: w.type, data: w.data, metadata: '', description: w.description ?? '' })),
  });
}

/** Signed JSON payload of `d`. */
export function signedPayload(d: Deployment, identity: Identity, twin = d.twin_id): string {
  return deploymentToJson(signDeployment(d, twin, identity));
}

/** The chain kept in memory, for engine unit tests; the shape is EngineChain (node/engine/deps.ts). */
export class MemoryChain implements EngineChain {
  readonly twins = new Map<number, Uint8Array>();
  readonly contracts = new Map<bigint, ChainContract>();
  readonly names = new Map<string, { twinId: number; state: string }>();
  readonly reports: { contractId: bigint; used: unknown }[] = [];
  private handlers: ((e: ContractEvent) => void)[] = [];

  async twinPublicKey(id: number): Promise<Uint8Array | undefined> {
    return this.twins.get(id);
  }
  async contract(id: bigint): Promise<ChainContract | undefined> {
    return this.contracts.get(id);
  }
  async nameContract(name: string): Promise<NameContractStatus> {
    const n = this.names.get(name);
    return n ? { exists: true, twinId: n.twinId, state: n.state } : { exists: false };
  }
  async reportResources(r: { contractId: bigint; used: unknown }[]): Promise<void> {
    this.reports.push(...r);
  }
  async subscribeContractEvents(h: (e: ContractEvent) => void): Promise<() => void> {
    this.handlers.push(h);
    return () => (this.handlers = this.handlers.filter((x) => x !== h));
  }
  emit(e: ContractEvent): void {
    for (const h of this.handlers) h(e);
  }
  /** A node contract for `d` on `node` with `d`'s hash (or `hash`). */
  contractFor(d: Deployment, node: number, opts: { hash?: string; publicIps?: { ip: string; gateway: string }[] } = {}): void {
    this.contracts.set(d.contract_id, {
      type: 'node',
      contractId: d.contract_id,
      twinId: d.twin_id,
      nodeId: node,
      deploymentHash: opts.hash ?? hashDeployment(d),
      publicIps: opts.publicIps ?? [],
      state: 'created',
    });
  }
}

export const NODE_ID = 11;
export const FARMER_TWIN = 3;

/** A temp dir removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A sim-node config (no chain or relay needed for engine/API unit tests). */
export function simConfig(dataDir: string, over: Partial<Record<string, unknown>> = {}): NodeConfig {
  return parseNodeConfig({
    dataDir,
    backend: 'sim',
    identity: { seed: '11'.repeat(32), keyType: 'ed25519' },
    chain: { urls: ['ws://127.0.0.1:9944'] },
    relay: { urls: ['ws://127.0.0.1:8080'] },
    node: { id: NODE_ID, farmId: 1, farmerTwinId: FARMER_TWIN, adminTwins: [4] },
    resources: { cru: 8, mru: '8GiB', sru: '500GiB', hru: '1TiB', ipv4u: 2 },
    reserved: { mru: '1GiB' },
    publicConfig: { ipv4: '185.69.0.11/24', gw4: '185.69.0.1', domain: 'gw11.grid.test' },
    ...over,
  });
}

export function simNode(dataDir: string, chain: EngineChain, over: Partial<Record<string, unknown>> = {}): { config: NodeConfig; facts: NodeFacts; backends: Backends } {
  const config = simConfig(dataDir, over);
  const facts = factsFrom(config, { nodeId: NODE_ID, twinId: 2, farmerTwinId: FARMER_TWIN });
  return { config, facts, backends: createSimBackends(config, chain) };
}

export const quietLog = silentLogger;

/**
 * A sim-backend node config on a real chain and relay, signing as `identity`; `over` adds the node,
 * resources and anything else.
 * @example chainNodeConfig(dir, n.identity, { chainUrl: await testChainUrl(), relayUrl: relay.url }, { node: { id: n.id, farmId } })
 */
export function chainNodeConfig(dataDir: string, identity: Identity, urls: { chainUrl: string; relayUrl: string }, over: Record<string, unknown> = {}): NodeConfig {
  return parseNodeConfig({
    dataDir,
    backend: 'sim',
    identity: { seed: Buffer.from(identity.seed).toString('hex'), keyType: identity.type },
    chain: { urls: [urls.chainUrl] },
    relay: { urls: [urls.relayUrl] },
    ...over,
  });
}

/** A started engine on sim backends with its API table, over a MemoryChain (see `startSimNode`). */
export interface SimNodeHarness {
  tmp: { dir: string; remove(): void };
  chain: MemoryChain;
  facts: NodeFacts;
  backends: Backends;
  storage: Storage;
  engine: Engine;
  routes: Record<string, Handler>;
  /** Closes the engine and storage and removes the data dir. */
  close(): Promise<void>;
}

/**
 * A sim node for engine and API tests: a temp data dir, a MemoryChain knowing `twins` (id → identity),
 * storage, a started engine and its routes. `over` changes the sim config (`simConfig`).
 * @example const h = await startSimNode('tfg-api-', { 7: testIdentity(1) }); … await h.close();
 */
export async function startSimNode(prefix: string, twins: Record<number, Identity>, over: Partial<Record<string, unknown>> = {}): Promise<SimNodeHarness> {
  const tmp = tempDir(prefix);
  const chain = new MemoryChain();
  for (const [id, identity] of Object.entries(twins)) chain.twins.set(Number(id), identity.publicKey);
  const { facts, backends } = simNode(tmp.dir, chain, over);
  const storage = openStorage(tmp.dir);
  const engine = createEngine({ chain, backends, clock: systemClock, log: silentLogger }, { storage, facts });
  await engine.start();
  const routes = createRoutes({ engine, facts, backends, clock: systemClock });
  return {
    tmp,
    chain,
    facts,
    backends,
    storage,
    engine,
    routes,
    async close() {
      await engine.close();
      storage.close();
      tmp.remove();
    },
  };
}

export interface LinuxNodeHarness {
  /** The node's host namespace (created here, deleted by `close`). */
  hostNetns: string;
  prefix: string;
  tmp: { dir: string; remove(): void };
  chain: MemoryChain;
  config: NodeConfig;
  backends: Backends;
  storage: Storage;
  engine: Engine;
  /** Closes engine, storage and every backend, deletes the namespace and the data dir. */
  close(): Promise<void>;
}

/**
 * An engine on the real Linux backends (root): a host namespace `<prefix>host`, a temp data dir, a MemoryChain
 * knowing `twins`, a started engine (`engine` options such as `healthIntervalMs` pass through).
 * @example const node = await startLinuxNode('t', 'tfg-linux-node-', { 7: alice }); … await node.close();
 */
export async function startLinuxNode(
  letter: string,
  dirPrefix: string,
  twins: Record<number, Identity>,
  engine: Omit<Parameters<typeof createEngine>[1], 'storage' | 'facts'> = {},
): Promise<LinuxNodeHarness> {
  const prefix = `${letter}${(process.pid % 46656).toString(36)}`;
  const hostNetns = `${prefix}host`;
  execFileSync('ip', ['netns', 'add', hostNetns]);
  execFileSync('ip', ['-n', hostNetns, 'link', 'set', 'lo', 'up']);
  const tmp = tempDir(dirPrefix);
  const chain = new MemoryChain();
  for (const [id, identity] of Object.entries(twins)) chain.twins.set(Number(id), identity.publicKey);
  const config = simConfig(tmp.dir, {
    backend: 'linux',
    linux: { prefix, hostNetns },
    zdb: { port: 0, addresses: ['127.0.0.1'] },
    gateway: { listenHost: '127.0.0.1', httpPort: 0, httpsPort: 0 },
    qsfs: { metricsPort: 0 },
  });
  const backends = await createLinuxNodeBackends(config, chain, silentLogger);
  const storage = openStorage(tmp.dir);
  const eng = createEngine({ chain, backends, clock: systemClock, log: silentLogger }, { ...engine, storage, facts: factsFrom(config, { nodeId: NODE_ID, twinId: 2, farmerTwinId: FARMER_TWIN }) });
  await eng.start();
  return {
    hostNetns,
    prefix,
    tmp,
    chain,
    config,
    backends,
    storage,
    engine: eng,
    async close() {
      await eng.close();
      storage.close();
      for (const b of [backends.machine, backends.gateway, backends.qsfs, backends.zdb, backends.network, backends.storage, backends.flist]) await b.close().catch(() => undefined);
      try {
        execFileSync('ip', ['netns', 'del', hostNetns]);
      } catch {
        // already gone
      }
      tmp.remove();
    },
  };
}
