/**
 * Network: a private network spanning nodes (DESIGN.md §4 "Networks", zos-protocol.md §1.5 network, §6.4).
 * One `network` workload per node, each in its own deployment group (`net.<name>`), a /24 per node inside the
 * network's /16 (starting at the third /24, as the TS SDK does), WireGuard keys and listen ports chosen once and
 * kept across updates (changing them broke meshes, zos#1759), peers recomputed on every change: public nodes are
 * peered directly, hidden nodes reach each other through a public node, and an optional user access peer (a
 * laptop) gets a wg-quick config. Adding or removing nodes re-versions every affected node's deployment, all in
 * one chain transaction. Private keys and the access config are secret outputs.
 *
 * Pulumi state written here: add fields, never rename.
 * @module
 */
import { randomBytes, randomInt } from 'crypto';
import nacl from 'tweetnacl';
import { z } from 'zod';
import { InputError, TfgridError, errorText } from '../../protocol/common/errors';
import type { NetworkData } from '../../protocol/zos/types/network';
import type { NetworkLightData } from '../../protocol/zos/types/network-light';
import { previousInputs, withCheckedInputs } from '../checked-inputs';
import type { ApplyResult } from '../deployment-coordinator';
import { stableJson } from '../deployment-coordinator';
import type { NodePublicConfig } from '../deps';
import { containsUnknown, nodeIdSchema, validateInputs, workloadNameSchema, type CheckFailure } from '../inputs';
import { parseV4 } from '../ip-allocator';
import { nodeKind } from '../node-kind';
import { getRuntime, type ProviderRuntime } from '../runtime';
import { PartialCreateError, recordedAccount, withDefaults, type DiffResult } from '../workload-resource';
import { accountSchema, sameAccount } from '../account';

/** The private /16 a Network takes when `ipRange` is omitted (the SDK passes it to machines, see zmachine.ts). */
export const DEFAULT_NETWORK_RANGE = '10.20.0.0/16';

const MYCELIUM_KEY = /^[0-9a-fA-F]{64}$/;

export const networkInputsSchema = z
  .object({
    /** Network name (a ZOS workload name; machines join it by this name). */
    name: workloadNameSchema,
    /** Nodes the network spans. */
    nodes: z.array(nodeIdSchema).min(1, 'a network needs at least one node'),
    /** Private IPv4 /16, e.g. 10.20.0.0/16. */
    ipRange: z.string().default(DEFAULT_NETWORK_RANGE),
    /** Add a WireGuard peer for your machine and output a wg-quick config. */
    addWgAccess: z.boolean().default(false),
    /** Node that serves the access peer (must have a public IP); default: the first public node. */
    accessNode: nodeIdSchema.optional(),
    /** Give the network mycelium (keys are generated and kept). */
    mycelium: z.boolean().default(false),
    /**
     * Node id → the network's mycelium key on that node (32 bytes, 64 hex; secret), as pulumi-threefold's
     * `mycelium_keys`: with the machines' seeds it fixes every mycelium IP. Nodes left out get a random key, made
     * once and kept while the network stays (its name and ipRange). Changing a key moves that node's mycelium /64.
     */
    myceliumKeys: z
      .record(z.string().regex(MYCELIUM_KEY, 'a mycelium key is 32 bytes of hex (64 characters)'))
      .optional()
      .describe("Node id → the network's mycelium key on that node (64 hex, secret); nodes left out get a random key, kept while the network keeps its name and ipRange."),
    description: z.string().max(256).default(''),
    /** The twin and network it deploys with (provider/account.ts); default the stack config's. */
    account: accountSchema,
  })
  .superRefine((i, ctx) => {
    if (!isPrivateRange16(i.ipRange)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ipRange'], message: `"${i.ipRange}" must be a private IPv4 /16 such as 10.20.0.0/16 (ZOS gives every node a /24 of it)` });
    }
    const dup = i.nodes.find((n, idx) => i.nodes.indexOf(n) !== idx);
    if (dup !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['nodes'], message: `node ${dup} is listed twice` });
    for (const k of Object.keys(i.myceliumKeys ?? {})) {
      if (!i.nodes.includes(Number(k)))
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['myceliumKeys', k], message: `"${k}" is not one of the network's nodes (${i.nodes.join(', ')}); keys are by node id` });
    }
    if (i.myceliumKeys && !i.mycelium) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['myceliumKeys'], message: 'myceliumKeys given but mycelium is false; set mycelium: true' });
    if (i.accessNode !== undefined && !i.nodes.includes(i.accessNode)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['accessNode'], message: `node ${i.accessNode} is not one of the network's nodes (${i.nodes.join(', ')}); add it to nodes` });
    }
  });
