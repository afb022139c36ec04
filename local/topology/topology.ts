/**
 * The local grid's "internet" (DESIGN.md §4 "Local grid topology"; machine.md "netns / veth / bridge").
 *
 * One namespace `<prefix>-inet` holds a bridge `br0` with the internet's gateway address. Each node gets a
 * namespace `<prefix>-n<i>` that is its "host": a veth pair joins the bridge (`n<i>` inside the internet
 * namespace) to the node's `uplink`, which carries the node's own address and a default route to the gateway.
 * Farms get public IP pools on the same internet, so a node's backend can give a machine a public address
 * (inside the node's host namespace) that every other namespace on the internet reaches. A "laptop" namespace
 * (`<prefix>-l<name>`) is a user outside the grid, for tests.
 *
 * Addresses come from 198.18.0.0/15 (RFC 2544, benchmarking; never routed): the internet is 198.18.0.0/16,
 * gateway .0.1, services .0.2–.0.9, node i at 198.18.0.(10+i), farm f's pool at 198.18.f.10…, laptops at
 * 198.18.250.x. Both veth ends are created directly inside their namespaces, so nothing ever appears in the
 * root namespace and deleting the namespaces removes every interface.
 *
 * Lifecycle:
 *   const plan = planTopology({ prefix: 'tfg1a2b', nodes: 3, farms: [{ id: 1, publicIps: 4 }] });
 *   await applyTopology(plan);            // idempotent: existing namespaces/links are reused
 *   const laptop = await createLaptop(plan, 'alice');
 *   await destroyTopology(plan.prefix);   // every namespace named `<prefix>-…`, nothing else
 * @module
 */
import { InputError } from '../../protocol/common/errors';
import { assertIfName, runCommand, type CommandRunner } from './command';

export const INTERNET_PREFIX_LEN = 16;
export const INTERNET_GATEWAY = '198.18.0.1';
/** Fixed service addresses on the internet bridge (DNS answers here for laptops). */
export const INTERNET_DNS_ADDRESS = '198.18.0.2';
export const BRIDGE = 'br0';
export const UPLINK = 'uplink';

export interface NodeHost {
  /** 1-based index of the node in the local grid. */
  index: number;
  /** The node's "host" network namespace. */
  netns: string;
  /** Interface inside `netns` attached to the internet. */
  uplink: string;
  /** The node's address on the internet, CIDR (`198.18.0.11/16`). */
  address: string;
  gateway: string;
}

export interface PublicIpEntry {
  /** CIDR as registered on the farm (`198.18.1.10/16`). */
  ip: string;
  gateway: string;
}

export interface FarmPool {
  farm: number;
  ips: PublicIpEntry[];
}

export interface TopologyPlan {
  prefix: string;
  internetNs: string;
  bridge: string;
  gateway: string;
  prefixLen: number;
  nodes: NodeHost[];
  farms: FarmPool[];
}

export interface TopologyOptions {
  /** Unique per grid; every namespace is named `<prefix>-…` (keep it ≤ 9 characters). */
  prefix: string;
  nodes: number;
  farms: { id: number; publicIps: number }[];
}

/** Pure: the namespaces, links and addresses of a grid. */
export function planTopology(opts: TopologyOptions): TopologyPlan {
  if (!/^[a-z][a-z0-9]{1,8}$/.test(opts.prefix)) {
    throw new InputError(`topology prefix "${opts.prefix}" must be 2-9 lowercase letters/digits starting with a letter`, {
      path: 'prefix',
    });
  }
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 200) {
    throw new InputError(`--nodes ${opts.nodes}: the local grid holds 1 to 200 nodes`, { path: 'nodes', fix: 'use --nodes 1..200' });
  }
  const nodes: NodeHost[] = [];
  for (let i = 1; i <= opts.nodes; i++) {
    nodes.push({
      index: i,
      netns: `${opts.prefix}-n${i}`,
      uplink: UPLINK,
      address: `198.18.0.${10 + i}/${INTERNET_PREFIX_LEN}`,
      gateway: INTERNET_GATEWAY,
    });
  }
  const farms = opts.farms.map((f) => {
    if (!Number.isInteger(f.id) || f.id < 1 || f.id > 249) throw new InputError(`farm id ${f.id}: the local internet has room for farms 1..249`);
    if (f.publicIps < 0 || f.publicIps > 240) throw new InputError(`farm ${f.id}: 0..240 public IPs per farm`);
    const ips: PublicIpEntry[] = [];
    for (let k = 0; k < f.publicIps; k++) ips.push({ ip: `198.18.${f.id}.${10 + k}/${INTERNET_PREFIX_LEN}`, gateway: INTERNET_GATEWAY });
    return { farm: f.id, ips };
  });
  return {
    prefix: opts.prefix,
    internetNs: `${opts.prefix}-inet`,
    bridge: BRIDGE,
    gateway: INTERNET_GATEWAY,
    prefixLen: INTERNET_PREFIX_LEN,
    nodes,
    farms,
  };
}

/** Namespaces that exist now (`ip netns list`), names only. */
export async function listNamespaces(run: CommandRunner = runCommand): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n): n is string => !!n);
}

