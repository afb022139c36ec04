/**
 * The steps of `tfgrid local up` for a new grid (grid.ts `startLocalGrid` runs them): the grid internet (linux
 * backend), the chain, hub and DNS at once, with the node processes loading their code meanwhile
 * (`spawnNodesEarly`); then the relay while the chain registers the farm, the nodes and the users; then the nodes'
 * configs, on which they start, while the grid proxy starts (issue 16: independent steps overlap). Each step records what it
 * started in `state.json` before it throws, so `tfgrid local down` finds it; grid.ts stops everything when a
 * step fails.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { errorText, TfgridError } from '../../protocol/common/errors';
import type { Progress } from '../../protocol/common/log';
import { createGridCa } from '../../node/backends/gateway/grid-ca';
import { applyTopology, planTopology, type TopologyPlan } from '../topology/topology';
import { bootstrapLocalGrid, chainPublicConfigIp, newNodeSeed, type BootstrapResult } from './bootstrap';
import { startChainDaemon } from './chain-daemon';
import { readDnsRecords, writeDnsRecords, type DnsRecords } from './dns-records';
import { FARM_NAME, nodeDomain } from './grid-names';
import { daemonLogFile, dnsOptions, gridProxyOptions, hubOptions, RELAY_DOMAIN, relayOptions, startDnsDaemon, startGridProxyDaemon, startHubDaemon, startRelayDaemon } from './services';
import { writeState, type GridState, type NodeState } from './state';
import { nodeGroups, startNodeGroup } from './node-hosts';
import { waitUntil } from './readiness';
import { isRunning } from './supervisor';

/** What every step works on: the grid being started. */
export interface UpContext {
  dir: string;
  state: GridState;
  /** How many nodes the grid gets. */
  nodes: number;
  /** How many of them (the last ones) are ZOS light nodes. */
  lightNodes: number;
  backend: 'sim' | 'linux';
  progress: Progress;
}

/** Where the farm's public IPs and each node's host address come from: the topology plan, or a sim plan alike. */
export interface GridAddressing {
  farmIps: GridState['farms'][number]['publicIps'];
  hostAddress(index: number): string;
}

/** Makes the grid CA and writes it as `<dir>/grid-ca.crt` (what clients trust) and `<dir>/grid-ca.key` (0600). */
export function writeGridCa(dir: string): { certFile: string; keyFile: string } {
  const ca = createGridCa({ commonName: 'tfgrid local grid CA' });
  const certFile = path.join(dir, 'grid-ca.crt');
  const keyFile = path.join(dir, 'grid-ca.key');
  fs.writeFileSync(certFile, ca.certPem);
  fs.writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}

/** The linux backend's grid internet and node host namespaces as planned (pure); none for sim. */
export function planGridTopology(up: UpContext): TopologyPlan | undefined {
  return up.backend === 'linux' ? planTopology({ prefix: up.state.prefix, nodes: up.nodes, farms: [{ id: 1, publicIps: 8 }] }) : undefined;
}

/** Makes the planned grid internet and node host namespaces (linux); nothing for sim. */
export async function startTopology(up: UpContext, plan: TopologyPlan | undefined): Promise<TopologyPlan | undefined> {
  if (!plan) return undefined;
  const { state, nodes, progress } = up;
  progress.update('topology: creating the grid internet and node host namespaces');
  await applyTopology(plan);
  state.internetNs = plan.internetNs;
  writeState(state);
  progress.done(`topology: ${plan.internetNs} + ${nodes} node hosts on 198.18.0.0/16`);
  return plan;
}

/** chopsticks on 127.0.0.1:`port`, recorded in the state. */
export async function startChain(up: UpContext, port: number): Promise<{ url: string }> {
  const { dir, state, progress } = up;
  progress.update(`chain: starting chopsticks on 127.0.0.1:${port}`);
  const chain = await startChainDaemon({ port, logFile: path.join(dir, 'logs', 'chain.log'), progress });
  state.chain = { url: chain.url, process: chain.process };
  writeState(state);
  progress.done(`chain: ${chain.url}`);
  return { url: chain.url };
}

export function gridAddressing(up: UpContext, plan: TopologyPlan | undefined): GridAddressing {
  const { nodes } = up;
  return {
    farmIps: plan?.farms[0].ips ?? planTopology({ prefix: 'sim', nodes, farms: [{ id: 1, publicIps: 8 }] }).farms[0].ips,
    hostAddress: (i: number) => plan?.nodes[i - 1].address ?? planTopology({ prefix: 'sim', nodes, farms: [] }).nodes[i - 1].address,
  };
}

/**
 * Hub and DNS need no chain: they start with it (issue 16), with the DNS records of every node's gateway domain.
 * Each one that started is recorded before a failure is thrown, so `down` finds it.
 */
