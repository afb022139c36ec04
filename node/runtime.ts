/**
 * Composition root of one node: config → identity, chain client, RMB peer, SQLite storage, backends, engine,
 * API routes registered on the peer, contract-event subscription and the periodic chain sync.
 * Facts: zos-protocol.md §5 (API over RMB), §3.7 (events, sync), §3.8 (boot); rmb-tfchain.md §A.x (replies
 * are signed, `null` bodies), §B5.
 * @module
 */
import * as fs from 'fs';
import { Resolver } from 'dns/promises';
import * as path from 'path';
import { systemClock, type Clock } from '../protocol/common/clock';
import { InputError, errorText } from '../protocol/common/errors';
import { cryptoReady, identityFromSecret, type Identity } from '../protocol/common/identity';
import { silentLogger, type Logger } from '../protocol/common/log';
import { createChainClient, type ChainClient } from '../protocol/chain';
import { createRmbPeer, RawJson, type RmbPeer } from '../protocol/rmb/peer';
import { createChainTwinDirectory } from '../protocol/rmb/twin-directory';
import { createSimFlists } from './backends/flist/sim';
import { createSimGateway } from './backends/gateway/sim';
import { createSimMachines } from './backends/machine/sim';
import { createSimNetwork } from './backends/network/sim';
import { createSimQsfs } from './backends/qsfs/sim';
import { createSimStorage } from './backends/storage/sim';
import { createSimZdbBackend } from './backends/zdb/sim';
import { createLinuxZdbBackend } from './backends/zdb/linux';
import { createGatewayProxy } from './backends/gateway/proxy';
import { createGridCa } from './backends/gateway/grid-ca';
import { createQsfsDaemon } from './backends/qsfs/daemon';
import { createNetnsBridge } from './backends/gateway/netns-bridge';
import { relayFromNetns } from './backends/netns-listen';
import type { GatewayBackend } from './backends/gateway/gateway';
import type { GridCa } from './backends/gateway/grid-ca';
import type { QsfsDaemon } from './backends/qsfs/daemon';
import type { ZdbDialer } from './backends/zdb/client';
import type { ZdbBackend } from './backends/zdb/zdb';
import type { NetworkBackend } from './backends/network/network';
import { netIdOf } from './engine/wire';
import { stopZlogStreams } from './engine/managers/zlogs';
import { MANAGERS, lightManagers } from './engine/managers';
import { createGatewayNameProxyManager } from './engine/managers/gateway-name-proxy';
import { createDnsResolver } from './backends/gateway/dns-resolver';
import { createLinuxBackends } from './backends/machine/linux-backends';
import { createRoutes, dispatch, type Handler } from './api/routes';
import type { NodeConfig } from './config';
import type { Backends, ChainContract, EngineChain, NodeFacts } from './engine/deps';
import { createEngine, type Engine } from './engine/engine';
import { openStorage, type Storage } from './engine/storage';

export interface NodeRuntime {
  readonly nodeId: number;
  readonly twinId: number;
  readonly engine: Engine;
  readonly routes: Record<string, Handler>;
  readonly peer: RmbPeer;
  readonly facts: NodeFacts;
  /**
   * Resolves once the node can be called ready: it serves RMB (waited for at most `relayTimeoutMs`; a relay
   * not reachable yet is logged, not fatal, the peer keeps dialling) and boot recovery (§3.8) has provisioned
   * again every deployment found in its data dir. Until then a restarted gateway has no routes (it answers 404
   * for the names it serves) and adopted machines may not be attached yet, so "node ready" must wait for it.
   */
  ready(relayTimeoutMs?: number): Promise<void>;
  /** Stops the worker, the sync, the subscription, the peer, the backends and the chain connection. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  log?: Logger;
  clock?: Clock;
  /** An already connected chain client (tests, the local grid); the runtime signs with the node identity. */
  chain?: ChainClient;
  /** Backends built by the caller (the local grid's Linux placement); default: from `config.backend`. */
  backends?: Backends;
}