export type NetworkInputs = z.infer<typeof networkInputsSchema>;

/** Outputs besides the inputs (for schema.json and the SDK). */
export const networkOutputDocs = {
  nodeSubnets: { type: 'object', description: 'Node id → the /24 of this network on that node.' },
  wgPorts: { type: 'object', description: 'Node id → WireGuard listen port (kept stable).' },
  wgPublicKeys: { type: 'object', description: 'Node id → WireGuard public key.' },
  wgPrivateKeys: { type: 'object', description: 'Node id → WireGuard private key.', secret: true },
  myceliumKeys: {
    type: 'object',
    description: 'Node id → the mycelium private key of the network on that node (32 bytes hex): the given ones, the others generated once and kept; also on light nodes, which require one.',
    secret: true,
  },
  nodeTypes: { type: 'object', description: 'Node id → the workload type on that node: network, or network-light on a light node.' },
  endpoints: { type: 'object', description: 'Node id → public WireGuard endpoint, "" for hidden nodes.' },
  contractIds: { type: 'object', description: 'Node id → node contract of the network deployment.' },
  accessSubnet: { type: 'string', description: 'The /24 of the access peer, when addWgAccess.' },
  accessNodeId: { type: 'integer', description: 'The node serving the access peer (its public endpoint is in accessConfig); 0 without addWgAccess.' },
  accessPrivateKey: { type: 'string', description: 'WireGuard private key of the access peer.', secret: true },
  accessConfig: { type: 'string', description: 'wg-quick config for the access peer.', secret: true },
  twinId: { type: 'integer', description: 'The deploying twin.' },
  state: { type: 'string', description: 'ok, or the worst per-node state after a refresh.' },
} as const;

export const NETWORK_SECRET_OUTPUTS = ['wgPrivateKeys', 'myceliumKeys', 'accessPrivateKey', 'accessConfig'];

function isPrivateRange16(cidr: string): boolean {
  const [addr, len] = cidr.split('/');
  const a = parseV4(addr ?? '');
  if (!a || len !== '16' || a[2] !== 0 || a[3] !== 0) return false;
  return a[0] === 10 || (a[0] === 172 && a[1] >= 16 && a[1] <= 31) || (a[0] === 192 && a[1] === 168);
}

/** `100.64.<b>.<c>/32` for subnet `a.b.c.0/24` (zos-protocol.md §7, WireGuard NR IP). */
export function wgIp(subnet: string): string {
  const a = parseV4(subnet.split('/')[0])!;
  return `100.64.${a[1]}.${a[2]}/32`;
}

/**
 * Keeps existing subnets and gives each new node the lowest free /24 from the third one up (x.y.2.0/24).
 * `reserved` are /24s used otherwise (the access peer).
 */
export function allocateSubnets(ipRange: string, nodes: number[], existing: Record<string, string>, reserved: string[] = []): Record<string, string> {
  const base = parseV4(ipRange.split('/')[0])!;
  const out: Record<string, string> = {};
  for (const n of nodes) if (existing[String(n)]) out[String(n)] = existing[String(n)];
  const used = new Set([...Object.values(out), ...reserved]);
  let third = 2;
  for (const n of nodes) {
    if (out[String(n)]) continue;
    while (used.has(`${base[0]}.${base[1]}.${third}.0/24`)) third++;
    if (third > 255) throw new InputError(`network range ${ipRange} has no free /24 left`, { path: 'ipRange' });
    const s = `${base[0]}.${base[1]}.${third}.0/24`;
    out[String(n)] = s;
    used.add(s);
  }
  return out;
}