export async function startHubAndDns(up: UpContext, args: { hubPort: number; addressing: GridAddressing }): Promise<void> {
  const { dir, state, nodes, progress } = up;
  const records: DnsRecords = { domains: {}, hosts: readDnsRecords(dir).hosts };
  for (let i = 1; i <= nodes; i++) records.domains[nodeDomain(i, state.gatewayDomain)] = [args.addressing.hostAddress(i).split('/')[0]];
  writeDnsRecords(dir, records);
  const [hubR, dnsR] = await Promise.allSettled([
    startHubDaemon(hubOptions(dir, args.hubPort), { logFile: daemonLogFile(dir, 'hub') }),
    startDnsDaemon(dnsOptions(dir, 0), { logFile: daemonLogFile(dir, 'dns') }),
  ]);
  if (hubR.status === 'fulfilled') {
    state.hub = { url: hubR.value.info.url, process: hubR.value.process };
    state.baseFlist = hubR.value.info.baseFlist;
    state.vmFlist = hubR.value.info.vmFlist;
    state.tlsServerFlist = hubR.value.info.tlsServerFlist;
  }
  if (dnsR.status === 'fulfilled') {
    const [host, port] = [dnsR.value.info.address.split(':')[0], dnsR.value.info.port];
    state.dns = { url: `dns://${host}:${port}`, address: host, port, process: dnsR.value.process };
  }
  writeState(state);
  for (const r of [hubR, dnsR]) if (r.status === 'rejected') throw r.reason;
  if (hubR.status !== 'fulfilled') throw new TfgridError('unreachable');
  progress.done(`hub: ${hubR.value.info.url}${state.baseFlist ? ` (base flist ${state.baseFlist})` : ' (no base flist: busybox-static missing)'}`);
  progress.done(state.vmFlist ? `hub: VM flist ${state.vmFlist}` : `hub: no VM flist (examples/zmachine-vm cannot boot; the reason is in ${path.join(dir, 'logs', 'hub.log')})`);
  if (state.tlsServerFlist) progress.done(`hub: TLS server flist ${state.tlsServerFlist}`);
  progress.done(`dns: ${state.dns?.address}:${state.dns?.port} serving *.node<i>.${state.gatewayDomain}`);
}

/**
 * The relay starts while the chain registers the farm, the nodes and the users. Each one that started is recorded
 * before any failure is thrown, so `down` finds it. Returns the relay's URL and what the chain registered.
 */
export async function startRelayAndRegister(up: UpContext, args: { chainUrl: string; relayPort: number; addressing: GridAddressing }): Promise<{ relayUrl: string; boot: BootstrapResult }> {
  const { dir, state, nodes, backend, progress } = up;
  const { chainUrl, relayPort } = args;
  const { farmIps } = args.addressing;
  const seeds = Array.from({ length: nodes }, () => newNodeSeed());
  progress.update(`starting the relay; registering farm, ${nodes} nodes and a user on the chain`);
  const services = Promise.allSettled([
    startRelayDaemon(relayOptions(relayPort, chainUrl), { logFile: daemonLogFile(dir, 'relay') }),
    bootstrapLocalGrid({
      chainUrl,
      relay: RELAY_DOMAIN,
      farms: [{ name: FARM_NAME, publicIps: farmIps.map((p) => ({ ip: p.ip, gw: p.gateway })) }],
      nodes: seeds.map((seed, i) => ({ seed, farmName: FARM_NAME, publicConfig: { ip4: chainPublicConfigIp(i + 1), domain: nodeDomain(i + 1, state.gatewayDomain) } })),
      // the grid proxy's own twin in the same blocks as the user's
      proxyUser: true,
      progress,
    }),
  ]);
  // One CA for every gateway of the grid: laptops trust `state.ca.certFile` for HTTPS through any node. Its
  // key takes a second of CPU; made here, it overlaps the relay's start and the chain's block building.
  // A failure is thrown only once the relay is recorded, so `down` finds it.
  let caError: unknown;
  try {
    if (backend === 'linux') state.ca = writeGridCa(dir);
  } catch (err) {
    caError = err;
  }
  const [relayR, bootR] = await services;
  if (relayR.status === 'fulfilled') state.relay = { url: relayR.value.info.url, process: relayR.value.process };
  writeState(state);
  if (caError) throw new TfgridError(`grid CA: ${errorText(caError)}`, { fix: `check that ${dir} is writable` }, { cause: caError });
  for (const r of [relayR, bootR]) if (r.status === 'rejected') throw r.reason;
  if (relayR.status !== 'fulfilled' || bootR.status !== 'fulfilled') throw new TfgridError('unreachable');
  progress.done(`relay: ${relayR.value.info.url}`);
  return { relayUrl: relayR.value.info.url, boot: bootR.value };
}

/** The last `lightNodes` of the grid's nodes are light (`--light-nodes`): node1, the default of every example, stays full. */
export function isLightNode(index: number, up: Pick<UpContext, 'nodes' | 'lightNodes'>): boolean {
  return index > up.nodes - up.lightNodes;
}

/** Where node `index` keeps its config and data (`<dir>/nodes/node<i>`). */
function nodePaths(dir: string, index: number): { configFile: string; dataDir: string } {
  const nodeDir = path.join(dir, 'nodes', `node${index}`);
  return { configFile: path.join(nodeDir, 'config.json'), dataDir: path.join(nodeDir, 'data') };
}

