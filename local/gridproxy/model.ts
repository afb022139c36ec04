/**
 * What the grid proxy knows (the chain's farms, nodes, twins, contracts, plus each node's last report) and the
 * JSON objects it answers with, field for field as ThreeFold's grid proxy sends them (names, types, `""` and
 * `0` for unset values). The derived node facts (status, used/free capacity, rental) follow upstream's rules
 * with one stand-in: used capacity is the node's own `zos.statistics.get` report (our nodes do not report
 * contract resources to the chain, which upstream sums). Pure.
 * @module
 */

export interface Capacity {
  cru: number;
  sru: number;
  hru: number;
  mru: number;
}

export interface IndexedFarm {
  farmId: number;
  name: string;
  twinId: number;
  pricingPolicyId: number;
  certificationType: 'NotCertified' | 'Gold';
  stellarAddress: string;
  dedicated: boolean;
  /** `id` is the row id (stable per IP); `contractId` 0 = free. */
  publicIps: { id: string; ip: string; gateway: string; contractId: number }[];
}

/** A node's last successful report (a `zos.statistics.get` answer). */
export interface NodeReport {
  /** Unix seconds of the answer. */
  at: number;
  /** Unix seconds the proxy first heard from this process of the node (uptime counts from there). */
  since: number;
  used: Capacity;
  deployments: number;
  workloads: number;
}

/** One GPU card as the node lists it (`zos.gpu.list`); `contract` 0 = free. `id` is `<pci slot>/<vendor id>/<device id>`. */
export interface NodeGpu {
  id: string;
  vendor: string;
  device: string;
  contract: number;
}

export interface IndexedNode {
  nodeId: number;
  farmId: number;
  twinId: number;
  /** Unix seconds the proxy first saw the node on the chain. */
  created: number;
  country: string;
  city: string;
  latitude: number | null;
  longitude: number | null;
  publicConfig?: { ipv4: string; ipv6: string; gw4: string; gw6: string; domain: string };
  certificationType: 'Diy' | 'Certified';
  total: Capacity;
  serialNumber: string;
  features: string[];
  /** The chain's dedicated-node extra fee (`DedicatedNodesExtraFee`), 0 or absent for none. */
  extraFee?: number;
  /** The node's GPUs (`zos.gpu.list`), none when absent. */
  gpus?: NodeGpu[];
  report?: NodeReport;
}

export interface IndexedTwin {
  twinId: number;
  accountId: string;
  relay: string;
  publicKey: string;
}

export type ContractState = 'Created' | 'GracePeriod' | 'Deleted' | 'OutOfFunds';

export interface IndexedContract {
  contractId: number;
  twinId: number;
  state: ContractState;
  type: 'node' | 'name' | 'rent';
  /** Unix seconds the proxy first saw it. */
  createdAt: number;
  nodeId?: number;
  name?: string;
  deploymentData?: string;
  deploymentHash?: string;
  numberOfPublicIps?: number;
}

export interface GridIndex {
  farms: IndexedFarm[];
  nodes: IndexedNode[];
  twins: IndexedTwin[];
  contracts: IndexedContract[];
  /** Unix seconds, now. */
  now: number;
  /** A node whose last report is older than this many seconds is `down` (upstream: 80 min of its 40-min cadence). */
  downAfterS: number;
}

const GIB = 1024 ** 3;

export const isActive = (c: IndexedContract) => c.state === 'Created' || c.state === 'GracePeriod';

/** Everything a filter, a sort or a JSON field needs about one node, computed once per request. */
export interface NodeView {
  node: IndexedNode;
  farm?: IndexedFarm;
  status: 'up' | 'down' | 'standby';
  used: Capacity;
  free: Capacity;
  rentContractId: number;
  rentedByTwinId: number;
  rented: boolean;
  rentable: boolean;
  /** Upstream's `dedicated` filter: farm dedicated OR no active node contracts OR rented. */
  dedicatedFilter: boolean;
  farmFreeIps: number;
  healthy: boolean;
  extraFee: number;
  priceUsd: number;
}

/**
 * The node views of an index, by node id. Used capacity: the node's report; without one, upstream's baseline
 * of a node with no contracts (memory reserve max(total/10, 2 GiB), 20 GiB of SSD).
 */