export interface NodeWg {
  node: number;
  subnet: string;
  publicKey: string;
  port: number;
  /** Public IP (v4 dotted, or v6) reachable for WireGuard; "" for hidden nodes. */
  endpointIp: string;
}

export interface WirePeer {
  subnet: string;
  wireguard_public_key: string;
  allowed_ips: string[];
  endpoint: string;
}

function endpointOf(n: NodeWg): string {
  if (!n.endpointIp) return '';
  return n.endpointIp.includes(':') ? `[${n.endpointIp}]:${n.port}` : `${n.endpointIp}:${n.port}`;
}

/**
 * Peers of node `self`: every other node it can reach directly (one side public), hidden nodes routed through
 * a public relay (the access node when public), and the access peer on the access node (routed elsewhere through it).
 */
export function computePeers(self: NodeWg, all: NodeWg[], access?: { node: number; subnet: string; publicKey: string }): WirePeer[] {
  const others = all.filter((n) => n.node !== self.node);
  const publicNodes = all.filter((n) => n.endpointIp);
  const relayCandidates = publicNodes.filter((n) => n.node !== self.node);
  const relay = relayCandidates.find((n) => n.node === access?.node) ?? relayCandidates[0];
  const peers: WirePeer[] = [];
  const byNode = new Map<number, WirePeer>();
  for (const m of others) {
    if (!self.endpointIp && !m.endpointIp) continue;
    const p: WirePeer = { subnet: m.subnet, wireguard_public_key: m.publicKey, allowed_ips: [m.subnet, wgIp(m.subnet)], endpoint: endpointOf(m) };
    peers.push(p);
    byNode.set(m.node, p);
  }
  if (!self.endpointIp && relay) {
    for (const m of others) if (!m.endpointIp) byNode.get(relay.node)!.allowed_ips.push(m.subnet, wgIp(m.subnet));
  }
  if (access) {
    if (access.node === self.node) {
      peers.push({ subnet: access.subnet, wireguard_public_key: access.publicKey, allowed_ips: [access.subnet, wgIp(access.subnet)], endpoint: '' });
    } else {
      const via = byNode.get(access.node) ?? (relay ? byNode.get(relay.node) : undefined);
      via?.allowed_ips.push(access.subnet, wgIp(access.subnet));
    }
  }
  return peers;
}

/** wg-quick config for the access peer. */
export function wgQuickConfig(p: { accessSubnet: string; privateKey: string; nodePublicKey: string; endpoint: string; ipRange: string }): string {
  return [
    '[Interface]',
    `Address = ${wgIp(p.accessSubnet)}`,
    `PrivateKey = ${p.privateKey}`,
    '',
    '[Peer]',
    `PublicKey = ${p.nodePublicKey}`,
    `AllowedIPs = ${p.ipRange}, 100.64.0.0/16`,
    'PersistentKeepalive = 25',
    `Endpoint = ${p.endpoint}`,
    '',
  ].join('\n');
}

export function wgKeyPair(): { privateKey: string; publicKey: string } {
  const kp = nacl.box.keyPair();
  return { privateKey: Buffer.from(kp.secretKey).toString('base64'), publicKey: Buffer.from(kp.publicKey).toString('base64') };
}

export function wgPublicKey(privateKey: string): string {
  return Buffer.from(nacl.scalarMult.base(new Uint8Array(Buffer.from(privateKey, 'base64')))).toString('base64');
}

const reservedPorts = new Map<number, Set<number>>();

