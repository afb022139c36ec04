/**
 * What `tfgrid local status` reports (issue 7): chain URL, relay URL, and per node its id, twin id, farm,
 * public IPs and domain, plus whether each daemon still runs. The JSON form is stable for scripts
 * (add fields, never rename).
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../protocol/common/errors';
import type { GridState } from './state';
import { isRunning, tailFile, type ProcessRecord } from './supervisor';
import { daemonStatuses, type DaemonStatus } from './heal';

export interface GridStatus {
  running: boolean;
  dir: string;
  backend: 'sim' | 'linux';
  backendReason: string;
  phase: GridState['phase'];
  chain?: { url: string; running: boolean; restarts: number };
  relay?: { url: string; running: boolean; restarts: number };
  hub?: { url: string; running: boolean; restarts: number };
  dns?: { address: string; port: number; running: boolean; restarts: number };
  /** The grid proxy (ThreeFold's REST API over this grid): the provider's `tfgrid:gridProxyUrl` on `local`. */
  gridProxy?: { url: string; running: boolean; restarts: number };
  /** Every daemon (chain, relay, hub, dns, node<i>): running or dead, pid, restarts (issue 19). */
  daemons: DaemonStatus[];
  gatewayDomain: string;
  internetNs: string;
  /** The hub's busybox flist, the examples' default. */
  baseFlist?: string;
  /** The hub's kernel-mode VM flist (examples/zmachine-vm), when it could be built. */
  vmFlist?: string;
  /** The hub's TLS server flist (examples/*-proxy-passthrough). */
  tlsServerFlist?: string;
  /** The funded user twin whose mnemonic is in the state file (tfgrid:mnemonic for examples). */
  userTwinId?: number;
  nodes: {
    index: number;
    id: number;
    twinId: number;
    farmId: number;
    publicIps: string[];
    domain: string;
    address: string;
    netns: string;
    /** A ZOS light node (`tfgrid local up --light-nodes`): it takes network-light and zmachine-light. */
    light: boolean;
    running: boolean;
    restarts: number;
  }[];
}

const alive = (p?: ProcessRecord) => !!p && isRunning(p);

export function describeGrid(state: GridState): GridStatus {
  const nodes = state.nodes.map((n) => ({
    index: n.index,
    id: n.nodeId,
    twinId: n.twinId,
    farmId: n.farmId,
    publicIps: n.publicIps.map((p) => p.ip),
    domain: n.domain,
    address: n.address,
    netns: n.netns,
    light: !!n.light,
    running: alive(n.process),
    restarts: n.process?.restarts ?? 0,
  }));
  const restarts = (p?: ProcessRecord) => p?.restarts ?? 0;
  const st: GridStatus = {
    running: false,
    dir: state.dir,
    backend: state.backend,
    backendReason: state.backendReason,
    phase: state.phase,
    chain: state.chain && { url: state.chain.url, running: alive(state.chain.process), restarts: restarts(state.chain.process) },
    relay: state.relay && { url: state.relay.url, running: alive(state.relay.process), restarts: restarts(state.relay.process) },
    hub: state.hub && { url: state.hub.url, running: alive(state.hub.process), restarts: restarts(state.hub.process) },
    dns: state.dns && { address: state.dns.address, port: state.dns.port, running: alive(state.dns.process), restarts: restarts(state.dns.process) },
    gridProxy: state.gridProxy && { url: state.gridProxy.url, running: alive(state.gridProxy.process), restarts: restarts(state.gridProxy.process) },
    daemons: daemonStatuses(state),
    gatewayDomain: state.gatewayDomain,
    internetNs: state.internetNs,
    baseFlist: state.baseFlist,
    vmFlist: state.vmFlist,
    tlsServerFlist: state.tlsServerFlist,
    userTwinId: state.user?.twinId,
    nodes,
  };
  st.running = state.phase === 'running' && [st.chain, st.relay, st.hub, st.dns, st.gridProxy].every((s) => !s || s.running) && nodes.every((n) => n.running);
  return st;
}

/** `198.18.1.10/16 … 198.18.1.17/16 (8)` for a long pool, the list for a short one. */
function formatIps(ips: string[]): string {
  if (ips.length === 0) return '-';
  if (ips.length <= 2) return ips.join(',');
  return `${ips[0]} … ${ips[ips.length - 1]} (${ips.length})`;
}