/** The chain as the engine reads it, over the `protocol/chain` client. */
export function engineChainFrom(chain: ChainClient, nodeId: number): EngineChain {
  const mapState = (s: string): 'created' | 'grace' | 'deleted' => (s === 'gracePeriod' ? 'grace' : s === 'deleted' ? 'deleted' : 'created');
  return {
    async twinPublicKey(twinId) {
      return (await chain.findTwin(twinId))?.publicKey;
    },
    async contract(contractId): Promise<ChainContract | undefined> {
      const c = await chain.getContract(Number(contractId));
      if (!c) return undefined;
      if (c.type === 'node') {
        return {
          type: 'node',
          contractId,
          twinId: c.twinId,
          nodeId: c.nodeId,
          deploymentHash: c.deploymentHash,
          publicIps: c.publicIpsList.map((p) => ({ ip: p.ip, gateway: p.gateway })),
          state: mapState(c.state),
        };
      }
      return { type: c.type, contractId, twinId: c.twinId, state: mapState(c.state) };
    },
    async nameContract(name) {
      const id = await chain.getContractIdByName(name);
      if (id === undefined) return { exists: false };
      const c = await chain.getContract(id);
      if (!c) return { exists: false };
      const state = c.state === 'gracePeriod' ? 'GracePeriod' : c.state === 'deleted' ? 'Deleted' : 'Created';
      return { exists: true, twinId: c.twinId, state };
    },
    async nodeRented() {
      return (await chain.getActiveRentContract(nodeId)) !== undefined;
    },
    async subscribeContractEvents(handler) {
      return chain.subscribeContractEvents((e) => {
        if (e.nodeId !== undefined && e.nodeId !== nodeId) return;
        if (e.kind === 'cancelled' && e.contractType !== 'node') return;
        handler({ kind: e.kind, contractId: BigInt(e.contractId) });
      });
    },
  };
}

/** Backend calls that change state (the ones a real backend spends time in). */
const SLOW_METHODS = new Set([
  'create',
  'update',
  'remove',
  'grow',
  'mount',
  'unmount',
  'apply',
  'attach',
  'attachPublicIp',
  'detach',
  'run',
  'pause',
  'resume',
  'resolve',
  'addNameProxy',
  'addFqdnProxy',
]);