async function hasLink(run: CommandRunner, netns: string, name: string): Promise<boolean> {
  try {
    await run('ip', ['-n', netns, 'link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

async function addAddress(run: CommandRunner, netns: string, dev: string, cidr: string): Promise<void> {
  const shown = await run('ip', ['-n', netns, '-o', 'addr', 'show', 'dev', dev]);
  if (shown.includes(` ${cidr} `)) return;
  await run('ip', ['-n', netns, 'addr', 'add', cidr, 'dev', dev]);
}

async function ensureNamespace(run: CommandRunner, existing: Set<string>, netns: string): Promise<void> {
  if (!existing.has(netns)) {
    await run('ip', ['netns', 'add', netns]);
    existing.add(netns);
  }
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}

/**
 * Joins namespace `netns` to the internet bridge through a veth (`peerName` on the bridge side, `dev` inside
 * `netns`), with `address` and a default route via the gateway. Idempotent.
 */
async function attachToInternet(run: CommandRunner, plan: TopologyPlan, netns: string, peerName: string, dev: string, address: string): Promise<void> {
  assertIfName(peerName);
  assertIfName(dev);
  if (!(await hasLink(run, netns, dev))) {
    if (await hasLink(run, plan.internetNs, peerName)) await run('ip', ['-n', plan.internetNs, 'link', 'del', peerName]);
    await run('ip', ['link', 'add', 'name', peerName, 'netns', plan.internetNs, 'type', 'veth', 'peer', 'name', dev, 'netns', netns]);
  }
  await run('ip', ['-n', plan.internetNs, 'link', 'set', peerName, 'master', plan.bridge, 'up']);
  await addAddress(run, netns, dev, address);
  await run('ip', ['-n', netns, 'link', 'set', dev, 'up']);
  await run('ip', ['-n', netns, 'route', 'replace', 'default', 'via', plan.gateway, 'dev', dev]);
}

/** Creates (or completes) the internet namespace, its bridge and every node's host namespace. */
export async function applyTopology(plan: TopologyPlan, run: CommandRunner = runCommand): Promise<void> {
  const existing = new Set(await listNamespaces(run));
  await ensureNamespace(run, existing, plan.internetNs);
  if (!(await hasLink(run, plan.internetNs, plan.bridge))) {
    await run('ip', ['-n', plan.internetNs, 'link', 'add', plan.bridge, 'type', 'bridge']);
  }
  await addAddress(run, plan.internetNs, plan.bridge, `${plan.gateway}/${plan.prefixLen}`);
  await addAddress(run, plan.internetNs, plan.bridge, `${INTERNET_DNS_ADDRESS}/${plan.prefixLen}`);
  await run('ip', ['-n', plan.internetNs, 'link', 'set', plan.bridge, 'up']);
  for (const node of plan.nodes) {
    await ensureNamespace(run, existing, node.netns);
    await attachToInternet(run, plan, node.netns, `n${node.index}`, node.uplink, node.address);
  }
}

export interface Laptop {
  netns: string;
  /** CIDR on the internet. */
  address: string;
  dev: string;
}

/**
 * A "laptop": a namespace outside the grid joined to its internet, as a user would be. `slot` picks its
 * address (198.18.250.<10+slot>); names are `<prefix>-l<slot>`.
 */
export async function createLaptop(plan: TopologyPlan, slot: number, run: CommandRunner = runCommand): Promise<Laptop> {
  if (!Number.isInteger(slot) || slot < 0 || slot > 200) throw new InputError(`laptop slot ${slot}: use 0..200`);
  const netns = `${plan.prefix}-l${slot}`;
  const existing = new Set(await listNamespaces(run));
  await ensureNamespace(run, existing, netns);
  const address = `198.18.250.${10 + slot}/${plan.prefixLen}`;
  await attachToInternet(run, plan, netns, `l${slot}`, 'eth0', address);
  return { netns, address, dev: 'eth0' };
}

/** Removes one laptop namespace (its veth goes with it). */
export async function removeLaptop(laptop: Laptop, run: CommandRunner = runCommand): Promise<void> {
  const existing = await listNamespaces(run);
  if (existing.includes(laptop.netns)) await run('ip', ['netns', 'del', laptop.netns]);
}

/** True when `name` was made by the grid with this prefix (`<prefix>-…`). */
export function isOwnedNamespace(prefix: string, name: string): boolean {
  return name.startsWith(`${prefix}-`);
}

/**
 * Deletes every namespace named `<prefix>-…` (their interfaces go with them). Returns what was removed.
 * Nothing else is touched.
 */
export async function destroyTopology(prefix: string, run: CommandRunner = runCommand): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await listNamespaces(run)) {
    if (!isOwnedNamespace(prefix, ns)) continue;
    await run('ip', ['netns', 'del', ns]);
    removed.push(ns);
  }
  return removed;
}

/** Runs a command inside a namespace (`ip netns exec NS cmd…`); for tests and the laptop helper. */
export function execInNamespace(netns: string, cmd: string, args: string[], run: CommandRunner = runCommand): Promise<string> {
  return run('ip', ['netns', 'exec', netns, cmd, ...args]);
}