/** A random free port 1024–32767 (as the TS SDK does), not taken on the node nor handed out in this process. */
export function pickPort(node: number, taken: number[]): number {
  let mine = reservedPorts.get(node);
  if (!mine) reservedPorts.set(node, (mine = new Set()));
  for (let tries = 0; tries < 1000; tries++) {
    const p = randomInt(1024, 32768);
    if (!taken.includes(p) && !mine.has(p)) {
      mine.add(p);
      return p;
    }
  }
  throw new InputError(`node ${node} has no free WireGuard port`, { node });
}

type StrMap = Record<string, string>;
type NumMap = Record<string, number>;

export interface NetworkOutputs extends NetworkInputs {
  nodeSubnets: StrMap;
  wgPorts: NumMap;
  wgPublicKeys: StrMap;
  wgPrivateKeys: StrMap;
  myceliumKeys: StrMap;
  nodeTypes: StrMap;
  endpoints: StrMap;
  contractIds: NumMap;
  accessSubnet: string;
  accessNodeId: number;
  accessPrivateKey: string;
  accessConfig: string;
  twinId: number;
  state: string;
  nodeStates?: StrMap;
}

export const networkGroup = (name: string): string => `net.${name}`;

function endpointIpFrom(cfg: NodePublicConfig | undefined): string {
  if (!cfg) return '';
  if (cfg.ipv4) return cfg.ipv4.split('/')[0];
  if (cfg.ipv6) return cfg.ipv6.split('/')[0];
  return '';
}

/** The network's state before it is applied; `noWireguard` (nodes whose network has no WireGuard) is not an output. */
export type NetworkPlan = Omit<NetworkOutputs, 'contractIds' | 'twinId' | 'state'> & { noWireguard?: string[] };

/** What the plan needs to know of a node (asked at create/update). */
export interface NetworkNodeFacts {
  endpointIp: string;
  takenPorts: number[];
  /** A light node: `network-light`, always with a mycelium key (ZOS refuses one without). */
  light?: boolean;
  /** Its network takes WireGuard fields (false only on light nodes older than zosbase d32dcb7e). */
  wireguard?: boolean;
}