/** Each state-changing call of `backend` first waits `ms` (the sim's `delayMs`: slow provisioning on purpose). */
function slowed<T extends object>(backend: T, ms: number): T {
  if (ms <= 0) return backend;
  return new Proxy(backend, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string' || !SLOW_METHODS.has(prop)) return v;
      return async (...args: unknown[]) => {
        await new Promise((r) => setTimeout(r, ms));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** State-only backends (`backend: sim`): never what CI silently falls back to. */
export function createSimBackends(config: NodeConfig, chain: EngineChain): Backends {
  const b = createSimBackendsNow(config, chain);
  const ms = config.sim.delayMs;
  return {
    storage: slowed(b.storage, ms),
    network: slowed(b.network, ms),
    machine: slowed(b.machine, ms),
    flist: slowed(b.flist, ms),
    zdb: slowed(b.zdb, ms),
    gateway: slowed(b.gateway, ms),
    qsfs: slowed(b.qsfs, ms),
  };
}

function createSimBackendsNow(config: NodeConfig, chain: EngineChain): Backends {
  const dir = path.join(config.dataDir, 'sim');
  const publicIPs = config.publicConfig ? [config.publicConfig.ipv4.split('/')[0]] : [];
  return {
    storage: createSimStorage({ dir: path.join(dir, 'disks') }),
    network: createSimNetwork({ prefix: 'sim' }),
    machine: createSimMachines({ dir: path.join(dir, 'machines') }),
    flist: createSimFlists(),
    zdb: createSimZdbBackend({ addresses: config.zdb.addresses, port: config.zdb.port, capacity: config.resources.hru }),
    gateway: createSimGateway(
      { checkNameContract: (name, twin) => chain.nameContract(name, twin), resolveHost: async () => publicIPs },
      { node: { domain: config.publicConfig?.domain || undefined, publicIPs } },
    ),
    qsfs: createSimQsfs({ rootDir: path.join(dir, 'qsfs') }),
  };
}

/** What a node's services need from the rest of its backends. */
export interface ServiceHosts {
  /** The network backend: the gateway reaches a twin's private network through its NR namespace. */
  network: NetworkBackend;
  /** Directory for service state (zdb data, qsfs mounts); default `<dataDir>/linux`. */
  dir?: string;
  /** Prefix for machine-wide names (the forwarders' socket dir); default `config.linux.prefix`. */
  prefix?: string;
  /**
   * How the qsfs daemon opens its connections to zdb backends; default `net.connect` from this namespace. A
   * daemon that runs outside the namespace with the node's addresses (the local grid) dials in there.
   */
  dial?: ZdbDialer;
}

/** The node's real services: 0-db, the gateway proxy (with the private-network bridge) and the qsfs daemon. */
export interface NodeServices {
  zdb: ZdbBackend;
  gateway: GatewayBackend & { readonly httpPort: number; readonly httpsPort: number };
  qsfs: QsfsDaemon;
}

/** The grid CA from the config (inline PEM or files), or a fresh one. */
export function gridCaFrom(config: NodeConfig): GridCa {
  const g = config.gateway;
  if (g.caPem) return createGridCa({ existing: g.caPem });
  if (g.ca) return createGridCa({ existing: { certPem: fs.readFileSync(g.ca.certFile, 'utf8'), keyPem: fs.readFileSync(g.ca.keyFile, 'utf8') } });
  return createGridCa();
}

/** A/AAAA lookups for the FQDN check: the grid DNS when configured, else the given (or system) resolvers. */
export function hostResolverFrom(config: NodeConfig): (fqdn: string) => Promise<string[]> {
  if (config.gateway.dns) return createDnsResolver(config.gateway.dns);
  const resolver = new Resolver();
  if (config.gateway.dnsServers.length) resolver.setServers(config.gateway.dnsServers);
  return async (fqdn) => {
    const [a, aaaa] = await Promise.all([resolver.resolve4(fqdn).catch(() => []), resolver.resolve6(fqdn).catch(() => [])]);
    return [...a, ...aaaa];
  };
}

/**
 * The real services of a Linux node (issue 5 + 9): 0-db on `config.zdb`, the gateway proxy whose backends in
 * a twin's private network are reached through that network's NR namespace and all others through the node's
 * host namespace (`gateway.listenNetns`, else `linux.hostNetns`; `createNetnsBridge`), FQDNs
 * checked against the grid DNS, certificates from the grid CA, name contracts from the chain; and the qsfs
 * daemon. With `gateway.listenNetns` the public listeners (80/443 by default) are bound in that namespace
 * and relayed to the proxy on 127.0.0.1. Everything is closed by the returned backends' `close`.
 */
export async function createNodeServices(config: NodeConfig, chain: EngineChain, log: Logger, hosts: ServiceHosts): Promise<NodeServices> {
  const dir = hosts.dir ?? path.join(config.dataDir, 'linux');
  const g = config.gateway;
  const publicIPs = config.publicConfig ? [config.publicConfig.ipv4.split('/')[0]] : [];
  const prefix = hosts.prefix ?? config.linux?.prefix ?? 'tfg';
  const zdb = await createLinuxZdbBackend({ log }, { dataDir: path.join(dir, 'zdb'), addresses: config.zdb.addresses, port: config.zdb.port, capacity: config.resources.hru });
  const closers: (() => Promise<void>)[] = [() => zdb.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.warn('service close failed', { err: errorText(err) }));
  };
  try {
    const bridge = createNetnsBridge(
      { log },
      {
        runDir: g.runDir ?? `/run/tfgrid-${prefix}`,
        netnsFor: async (twin, name) => (await hosts.network.get(netIdOf(twin, name)))?.netns,
        // Backends outside private networks are dialled on the node's own networks, as ZOS dials from its public namespace.
        hostNetns: g.listenNetns ?? config.linux?.hostNetns,
      },
    );
    closers.push(() => bridge.close());
    const publicHost = g.listenHost ?? publicIPs[0] ?? '127.0.0.1';
    const proxy = await createGatewayProxy(
      { log, checkNameContract: (name, twin) => chain.nameContract(name, twin), resolveHost: hostResolverFrom(config), checkNetwork: bridge.checkNetwork, dial: bridge.dial },
      {
        node: { domain: config.publicConfig?.domain || undefined, publicIPs },
        listen: g.listenNetns ? { host: '127.0.0.1', httpPort: 0, httpsPort: 0 } : { host: publicHost, httpPort: g.httpPort, httpsPort: g.httpsPort },
        ca: gridCaFrom(config),
      },
    );
    closers.push(() => proxy.close());
    let httpPort = proxy.httpPort;
    let httpsPort = proxy.httpsPort;
    const listenNetns = g.listenNetns;
    if (listenNetns) {
      const relay = (port: number, toPort: number) => relayFromNetns({ log }, { netns: listenNetns, host: publicHost, port, to: { host: '127.0.0.1', port: toPort }, what: 'public listener' });
      const http = await relay(g.httpPort, proxy.httpPort);
      closers.push(() => http.close());
      const https = await relay(g.httpsPort, proxy.httpsPort);
      closers.push(() => https.close());
      httpPort = http.port;
      httpsPort = https.port;
      log.info('gateway public listeners', { netns: listenNetns, host: publicHost, httpPort, httpsPort });
    }
    const qsfs = await createQsfsDaemon(
      { log },
      { rootDir: config.qsfs.rootDir ?? path.join(dir, 'qsfs'), metricsHost: config.qsfs.metricsHost ?? config.zdb.addresses[0], metricsPort: config.qsfs.metricsPort, dial: hosts.dial },
    );
    closers.push(() => qsfs.close());
    // One close for gateway+bridge+listeners; zdb and qsfs close on their own (the runtime closes each backend).
    const gateway: NodeServices['gateway'] = {
      httpPort,
      httpsPort,
      addNameProxy: (spec) => proxy.addNameProxy(spec),
      addFqdnProxy: (spec) => proxy.addFqdnProxy(spec),
      remove: (id) => proxy.remove(id),
      routes: () => proxy.routes(),
      async close() {
        for (const c of closers.slice(1, -1).reverse()) await c().catch((err: unknown) => log.warn('gateway close failed', { err: errorText(err) }));
      },
    };
    return { zdb, gateway, qsfs };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Where `createLinuxNodeBackends` keeps its state and how its qsfs daemon dials (the local grid sets both). */
export interface LinuxNodeOptions {
  /** State of the backends and services; default `<dataDir>/linux`. */
  dir?: string;
  /** See `ServiceHosts.dial`. */
  dial?: ZdbDialer;
}

/**
 * Real backends (`backend: linux`, root): disks, networks, machines and flists from node/backends (placed in
 * the host namespace the local grid gives the node) plus the real services (`createNodeServices`).
 */
export async function createLinuxNodeBackends(config: NodeConfig, chain: EngineChain, log: Logger, opts: LinuxNodeOptions = {}): Promise<Backends & NodeServices> {
  if (!config.linux) throw new InputError('backend "linux" needs a `linux` section (prefix, hostNetns, uplink)', { path: 'linux' });
  const dir = opts.dir ?? path.join(config.dataDir, 'linux');
  const linux = createLinuxBackends({ prefix: config.linux.prefix, dataDir: dir, hostNetns: config.linux.hostNetns, uplink: config.linux.uplink, log });
  const services = await createNodeServices(config, chain, log, { network: linux.network, dir, prefix: config.linux.prefix, dial: opts.dial });
  return { storage: linux.storage, network: linux.network, machine: linux.machines, flist: linux.flists, ...services };
}

function relayHost(url: string): string {
  return new URL(url).hostname;
}

/** Finds (or, with `register`, creates) the node's twin and node on chain. */
async function resolveIdentity(chain: ChainClient, config: NodeConfig, log: Logger): Promise<{ twinId: number; nodeId: number; farmerTwinId: number }> {
  let twinId = await chain.myTwinId();
  if (twinId === undefined) {
    if (!config.register) {
      throw new InputError(`node identity ${chain.address} has no twin on chain`, { fix: 'set `register: true` or create the twin first' });
    }
    twinId = (await chain.ensureTwin({ relay: config.relay.host ?? relayHost(config.relay.urls[0]) })).id;
    log.info('registered node twin', { twin: twinId });
  }
  let nodeId = config.node.id ?? (await chain.getNodeIdByTwin(twinId));
  if (nodeId === undefined) {
    if (!config.register) {
      throw new InputError(`twin ${twinId} has no node on chain`, { fix: 'set `register: true` or `node.id`' });
    }
    const r = config.resources;
    const node = await chain.createNode({
      farmId: config.node.farmId,
      resources: { cru: BigInt(r.cru), mru: r.mru, sru: r.sru, hru: r.hru },
      location: {
        city: config.location.city_name,
        country: config.location.country_name,
        latitude: String(config.location.latitude),
        longitude: String(config.location.longitude),
      },
    });
    nodeId = node.id;
    if (config.publicConfig) {
      await chain.addNodePublicConfig(config.node.farmId, nodeId, {
        ip4: { ip: config.publicConfig.ipv4, gw: config.publicConfig.gw4 },
        ip6: config.publicConfig.ipv6 ? { ip: config.publicConfig.ipv6, gw: config.publicConfig.gw6 } : undefined,
        domain: config.publicConfig.domain || undefined,
      });
    }
    log.info('registered node', { node: nodeId, farm: config.node.farmId });
  }
  const farmerTwinId = config.node.farmerTwinId ?? (await chain.getFarm(config.node.farmId))?.twinId;
  if (farmerTwinId === undefined) throw new InputError(`farm ${config.node.farmId} not found on chain`, { path: 'node.farmId' });
  return { twinId, nodeId, farmerTwinId };
}

export function factsFrom(config: NodeConfig, ids: { nodeId: number; twinId: number; farmerTwinId: number }): NodeFacts {
  const r = config.resources;
  const s = config.reserved;
  const pc = config.publicConfig;
  return {
    nodeId: ids.nodeId,
    farmId: config.node.farmId,
    twinId: ids.twinId,
    farmerTwinId: ids.farmerTwinId,
    adminTwins: config.node.adminTwins,
    total: { cru: BigInt(r.cru), sru: r.sru, hru: r.hru, mru: r.mru, ipv4u: BigInt(r.ipv4u) },
    reserved: { cru: BigInt(s.cru), sru: s.sru, hru: s.hru, mru: s.mru, ipv4u: BigInt(s.ipv4u) },
    publicConfig: pc && { type: pc.type, ipv4: pc.ipv4, ipv6: pc.ipv6, gw4: pc.gw4, gw6: pc.gw6, domain: pc.domain },
    location: config.location,
    version: { zos: 'v3.14.0-tfgrid', zinit: 'v0.2.14' },
    hypervisor: config.backend === 'linux' ? 'kvm' : 'none',
    interfaces: { zos: pc ? [pc.ipv4.split('/')[0]] : ['127.0.0.1'], ygg: [] },
    hasIpv6: !!pc?.ipv6 && !config.light,
    light: config.light,
  };
}

/** Registers every route on the peer: handlers get the authenticated source twin and the raw body. */
export function serveRoutes(peer: RmbPeer, routes: Record<string, Handler>): void {
  for (const command of Object.keys(routes)) {
    peer.handle(command, async (_payload, ctx) => {
      const r = await dispatch(routes, command, ctx.source.twin, ctx.raw);
      if (!r.ok) throw new Error(r.error);
      return new RawJson(r.body);
    });
  }
}

/** Builds and starts one node from its config. */
export async function createNodeRuntime(config: NodeConfig, opts: RuntimeOptions = {}): Promise<NodeRuntime> {
  const log = (opts.log ?? silentLogger).child({ component: 'node' });
  const clock = opts.clock ?? systemClock;
  await cryptoReady();
  const identity: Identity = identityFromSecret(config.identity.mnemonic ?? config.identity.seed ?? '', config.identity.keyType, config.identity.mnemonic ? 'identity.mnemonic' : 'identity.seed');
  const ownChain = !opts.chain;
  const chain = opts.chain ? await opts.chain.withSigner(identity) : await createChainClient({ urls: config.chain.urls, signer: identity, log });
  let storage: Storage | undefined;
  try {
    const ids = await resolveIdentity(chain, config, log);
    const facts = factsFrom(config, ids);
    const engineChain = engineChainFrom(chain, ids.nodeId);
    const backends = opts.backends ?? (config.backend === 'sim' ? createSimBackends(config, engineChain) : await createLinuxNodeBackends(config, engineChain, log));
    storage = openStorage(config.dataDir);
    const engine = createEngine(
      { chain: engineChain, backends, clock, log },
      {
        storage,
        facts,
        shuffleGet: config.shuffleGet,
        healthIntervalMs: config.machines.healthIntervalMs,
        managers: ((table) => (config.light ? lightManagers(table, !!facts.publicConfig?.domain) : table))({
          ...MANAGERS,
          'gateway-name-proxy': createGatewayNameProxyManager({ checkIntervalMs: config.gateway.nameContractCheckSeconds * 1000, clock }),
        }),
        restart: { max: config.machines.maxRestarts, windowMs: config.machines.restartWindowSeconds * 1000 },
      },
    );
    const peer = createRmbPeer({
      identity,
      twinId: ids.twinId,
      relayUrls: config.relay.urls,
      // Clients address a node by twin only (no connection id), as with rmb-peer: no session.
      session: '',
      directory: createChainTwinDirectory(chain),
      clock,
      log,
    });
    const routes = createRoutes({ engine, facts, backends, clock, openConnections: () => peer.connected() });
    serveRoutes(peer, routes);
    await engine.start();
    // The queue now holds the boot jobs: it empties once they ran (or later, if deploys keep coming).
    const recovered = engine.idle();
    const unsubscribe = await engineChain.subscribeContractEvents?.((ev) => engine.onContractEvent(ev));
    const sync = () => engine.sync().catch((err) => log.warn('chain sync failed', { err: errorText(err) }));
    // Contracts cancelled while the node was down are found by a first sync right after boot.
    void sync();
    const timer = setInterval(sync, config.syncIntervalSeconds * 1000);
    timer.unref();
    log.info('node running', { node: ids.nodeId, twin: ids.twinId, backend: config.backend });
    const st = storage;
    return {
      nodeId: ids.nodeId,
      twinId: ids.twinId,
      engine,
      routes,
      peer,
      facts,
      async ready(relayTimeoutMs = 30_000) {
        await peer.ready(relayTimeoutMs).catch((err: Error) => log.warn('relay not reachable yet', { err: err.message }));
        await recovered;
      },
      async close() {
        clearInterval(timer);
        unsubscribe?.();
        await peer.close();
        await engine.close();
        st.close();
        await stopZlogStreams(backends.machine).catch((err: unknown) => log.warn('zlogs close failed', { err: errorText(err) }));
        // machines first (they hold disks and interfaces), then services, then networks and disks
        for (const b of [backends.machine, backends.gateway, backends.qsfs, backends.zdb, backends.network, backends.storage, backends.flist]) {
          await b.close().catch((err: unknown) => log.warn('backend close failed', { err: errorText(err) }));
        }
        if (ownChain) await chain.close();
      },
    };
  } catch (err) {
    storage?.close();
    if (ownChain) await chain.close().catch(() => undefined);
    throw err;
  }
}