export function nodeViews(ix: GridIndex): Map<number, NodeView> {
  const farms = new Map(ix.farms.map((f) => [f.farmId, f]));
  const activeNode = new Set<number>();
  const rent = new Map<number, IndexedContract>();
  for (const c of ix.contracts) {
    if (!isActive(c) || c.nodeId === undefined) continue;
    if (c.type === 'node') activeNode.add(c.nodeId);
    if (c.type === 'rent') rent.set(c.nodeId, c);
  }
  const out = new Map<number, NodeView>();
  for (const n of ix.nodes) {
    const farm = farms.get(n.farmId);
    const up = n.report !== undefined && n.report.at >= ix.now - ix.downAfterS;
    const used: Capacity = n.report?.used ?? { cru: 0, sru: 20 * GIB, hru: 0, mru: Math.max(Math.floor(n.total.mru / 10), 2 * GIB) };
    const r = rent.get(n.nodeId);
    const farmDedicated = farm?.dedicated ?? false;
    out.set(n.nodeId, {
      node: n,
      farm,
      status: up ? 'up' : 'down',
      used,
      free: { cru: n.total.cru - used.cru, sru: n.total.sru - used.sru, hru: n.total.hru - used.hru, mru: n.total.mru - used.mru },
      rentContractId: r?.contractId ?? 0,
      rentedByTwinId: r?.twinId ?? 0,
      rented: r !== undefined,
      rentable: (farmDedicated || !activeNode.has(n.nodeId)) && r === undefined,
      dedicatedFilter: farmDedicated || !activeNode.has(n.nodeId) || r !== undefined,
      farmFreeIps: farm ? farm.publicIps.filter((p) => p.contractId === 0).length : 0,
      healthy: up,
      extraFee: n.extraFee ?? 0,
      priceUsd: 0,
    });
  }
  return out;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

function nodeFields(v: NodeView) {
  const n = v.node;
  const pc = n.publicConfig;
  return {
    id: `${pad(n.created, 10)}-${pad(n.nodeId, 6)}-${pad(n.twinId, 5)}`,
    nodeId: n.nodeId,
    farmId: n.farmId,
    twinId: n.twinId,
    country: n.country,
    gridVersion: 1,
    city: n.city,
    uptime: n.report ? n.report.at - n.report.since : 0,
    created: n.created,
    farmingPolicyId: 1,
    updatedAt: n.report?.at ?? n.created,
    location: { country: n.country, city: n.city, longitude: n.longitude, latitude: n.latitude },
    publicConfig: { domain: pc?.domain ?? '', gw4: pc?.gw4 ?? '', gw6: pc?.gw6 ?? '', ipv4: pc?.ipv4 ?? '', ipv6: pc?.ipv6 ?? '' },
    status: v.status,
    certificationType: n.certificationType,
    dedicated: (v.farm?.dedicated ?? false) || v.extraFee > 0,
    inDedicatedFarm: v.farm?.dedicated ?? false,
    rentContractId: v.rentContractId,
    rentedByTwinId: v.rentedByTwinId,
    farmName: v.farm?.name ?? '',
    serialNumber: n.serialNumber,
    power: { state: '', target: '' },
    num_gpu: n.gpus?.length ?? 0,
    extraFee: v.extraFee,
    healthy: v.healthy,
    dmi: {
      bios: { vendor: '', version: '' },
      baseboard: { manufacturer: '', product_name: '' },
      processor: [],
      memory: [],
      UpdatedAt: 0,
    },
    speed: { upload: 0, download: 0, UpdatedAt: 0 },
    rented: v.rented,
    rentable: v.rentable,
    price_usd: v.priceUsd,
    farm_free_ips: v.farmFreeIps,
    gpus: gpuJson(n),
    features: n.features,
  };
}

/** A node's GPUs as upstream's `types.NodeGPU` (the `gpus` of a node item and `/nodes/{id}/gpu`). */
export function gpuJson(n: IndexedNode): Record<string, unknown>[] {
  return (n.gpus ?? []).map((g) => ({ node_twin_id: n.twinId, id: g.id, vendor: g.vendor, device: g.device, contract: g.contract }));
}

/** The node's fields with its resources where the proxy puts them: after the identity fields, before the rest. */
function withResources(v: NodeView, resources: Record<string, unknown>): Record<string, unknown> {
  const { id, nodeId, farmId, twinId, country, gridVersion, city, uptime, created, farmingPolicyId, updatedAt, ...rest } = nodeFields(v);
  return { id, nodeId, farmId, twinId, country, gridVersion, city, uptime, created, farmingPolicyId, updatedAt, ...resources, ...rest };
}

/** An item of `/nodes` and `/gateways`. */
export function nodeJson(v: NodeView): Record<string, unknown> {
  return withResources(v, { total_resources: v.node.total, used_resources: v.used });
}

/** `/nodes/{id}`, `/gateways/{id}`: resources nested under `capacity`. */
export function nodeDetailJson(v: NodeView): Record<string, unknown> {
  return withResources(v, { capacity: { total_resources: v.node.total, used_resources: v.used } });
}

export function farmJson(f: IndexedFarm): Record<string, unknown> {
  return {
    name: f.name,
    farmId: f.farmId,
    twinId: f.twinId,
    pricingPolicyId: f.pricingPolicyId,
    certificationType: f.certificationType,
    stellarAddress: f.stellarAddress,
    dedicated: f.dedicated,
    publicIps: f.publicIps.map((p) => ({ id: p.id, ip: p.ip, gateway: p.gateway, contract_id: p.contractId })),
  };
}

export function twinJson(t: IndexedTwin): Record<string, unknown> {
  return { twinId: t.twinId, accountId: t.accountId, relay: t.relay, publicKey: t.publicKey };
}

export function contractJson(c: IndexedContract, ix: Pick<GridIndex, 'farms' | 'nodes'>): Record<string, unknown> {
  const node = c.nodeId !== undefined ? ix.nodes.find((n) => n.nodeId === c.nodeId) : undefined;
  const farm = node ? ix.farms.find((f) => f.farmId === node.farmId) : undefined;
  let details: Record<string, unknown>;
  if (c.type === 'node') {
    details = {
      nodeId: c.nodeId ?? 0,
      deployment_data: c.deploymentData ?? '',
      deployment_hash: c.deploymentHash ?? '',
      number_of_public_ips: c.numberOfPublicIps ?? 0,
      farm_name: farm?.name ?? '',
      farm_id: farm?.farmId ?? 0,
    };
  } else if (c.type === 'rent') {
    details = { nodeId: c.nodeId ?? 0, farm_name: farm?.name ?? '', farm_id: farm?.farmId ?? 0 };
  } else {
    details = { name: c.name ?? '' };
  }
  return { contract_id: c.contractId, twin_id: c.twinId, state: c.state, created_at: c.createdAt, type: c.type, details };
}