/** Pure: the network state for `inputs`, keeping what `prev` already had; node facts come in `facts`. */
export function planNetwork(inputs: NetworkInputs, prev: Partial<NetworkOutputs> | undefined, facts: Record<string, NetworkNodeFacts>): NetworkPlan {
  const keep = <T>(m: Record<string, T> | undefined) => Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => inputs.nodes.includes(Number(k))));
  const samePlace = prev && prev.ipRange === inputs.ipRange;
  const accessSubnetPrev = samePlace && inputs.addWgAccess ? prev?.accessSubnet : undefined;
  const nodeSubnets = allocateSubnets(inputs.ipRange, inputs.nodes, samePlace ? keep(prev?.nodeSubnets) : {}, accessSubnetPrev ? [accessSubnetPrev] : []);
  const wgPrivateKeys: StrMap = keep(prev?.wgPrivateKeys);
  const wgPublicKeys: StrMap = keep(prev?.wgPublicKeys);
  const wgPorts: NumMap = keep(prev?.wgPorts);
  const light = (k: string) => facts[k]?.light ?? prev?.nodeTypes?.[k] === 'network-light';
  // A node keeps its key while it needs one (mycelium, or a light node); a given key wins over the kept one.
  const myceliumKeys: StrMap = Object.fromEntries(Object.entries(keep(prev?.myceliumKeys)).filter(([k]) => inputs.mycelium || light(k)));
  for (const [k, key] of Object.entries(inputs.myceliumKeys ?? {})) myceliumKeys[k] = key.toLowerCase();
  const nodeTypes: StrMap = {};
  const endpoints: StrMap = {};
  for (const n of inputs.nodes) {
    const k = String(n);
    if (!wgPrivateKeys[k]) {
      const kp = wgKeyPair();
      wgPrivateKeys[k] = kp.privateKey;
      wgPublicKeys[k] = kp.publicKey;
    }
    if (!wgPorts[k]) wgPorts[k] = pickPort(n, facts[k]?.takenPorts ?? []);
    if ((inputs.mycelium || light(k)) && !myceliumKeys[k]) myceliumKeys[k] = randomBytes(32).toString('hex');
    nodeTypes[k] = light(k) ? 'network-light' : 'network';
    // A light node without WireGuard has no endpoint to peer with: it is reached over mycelium only.
    endpoints[k] = facts[k]?.wireguard === false ? '' : (facts[k]?.endpointIp ?? prev?.endpoints?.[k] ?? '');
  }
  const publicNodes = inputs.nodes.filter((n) => endpoints[String(n)]);
  const hidden = inputs.nodes.filter((n) => !endpoints[String(n)]);
  if (hidden.length > 1 && publicNodes.length === 0) {
    throw new InputError(`Network "${inputs.name}": nodes ${hidden.join(', ')} have no public IP and no node of the network has one, so they cannot reach each other`, {
      path: 'nodes',
      fix: 'add a node with a public config to nodes (it relays WireGuard traffic)',
    });
  }
  let accessSubnet = '';
  let accessNodeId = 0;
  let accessPrivateKey = '';
  let accessConfig = '';
  if (inputs.addWgAccess) {
    accessNodeId = inputs.accessNode ?? publicNodes[0] ?? 0;
    if (!accessNodeId || !endpoints[String(accessNodeId)]) {
      throw new InputError(`Network "${inputs.name}": addWgAccess needs a node with a public IP${inputs.accessNode ? `; node ${inputs.accessNode} has none` : ''}`, {
        path: 'accessNode',
        fix: 'add a node with a public config and set accessNode to it',
      });
    }
    accessSubnet = accessSubnetPrev ?? allocateSubnets(inputs.ipRange, [-1], {}, Object.values(nodeSubnets))['-1'];
    accessPrivateKey = (samePlace && prev?.accessPrivateKey) || wgKeyPair().privateKey;
    const k = String(accessNodeId);
    accessConfig = wgQuickConfig({
      accessSubnet,
      privateKey: accessPrivateKey,
      nodePublicKey: wgPublicKeys[k],
      endpoint: `${endpoints[k].includes(':') ? `[${endpoints[k]}]` : endpoints[k]}:${wgPorts[k]}`,
      ipRange: inputs.ipRange,
    });
  }
  const noWg = inputs.nodes.filter((n) => facts[String(n)]?.wireguard === false).map(String);
  return {
    ...inputs,
    nodeSubnets,
    wgPorts,
    wgPublicKeys,
    wgPrivateKeys,
    myceliumKeys,
    nodeTypes,
    endpoints,
    accessSubnet,
    accessNodeId,
    accessPrivateKey,
    accessConfig,
    ...(noWg.length > 0 ? { noWireguard: noWg } : {}),
  };
}

/**
 * The wire `data` of the network workload on `node` (type `plan.nodeTypes[node]`). A light node's `network-light`
 * always carries its mycelium key (ZOS: `invalid mycelium key length, expected 32` without one). One whose node
 * has no WireGuard (light nodes before zosbase d32dcb7e) is `{subnet, mycelium}` only, the shape those nodes
 * know, and no other node peers with it: its machines are reached over mycelium.
 */
/**
 * The data of one node's network workload, typed by protocol/zos: a full node's `network`, or on a light node
 * (no WireGuard) the `network-light` fields it sets; the others stay absent, Go's zero values.
 */
export function networkWorkloadData(plan: NetworkPlan, node: number): NetworkData | Partial<NetworkLightData> {
  const key = plan.myceliumKeys[String(node)];
  const mycelium = key ? { mycelium: { hex_key: key, peers: [] } } : {};
  const subnet = plan.nodeSubnets[String(node)];
  const noWg = new Set(plan.noWireguard ?? []);
  if (noWg.has(String(node))) return { subnet, ...mycelium };
  const all: NodeWg[] = plan.nodes
    .filter((n) => !noWg.has(String(n)))
    .map((n) => ({ node: n, subnet: plan.nodeSubnets[String(n)], publicKey: plan.wgPublicKeys[String(n)], port: plan.wgPorts[String(n)], endpointIp: plan.endpoints[String(n)] }));
  const self = all.find((n) => n.node === node)!;
  const access = plan.addWgAccess ? { node: plan.accessNodeId, subnet: plan.accessSubnet, publicKey: wgPublicKey(plan.accessPrivateKey) } : undefined;
  return {
    ip_range: plan.ipRange,
    subnet,
    wireguard_private_key: plan.wgPrivateKeys[String(node)],
    wireguard_listen_port: self.port,
    peers: computePeers(self, all, access),
    ...mycelium,
  };
}