/** The "what runs where" table printed by `up` and `status`. */
export function formatStatus(st: GridStatus): string {
  const mark = (ok: boolean) => (ok ? 'running' : 'DEAD   ');
  const times = (n: number) => (n > 0 ? `  (restarted ${n}×)` : '');
  const lines: string[] = [];
  lines.push(`local grid: ${st.running ? 'running' : st.phase === 'running' ? 'DEGRADED' : st.phase}  (${st.backend} backend; ${st.backendReason})`);
  lines.push(`  state      ${path.join(st.dir, 'state.json')}`);
  if (st.chain) lines.push(`  ${mark(st.chain.running)} chain  ${st.chain.url}${times(st.chain.restarts)}`);
  if (st.relay) lines.push(`  ${mark(st.relay.running)} relay  ${st.relay.url}${times(st.relay.restarts)}`);
  if (st.hub) lines.push(`  ${mark(st.hub.running)} hub    ${st.hub.url}${times(st.hub.restarts)}`);
  if (st.dns) lines.push(`  ${mark(st.dns.running)} dns    ${st.dns.address}:${st.dns.port}  (*.${st.gatewayDomain})${times(st.dns.restarts)}`);
  if (st.gridProxy) lines.push(`  ${mark(st.gridProxy.running)} proxy  ${st.gridProxy.url}  (grid proxy)${times(st.gridProxy.restarts)}`);
  if (st.baseFlist) lines.push(`  flist      ${st.baseFlist}`);
  if (st.vmFlist) lines.push(`  vm flist   ${st.vmFlist}`);
  if (st.tlsServerFlist) lines.push(`  tls flist  ${st.tlsServerFlist}`);
  if (st.userTwinId !== undefined) lines.push(`  user       twin ${st.userTwinId} (funded; its mnemonic is in the state file)`);
  if (st.internetNs) lines.push(`  net        internet namespace ${st.internetNs}, 198.18.0.0/16, gateway 198.18.0.1`);
  for (const n of st.nodes) {
    const where = n.netns ? `  host ${n.netns} ${n.address}` : '';
    lines.push(
      `  ${mark(n.running)} node ${n.id}  (node${n.index}${n.light ? ', light' : ''})  twin ${n.twinId}  farm ${n.farmId}  domain ${n.domain || '-'}  public IPs ${formatIps(n.publicIps)}${where}${times(n.restarts)}`,
    );
  }
  const dead = st.daemons.filter((d) => d.state === 'dead');
  if (st.phase === 'running' && dead.length > 0) {
    lines.push(
      dead.some((d) => d.name === 'chain')
        ? '  the chain is dead: `tfgrid local up` starts a new grid (the old stacks are kept aside)'
        : `  dead: ${dead.map((d) => d.name).join(', ')}: \`tfgrid local up\` starts only these again`,
    );
  }
  return lines.join('\n');
}

/** Log files by name: `chain`, `relay`, `hub`, `dns`, `node<i>` (`<i>` also accepts the node id). */
export function logFiles(state: GridState): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, s] of [
    ['chain', state.chain],
    ['relay', state.relay],
    ['hub', state.hub],
    ['dns', state.dns],
    ['gridproxy', state.gridProxy],
  ] as const) {
    if (s?.process) out.set(name, s.process.logFile);
  }
  for (const n of state.nodes) if (n.process) out.set(`node${n.index}`, n.process.logFile);
  return out;
}

/** The log text for `tfgrid local logs [name]`: one service, or the tail of every log. */
export function readLogs(state: GridState, name: string | undefined, lines: number): string {
  const files = logFiles(state);
  if (name === undefined) {
    return [...files.entries()].map(([n, f]) => `==> ${n} (${f}) <==\n${tailFile(f, lines)}`).join('\n\n');
  }
  const byId = state.nodes.find((n) => String(n.nodeId) === name || String(n.index) === name);
  const key = files.has(name) ? name : byId ? `node${byId.index}` : undefined;
  const file = key ? files.get(key) : undefined;
  if (!file) {
    throw new InputError(`no log named "${name}"; known: ${[...files.keys()].join(', ')}`, { path: 'name', fix: 'use one of the listed names or a node id' });
  }
  if (!fs.existsSync(file)) return '';
  return tailFile(file, lines);
}