/**
 * Starts every node process before the chain has registered any node (issue 16): each loads its code (a second
 * or more of CPU per Node.js process) while the chain starts and registers, then waits for its config file
 * (`writeNodeConfig`, once the registration is known). The processes are in the state before this returns
 * (records with ids 0 until `recordRegistration`), so `down` stops them whatever fails later. The promise
 * resolves once every node serves RMB.
 */
export async function spawnNodesEarly(up: UpContext): Promise<{ ready: Promise<void> }> {
  const { dir, state, nodes, backend, progress } = up;
  state.nodes = Array.from({ length: nodes }, (_, i): NodeState => {
    const index = i + 1;
    return { index, nodeId: 0, twinId: 0, farmId: 0, netns: '', uplink: '', address: '', domain: nodeDomain(index, state.gatewayDomain), publicIps: [], ...nodePaths(dir, index), seed: '' };
  });
  // Linux nodes one process each; sim nodes share a few (node-hosts.ts).
  const groups = nodeGroups(state.nodes, backend);
  const started = await Promise.allSettled(groups.map((g) => startNodeGroup(dir, g)));
  writeState(state);
  for (const r of started) if (r.status === 'rejected') throw r.reason;
  let serving = 0;
  const ready = Promise.all(
    started.map(async (r, i) => {
      if (r.status === 'fulfilled') await r.value.ready;
      serving += groups[i].length;
      progress.update(`nodes: ${serving} of ${nodes} serving RMB`);
    }),
  ).then(() => undefined);
  ready.catch(() => undefined); // awaited by the caller once the configs are written; a failure before is seen there
  return { ready };
}

/** Records the user, the farm and the nodes the chain registered (each node's host, domain, data paths, process). */
export function recordRegistration(up: UpContext, boot: BootstrapResult, plan: TopologyPlan | undefined, farmIps: GridAddressing['farmIps']): void {
  const { dir, state, progress } = up;
  const early = new Map(state.nodes.map((n) => [n.index, n.process]));
  state.user = { mnemonic: boot.user.mnemonic, twinId: boot.user.twinId };
  state.farms = boot.farms.map((f) => ({ farmId: f.farmId, name: f.name, twinId: f.twinId, publicIps: farmIps }));
  state.nodes = boot.nodes.map((n, i) => {
    const host = plan?.nodes[i];
    const proc = early.get(i + 1);
    return {
      index: i + 1,
      nodeId: n.nodeId,
      twinId: n.twinId,
      farmId: n.farmId,
      netns: host?.netns ?? '',
      uplink: host?.uplink ?? '',
      address: host?.address ?? '',
      domain: nodeDomain(i + 1, state.gatewayDomain),
      publicIps: farmIps,
      ...nodePaths(dir, i + 1),
      seed: n.seed,
      ...(isLightNode(i + 1, up) ? { light: true } : {}),
      ...(proc ? { process: proc } : {}),
    };
  });
  writeState(state);
  progress.done(`chain: farm ${boot.farms[0].farmId}, nodes ${boot.nodes.map((n) => n.nodeId).join(', ')}, user twin ${boot.user.twinId}`);
}

/**
 * Resolves once the grid proxy lists every node of the grid as `up` (`/nodes?status=up`): the proxy started while
 * the nodes did, so its first reports may have found them silent. SIGUSR1 makes it read the chain and the nodes
 * again now (service-main.ts) instead of at its next poll.
 */
export async function proxySeesNodes(up: UpContext, timeoutMs = 60_000): Promise<void> {
  const { state, progress } = up;
  const gp = state.gridProxy;
  if (!gp?.process) throw new TfgridError('grid proxy: not started');
  const want = state.nodes.map((n) => n.nodeId);
  let asked = 0;
  await waitUntil(
    async () => {
      // one nudge per second at most: each is a chain read and a call to every node
      if (Date.now() - asked > 1000 && gp.process && isRunning(gp.process)) {
        process.kill(gp.process.pid, 'SIGUSR1');
        asked = Date.now();
      }
      const res = await fetch(`${gp.url}/nodes?status=up&size=${want.length + 50}`);
      if (!res.ok) return false;
      const seen = new Set(((await res.json()) as { nodeId: number }[]).map((n) => n.nodeId));
      return want.every((id) => seen.has(id));
    },
    { what: `grid proxy: listing nodes ${want.join(', ')} as up`, timeoutMs, intervalMs: 100, process: gp.process, progress },
  );
}

/** The grid proxy on `port`, with its own funded twin (`secret`: it asks the nodes for their reports over RMB). */
export async function startGridProxy(up: UpContext, args: { port: number; chainUrl: string; relayUrl: string; secret: string }): Promise<void> {
  const { dir, state, progress } = up;
  const gp = await startGridProxyDaemon(gridProxyOptions(args.port, args.chainUrl, args.relayUrl, args.secret), { logFile: daemonLogFile(dir, 'gridproxy'), progress });
  state.gridProxy = { url: gp.info.url, process: gp.process, secret: args.secret };
  writeState(state);
  progress.done(`grid proxy: ${gp.info.url}`);
}