export function checkNetwork(olds: Record<string, unknown> | undefined, news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider: provider, ...raw } = news;
  const { value, failures } = validateInputs(networkInputsSchema, raw, 'Network', String(raw.name ?? '?'));
  if (!value) return { inputs: news, failures };
  void olds;
  const inputs: Record<string, unknown> = { ...value };
  if (provider !== undefined) inputs.__provider = provider;
  return { inputs, failures };
}

/** Compares with the checked inputs recorded at create/update (`__inputs`, provider/checked-inputs.ts), never outputs. */
export function diffNetwork(olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  const shape = networkInputsSchema._def.schema.shape;
  const keys = Object.keys(shape);
  // State from before `__inputs` holds the generated keys under `myceliumKeys`, an output then, never an input.
  const prev = withDefaults(shape, previousInputs(olds, keys, ['myceliumKeys']).inputs);
  const next = withDefaults(shape, news);
  const same = (k: string) => (k === 'account' ? sameAccount(prev[k], next[k]) : stableJson(prev[k] ?? null) === stableJson(next[k] ?? null));
  const changed = keys.filter((k) => !same(k));
  if (changed.length === 0) return { changes: false, replaces: [], deleteBeforeReplace: false };
  // The name is unique per twin per node and the range renumbers everything: both need a new network; another
  // account's network is another twin's deployments.
  const replaces = changed.filter((k) => k === 'name' || k === 'ipRange' || k === 'account');
  return { changes: true, replaces, deleteBeforeReplace: replaces.length > 0 };
}

async function nodeFacts(rt: ProviderRuntime, nodes: number[]): Promise<Record<string, NetworkNodeFacts>> {
  const out: Record<string, NetworkNodeFacts> = {};
  await Promise.all(
    nodes.map(async (n) => {
      const api = await rt.deps.node(n);
      const [cfg, ports, kind] = await Promise.all([api.publicConfig().catch(() => undefined), api.listWgPorts(), nodeKind(rt, n)]);
      out[String(n)] = { endpointIp: endpointIpFrom(cfg), takenPorts: ports, light: kind.light, wireguard: kind.wireguard };
    }),
  );
  return out;
}

function parseNetworkInputs(raw: Record<string, unknown>): NetworkInputs {
  const { value, failures } = validateInputs(networkInputsSchema, pickInputs(raw), 'Network', String(raw.name ?? '?'));
  if (!value) throw new InputError(failures.map((f) => f.reason).join('; '));
  return value;
}

function pickInputs(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(networkInputsSchema._def.schema.shape)) if (raw[k] !== undefined) out[k] = raw[k];
  return out;
}

/** Applies the plan on every node (one coalesced chain transaction) and removes the network from `dropped` nodes. */
async function applyPlan(
  rt: ProviderRuntime,
  plan: ReturnType<typeof planNetwork>,
  prev: Partial<NetworkOutputs> | undefined,
  dropped: number[],
): Promise<{ results: Map<number, ApplyResult>; errors: Map<number, unknown> }> {
  const group = networkGroup(plan.name);
  const results = new Map<number, ApplyResult>();
  const errors = new Map<number, unknown>();
  await Promise.all([
    ...plan.nodes.map(async (n) => {
      try {
        const r = await rt.coordinator.apply({
          node: n,
          group,
          op: { kind: 'upsert', workload: { name: plan.name, type: plan.nodeTypes[String(n)] ?? 'network', data: networkWorkloadData(plan, n), description: plan.description } },
          contractId: prev?.contractIds?.[String(n)],
          label: `Network "${plan.name}"`,
        });
        results.set(n, r);
      } catch (err) {
        errors.set(n, err);
      }
    }),
    ...dropped.map(async (n) => {
      try {
        await rt.coordinator.apply({ node: n, group, op: { kind: 'remove', name: plan.name }, contractId: prev?.contractIds?.[String(n)], label: `Network "${plan.name}"` });
      } catch (err) {
        errors.set(n, err);
      }
    }),
  ]);
  return { results, errors };
}

