/**
 * Grid bootstrap on a local chain (issue 3): funded accounts, twins for farmers, nodes and users, farms with
 * public IP pools, nodes registered with resources and public config. Idempotent: everything is looked up
 * first (farm by name, node by twin, twin by account), so running it again on a restarted chain reuses state.
 * @module
 */
import type { ChainClient, ChainSigner, NodePublicConfigInput } from '../../protocol/chain';
import type { Node, Resources } from '../../protocol/chain';

/** 1 TFT in chain units (7 decimals). */
export const TFT = 10_000_000n;

export interface FarmSpec {
  name: string;
  farmer: ChainSigner;
  /** `a.b.c.d/nn` with its gateway. */
  publicIps?: { ip: string; gw: string }[];
  dedicated?: boolean;
}

export interface NodeSpec {
  /** Name of a farm in `GridSpec.farms`. */
  farm: string;
  /** The node's own key; its twin is the node's RMB address. */
  signer: ChainSigner;
  resources: Resources;
  /** Set by the farmer; the chain wants a public-range IPv4 with prefix, e.g. 185.69.166.10/24. */
  publicConfig?: NodePublicConfigInput;
  /** Relay host stored on the node's twin (bare host name, e.g. "localhost"). */
  relay?: string;
  location?: { city: string; country: string; latitude: string; longitude: string };
}

export interface UserSpec {
  signer: ChainSigner;
  relay?: string;
  pk?: Uint8Array;
}

export interface GridSpec {
  /** Pays for every account below (default `//Alice`, sr25519, funded in the local genesis). */
  funder?: ChainSigner;
  /** Minimum free balance each farmer, node and user account is topped up to (default 10 000 TFT). */
  balance?: bigint;
  farms: FarmSpec[];
  nodes: NodeSpec[];
  users?: UserSpec[];
}

export interface BootstrappedGrid {
  farms: { name: string; id: number; twinId: number }[];
  nodes: { id: number; twinId: number; farmId: number; address: string }[];
  users: { twinId: number; address: string }[];
}

/** Tops every account up to `min` free balance, in one batchAll from the funder. */
async function topUp(funder: ChainClient, accounts: readonly string[], min: bigint): Promise<void> {
  const have = await Promise.all(accounts.map((a) => funder.getBalance(a)));
  await funder.transferMany(accounts.flatMap((to, i) => (have[i] < min ? [{ to, amount: min - have[i] }] : [])));
}

function samePublicConfig(node: Node, cfg: NodePublicConfigInput): boolean {
  const pc = node.publicConfig;
  if (!pc) return false;
  return pc.ip4.ip === cfg.ip4.ip && pc.ip4.gw === cfg.ip4.gw && (pc.ip6?.ip ?? undefined) === cfg.ip6?.ip && (pc.ip6?.gw ?? undefined) === cfg.ip6?.gw && (pc.domain ?? undefined) === cfg.domain;
}

/**
 * Brings the chain to `spec`, creating only what is missing.
 * @example
 *   const grid = await bootstrapGrid(chain, { farms: [{ name: 'farm1', farmer, publicIps }], nodes: [{ farm: 'farm1', signer, resources }] });
 */
export async function bootstrapGrid(chain: ChainClient, spec: GridSpec): Promise<BootstrappedGrid> {
  const funder = await chain.withSigner(spec.funder ?? { uri: '//Alice', type: 'sr25519' });
  const min = spec.balance ?? 10_000n * TFT;
  const farmers = await Promise.all(spec.farms.map((f) => chain.withSigner(f.farmer)));
  const nodes = await Promise.all(spec.nodes.map((n) => chain.withSigner(n.signer)));
  const users = await Promise.all((spec.users ?? []).map((u) => chain.withSigner(u.signer)));

  // Funding first (one batch), then twins in parallel (distinct accounts share blocks).
  const distinct = new Set<string>();
  for (const c of [...farmers, ...nodes, ...users]) if (c.address) distinct.add(c.address);
  await topUp(funder, [...distinct], min);

  // Distinct accounts: every twin at once (one round of blocks, not three; issue 16). One account in two roles
  // would race for its nonce, so then one after another as before.
  const roles = [...farmers, ...nodes, ...users].map((c) => c.address);
  const shared = new Set(roles).size !== roles.length;
  const farmerTwinsP = Promise.all(farmers.map((c) => c.ensureTwin()));
  const nodeTwinsP = shared
    ? farmerTwinsP.then(() => Promise.all(nodes.map((c, i) => c.ensureTwin({ relay: spec.nodes[i].relay }))))
    : Promise.all(nodes.map((c, i) => c.ensureTwin({ relay: spec.nodes[i].relay })));
  const userTwinsP = shared
    ? nodeTwinsP.then(() => Promise.all(users.map((c, i) => c.ensureTwin({ relay: spec.users?.[i].relay, pk: spec.users?.[i].pk }))))
    : Promise.all(users.map((c, i) => c.ensureTwin({ relay: spec.users?.[i].relay, pk: spec.users?.[i].pk })));
  const [farmerTwins, nodeTwins, userTwins] = await Promise.all([farmerTwinsP, nodeTwinsP, userTwinsP]);

  const farmIds = new Map<string, { id: number; farmer: ChainClient }>();
  const farmsOut: BootstrappedGrid['farms'] = [];
  for (const [i, f] of spec.farms.entries()) {
    const farmer = farmers[i];
    let id = await chain.getFarmIdByName(f.name);
    if (id === undefined) id = (await farmer.createFarm(f.name, f.publicIps ?? [])).id;
    const farm = await chain.getFarm(id);
    const have = new Set((farm?.publicIps ?? []).map((p) => p.ip));
    for (const ip of f.publicIps ?? []) if (!have.has(ip.ip)) await farmer.addFarmIp(id, ip.ip, ip.gw);
    if (f.dedicated !== undefined && farm && farm.dedicatedFarm !== f.dedicated) await farmer.setFarmDedicated(id, f.dedicated);
    farmIds.set(f.name, { id, farmer });
    farmsOut.push({ name: f.name, id, twinId: farmerTwins[i].id });
  }

  const nodesOut: BootstrappedGrid['nodes'] = [];
  for (const [i, n] of spec.nodes.entries()) {
    const farm = farmIds.get(n.farm);
    if (!farm) throw new Error(`node ${i}: farm "${n.farm}" is not in the grid spec`);
    const twin = nodeTwins[i];
    let nodeId = await chain.getNodeIdByTwin(twin.id);
    if (nodeId === undefined) {
      nodeId = (await nodes[i].createNode({ farmId: farm.id, resources: n.resources, location: n.location })).id;
    }
    if (n.publicConfig) {
      const node = await chain.getNode(nodeId);
      if (!node || !samePublicConfig(node, n.publicConfig)) await farm.farmer.addNodePublicConfig(farm.id, nodeId, n.publicConfig);
    }
    nodesOut.push({ id: nodeId, twinId: twin.id, farmId: farm.id, address: nodes[i].address ?? '' });
  }

  return {
    farms: farmsOut,
    nodes: nodesOut,
    users: userTwins.map((t, i) => ({ twinId: t.id, address: users[i].address ?? '' })),
  };
}