/** The outputs; `inputs` (the checked inputs) go to `__inputs`: the plan's `myceliumKeys` are the effective keys, not the given ones. */
function outputs(plan: ReturnType<typeof planNetwork>, results: Map<number, ApplyResult>, inputs: NetworkInputs, prev?: Partial<NetworkOutputs>): NetworkOutputs {
  const contractIds: NumMap = {};
  let twinId = prev?.twinId ?? 0;
  for (const n of plan.nodes) {
    const r = results.get(n);
    contractIds[String(n)] = r?.contractId ?? prev?.contractIds?.[String(n)] ?? 0;
    if (r) twinId = r.twinId;
  }
  const { noWireguard: _internal, ...kept } = plan;
  void _internal;
  return withCheckedInputs({ ...kept, contractIds, twinId, state: 'ok' }, pickInputs(inputs));
}

/**
 * Into `contractIds`, where a node has none, the contract its failed deploy left: a deploy that timed out keeps its
 * contract, and the coordinator hands it back as `partialContractId`.
 */
function recordLeftContracts(contractIds: NumMap, errors: Map<number, unknown>): void {
  for (const [n, e] of errors) {
    const left = e instanceof TfgridError ? Number(e.context.partialContractId) || 0 : 0;
    if (left && !contractIds[String(n)]) contractIds[String(n)] = left;
  }
}

export async function createNetwork(raw: Record<string, unknown>): Promise<{ id: string; outs: NetworkOutputs }> {
  const inputs = parseNetworkInputs(raw);
  const rt = await getRuntime(inputs.account);
  const plan = planNetwork(inputs, undefined, await nodeFacts(rt, inputs.nodes));
  const { results, errors } = await applyPlan(rt, plan, undefined, []);
  if (errors.size > 0) {
    const reasons = [...errors].map(([n, e]) => `node ${n}: ${errorText(e)}`);
    // Roll back the nodes that made it, and the contracts failed nodes left (a deploy that timed out keeps its
    // contract: the coordinator hands it back as `partialContractId`), so no contract is left behind.
    const made = outputs(plan, results, inputs);
    recordLeftContracts(made.contractIds, errors);
    const undo = plan.nodes.filter((n) => made.contractIds[String(n)] > 0);
    const rollback = await applyPlan(rt, { ...plan, nodes: [] }, made, undo);
    if (rollback.errors.size > 0) {
      const left = { ...outputs({ ...plan, nodes: undo }, results, inputs), contractIds: Object.fromEntries(undo.map((n) => [String(n), made.contractIds[String(n)]])) };
      throw new PartialCreateError(
        `Network "${inputs.name}": ${reasons.join('; ')}; rolling back failed on nodes ${[...rollback.errors.keys()].join(', ')}`,
        `network/${inputs.name}`,
        { ...left, state: 'error' },
        reasons,
      );
    }
    throw new InputError(`Network "${inputs.name}" could not be created: ${reasons.join('; ')}; the other nodes were rolled back`);
  }
  return { id: `network/${inputs.name}`, outs: outputs(plan, results, inputs) };
}

export async function updateNetwork(olds: Record<string, unknown>, raw: Record<string, unknown>): Promise<{ outs: NetworkOutputs }> {
  const inputs = parseNetworkInputs(raw);
  const prev = olds as Partial<NetworkOutputs>;
  const rt = await getRuntime(inputs.account);
  const added = inputs.nodes.filter((n) => !prev.nodeSubnets?.[String(n)]);
  const facts = await nodeFacts(rt, inputs.nodes);
  const plan = planNetwork(inputs, prev, facts);
  void added;
  const dropped = (prev.nodes ?? []).filter((n) => !inputs.nodes.includes(n));
  const { results, errors } = await applyPlan(rt, plan, prev, dropped);
  if (errors.size > 0) throw partialUpdate(plan, results, errors, inputs, prev, dropped);
  return { outs: outputs(plan, results, inputs, prev) };
}

/**
 * A network update that failed on some nodes, recorded as Pulumi records a partial update: the outputs name every
 * contract now on the chain (nodes that took it, the contract a timed-out deploy left on an added node, dropped
 * nodes whose removal failed), so destroy frees them all; the recorded inputs stay the previous ones, so the next
 * `up` sees the same change and retries it. An error without them left added nodes' contracts unowned.
 */
function partialUpdate(
  plan: NetworkPlan,
  results: Map<number, ApplyResult>,
  errors: Map<number, unknown>,
  inputs: NetworkInputs,
  prev: Partial<NetworkOutputs>,
  dropped: number[],
): PartialCreateError {
  const reasons = [...errors].map(([n, e]) => `node ${n}: ${errorText(e)}`);
  const outs = outputs(plan, results, inputs, prev);
  recordLeftContracts(outs.contractIds, errors);
  const stillThere = dropped.filter((n) => errors.has(n) && (prev.contractIds?.[String(n)] ?? 0) > 0);
  for (const n of stillThere) outs.contractIds[String(n)] = prev.contractIds?.[String(n)] ?? 0;
  const keys = Object.keys(networkInputsSchema._def.schema.shape);
  const recorded = withCheckedInputs({ ...outs, nodes: [...plan.nodes, ...stillThere], state: 'error' }, previousInputs(prev, keys, ['myceliumKeys']).inputs);
  return new PartialCreateError(`Network "${inputs.name}" update failed: ${reasons.join('; ')}`, `network/${inputs.name}`, recorded, reasons);
}

export async function deleteNetwork(olds: Record<string, unknown>): Promise<void> {
  const prev = olds as Partial<NetworkOutputs>;
  const rt = await getRuntime(recordedAccount(olds));
  const nodes = (prev.nodes ?? []).filter((n) => prev.contractIds?.[String(n)]);
  const name = String(prev.name);
  const errors: string[] = [];
  await Promise.all(
    nodes.map((n) =>
      rt.coordinator
        .apply({ node: n, group: networkGroup(name), op: { kind: 'remove', name }, contractId: prev.contractIds?.[String(n)], label: `Network "${name}"` })
        .catch((e) => errors.push(`node ${n}: ${errorText(e)}`)),
    ),
  );
  if (errors.length > 0) throw new InputError(`Network "${name}": removing it failed on ${errors.join('; ')}`);
}

export async function readNetwork(id: string, props: Record<string, unknown>): Promise<{ id: string; props: Record<string, unknown> }> {
  const prev = props as Partial<NetworkOutputs>;
  const rt = await getRuntime(recordedAccount(props));
  const name = String(prev.name);
  const nodeStates: StrMap = {};
  await Promise.all(
    (prev.nodes ?? []).map(async (n) => {
      const c = prev.contractIds?.[String(n)] ?? 0;
      if (!c) return void (nodeStates[String(n)] = 'gone');
      const r = await rt.coordinator.read(n, networkGroup(name), c, name);
      nodeStates[String(n)] = r.status;
    }),
  );
  const states = Object.values(nodeStates);
  if (states.length > 0 && states.every((s) => s === 'gone')) return { id: '', props: {} };
  const order = ['gone', 'error', 'unreachable', 'paused', 'init', 'ok'];
  const worst = states.sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] ?? 'ok';
  if (containsUnknown(props)) return { id, props };
  return { id, props: { ...props, nodeStates, state: worst } };
}
