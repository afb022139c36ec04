/**
 * The grid proxy's endpoints as pure functions of the index and the query string: filters, sorting, pagination
 * (`page`, `size`, `ret_count` → `Count`/`Size`/`Pages` headers), the JSON objects and upstream's error answers.
 * The HTTP server (server.ts) only routes to these. Rules follow ThreeFold's grid proxy (tfgrid-sdk-go
 * `grid-proxy`, internal/explorer and db/postgres.go); model.ts says where the data differs.
 *
 *   queryNodes(index, new URLSearchParams('status=up&free_mru=1073741824&ret_count=true'))
 *   // → { status: 200, body: [ {nodeId: 1, …} ], headers: { Count: '1', Size: '50', Pages: '1' } }
 * @module
 */
import { CONTRACT_KEYS, FARM_KEYS, NODE_KEYS, PUBLIC_IP_KEYS, STATS_KEYS, TWIN_KEYS, parseQuery, type ParamSpec, type ParsedParams } from './params';
import {
  contractJson,
  farmJson,
  gpuJson,
  nodeDetailJson,
  nodeJson,
  nodeViews,
  twinJson,
  type GridIndex,
  type IndexedContract,
  type IndexedFarm,
  type IndexedTwin,
  type NodeGpu,
  type NodeView,
} from './model';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const error = (status: number, text: string): ApiResponse => ({ status, body: { error: text } });

/** ZOS feature names a `features` filter may name (anything else is a 400). */
export const NODE_FEATURES = [
  'zmount',
  'zdb',
  'volume',
  'ipv4',
  'ip',
  'gateway-name-proxy',
  'gateway-fqdn-proxy',
  'qsfs',
  'zlogs',
  'network',
  'zmachine',
  'zmachine-light',
  'network-light',
  'wireguard',
  'yggdrasil',
  'mycelium',
] as const;

const NODE_STATUSES = ['up', 'down', 'standby'];

type SortValue = number | string | boolean;
type SortKeys<T> = Record<string, (x: T) => SortValue>;

function cmp(a: SortValue, b: SortValue): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}

/**
 * Sorts (by `sort_by`/`sort_order`, else the default key; `randomize` beats both), puts `first` matches ahead
 * when given, and cuts the page. Returns the page and the paging headers, or a 400.
 */
function page<T>(items: T[], p: ParsedParams, keys: SortKeys<T>, dflt: string, typeName: string, first?: (x: T) => boolean): { items: T[]; headers: Record<string, string> } | ApiResponse {
  const by = p.sort_by as string | undefined;
  if (by !== undefined && !(by in keys)) return error(400, `"${by}" is not a sort field for ${typeName} type`);
  const order = (p.sort_order as string | undefined)?.toLowerCase();
  if (order !== undefined && order !== 'asc' && order !== 'desc') return error(400, `"${p.sort_order}" is not a valid sort order`);
  const key = keys[by ?? dflt];
  const tie = keys[dflt];
  const dir = order === 'desc' ? -1 : 1;
  let sorted = [...items];
  if (p.randomize === true) {
    for (let i = sorted.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [sorted[i], sorted[j]] = [sorted[j], sorted[i]];
    }
  } else {
    sorted.sort((a, b) => dir * cmp(key(a), key(b)) || cmp(tie(a), tie(b)));
  }
  if (first) sorted = [...sorted.filter(first), ...sorted.filter((x) => !first(x))];
  const size = (p.size as number | undefined) ?? 50;
  const pg = Math.max(1, (p.page as number | undefined) ?? 1);
  const headers: Record<string, string> = {};
  if (p.ret_count === true) {
    headers.Count = String(items.length);
    headers.Size = String(size);
    headers.Pages = String(size > 0 ? Math.ceil(items.length / size) : 0);
  }
  return { items: sorted.slice((pg - 1) * size, pg * size), headers };
}

const isResponse = (x: unknown): x is ApiResponse => typeof x === 'object' && x !== null && 'status' in x && 'body' in x;

function parse(query: URLSearchParams, spec: ParamSpec): ParsedParams | ApiResponse {
  const r = parseQuery(query, spec);
  return r.ok ? r.values : error(400, r.error);
}

const lc = (s: string) => s.toLowerCase();
const eqi = (a: string, b: string) => lc(a) === lc(b);

/** Does a node view pass the node-level filters in `p`? (`/nodes` names; farms map theirs onto these.) */
function nodeMatches(v: NodeView, p: ParsedParams): boolean {
  const n = v.node;
  const has = (k: string) => p[k] !== undefined;
  const num = (k: string) => p[k] as number;
  const str = (k: string) => p[k] as string;
  const bool = (k: string) => p[k] as boolean;
  if (has('status') && !(p.status as string[]).includes(v.status)) return false;
  if (has('free_mru') && v.free.mru < num('free_mru')) return false;
  if (has('free_sru') && v.free.sru < num('free_sru')) return false;
  if (has('free_hru') && v.free.hru < num('free_hru')) return false;
  if (has('total_mru') && n.total.mru < num('total_mru')) return false;
  if (has('total_sru') && n.total.sru < num('total_sru')) return false;
  if (has('total_hru') && n.total.hru < num('total_hru')) return false;
  if (has('total_cru') && n.total.cru < num('total_cru')) return false;
  if (has('free_ips') && v.farmFreeIps < num('free_ips')) return false;
  if (has('ipv4') && !!n.publicConfig?.ipv4 !== bool('ipv4')) return false;
  if (has('ipv6') && !!n.publicConfig?.ipv6 !== bool('ipv6')) return false;
  if (has('has_ipv6') && !!n.publicConfig?.ipv6 !== bool('has_ipv6')) return false;
  if (has('domain') && !!n.publicConfig?.domain !== bool('domain')) return false;
  if (has('country') && !eqi(n.country, str('country'))) return false;
  if (has('city') && !eqi(n.city, str('city'))) return false;
  if (has('region')) return false; // no country → region table here: a region filter matches nothing
  if (has('farm_name') && !eqi(v.farm?.name ?? '', str('farm_name'))) return false;
  if (has('country_contains') && !lc(n.country).includes(lc(str('country_contains')))) return false;
  if (has('city_contains') && !lc(n.city).includes(lc(str('city_contains')))) return false;
  if (has('farm_name_contains') && !lc(v.farm?.name ?? '').includes(lc(str('farm_name_contains')))) return false;
  if (has('farm_ids') && !(p.farm_ids as number[]).includes(n.farmId)) return false;
  if (has('node_ids') && !(p.node_ids as number[]).includes(n.nodeId)) return false;
  if (has('excluded') && (p.excluded as number[]).includes(n.nodeId)) return false;
  if (has('node_id') && n.nodeId !== num('node_id')) return false;
  if (has('twin_id') && n.twinId !== num('twin_id')) return false;
  if (has('owned_by') && v.farm?.twinId !== num('owned_by')) return false;
  if (has('certification_type') && !eqi(n.certificationType, str('certification_type'))) return false;
  if (has('dedicated') && v.dedicatedFilter !== bool('dedicated')) return false;
  if (has('in_dedicated_farm') && (v.farm?.dedicated ?? false) !== bool('in_dedicated_farm')) return false;
  if (has('rentable') && v.rentable !== bool('rentable')) return false;
  if (has('rented') && v.rented !== bool('rented')) return false;
  if (has('rented_by') && v.rentedByTwinId !== num('rented_by')) return false;
  if (has('available_for') && !(v.rentedByTwinId === num('available_for') || (!v.rented && !(v.farm?.dedicated ?? false) && v.extraFee === 0))) return false;
  if (has('rentable_or_rented_by') && !(v.rentable || v.rentedByTwinId === num('rentable_or_rented_by'))) return false;
  if (!gpuMatches(n.gpus ?? [], p)) return false;
  if (has('healthy') && v.healthy !== bool('healthy')) return false;
  if (has('price_min') && v.priceUsd < num('price_min')) return false;
  if (has('price_max') && v.priceUsd > num('price_max')) return false;
  if (has('features') && !(p.features as string[]).every((f) => n.features.includes(f))) return false;
  return true;
}

const GPU_CARD_FILTERS = ['gpu_device_name', 'gpu_vendor_name', 'gpu_vendor_id', 'gpu_device_id', 'gpu_available'] as const;

/**
 * Upstream's GPU filters (grid-proxy's node_gpu join): a card filter keeps only nodes with a card that satisfies all
 * of them: names and ids contain the value, any case (ids against the card's `<slot>/<vendor id>/<device id>`);
 * `gpu_available` = the card has no contract. `has_gpu=false` keeps the nodes without a GPU, as this proxy always
 * answered it (upstream's inner join on node_gpu returns no node for it).
 */
function gpuMatches(gpus: NodeGpu[], p: ParsedParams): boolean {
  const has = (k: string) => p[k] !== undefined;
  if (has('num_gpu') && gpus.length < (p.num_gpu as number)) return false;
  if (has('has_gpu') && gpus.length > 0 !== p.has_gpu) return false;
  if (!GPU_CARD_FILTERS.some(has)) return true;
  const contains = (field: string, k: string) => !has(k) || lc(field).includes(lc(p[k] as string));
  return gpus.some(
    (g) =>
      contains(g.device, 'gpu_device_name') &&
      contains(g.vendor, 'gpu_vendor_name') &&
      contains(g.id, 'gpu_vendor_id') &&
      contains(g.id, 'gpu_device_id') &&
      (!has('gpu_available') || (g.contract === 0) === p.gpu_available),
  );
}

const STATUS_RANK: Record<string, number> = { up: 0, standby: 1, down: 2 };

const NODE_SORT: SortKeys<NodeView> = {
  node_id: (v) => v.node.nodeId,
  farm_id: (v) => v.node.farmId,
  twin_id: (v) => v.node.twinId,
  country: (v) => v.node.country,
  city: (v) => v.node.city,
  uptime: (v) => (v.node.report ? v.node.report.at - v.node.report.since : 0),
  created: (v) => v.node.created,
  updated_at: (v) => v.node.report?.at ?? v.node.created,
  status: (v) => STATUS_RANK[v.status],
  dedicated_farm: (v) => v.farm?.dedicated ?? false,
  rent_contract_id: (v) => v.rentContractId,
  rented: (v) => v.rented,
  rentable: (v) => v.rentable,
  num_gpu: (v) => v.node.gpus?.length ?? 0,
  extra_fee: (v) => v.extraFee,
  price_usd: (v) => v.priceUsd,
  free_cru: (v) => v.free.cru,
  total_cru: (v) => v.node.total.cru,
  total_sru: (v) => v.node.total.sru,
  total_hru: (v) => v.node.total.hru,
  total_mru: (v) => v.node.total.mru,
  used_cru: (v) => v.used.cru,
  used_sru: (v) => v.used.sru,
  used_hru: (v) => v.used.hru,
  used_mru: (v) => v.used.mru,
};

/** A 400/500 for node filter values upstream refuses after decoding, or undefined. */
function badNodeValues(p: ParsedParams, statusKey: string, featuresKey: string): ApiResponse | undefined {
  const bad = ((p[featuresKey] as string[] | undefined) ?? []).find((f) => !(NODE_FEATURES as readonly string[]).includes(f));
  if (bad !== undefined) return error(400, `${bad} is not a valid node feature`);
  const st = ((p[statusKey] as string[] | undefined) ?? []).find((s) => !NODE_STATUSES.includes(s));
  // upstream passes the value to SQL, which fails: a 500
  if (st !== undefined) return error(500, `invalid node status "${st}": use up, down or standby`);
  return undefined;
}

/** `/nodes` and `/gateways` (identical upstream since 2023). */
export function queryNodes(ix: GridIndex, query: URLSearchParams): ApiResponse {
  const p = parse(query, NODE_KEYS);
  if (isResponse(p)) return p;
  const bad = badNodeValues(p, 'status', 'features');
  if (bad) return bad;
  const views = [...nodeViews(ix).values()].filter((v) => nodeMatches(v, p));
  const renter = (p.available_for ?? p.rentable_or_rented_by) as number | undefined;
  const r = page(views, p, NODE_SORT, 'node_id', 'Node', renter !== undefined ? (v) => v.rented : undefined);
  if (isResponse(r)) return r;
  return { status: 200, body: r.items.map(nodeJson), headers: r.headers };
}

/** `/nodes/{id}` and `/gateways/{id}`. */
export function nodeById(ix: GridIndex, id: number, gateway: boolean): ApiResponse {
  const v = nodeViews(ix).get(id);
  if (!v) return error(404, 'node not found');
  if (gateway && !v.node.publicConfig?.domain) return error(404, 'gateway not found');
  return { status: 200, body: nodeDetailJson(v) };
}

/** `/nodes/{id}/gpu`: the node's cards as upstream's `types.NodeGPU` list (an unknown node has none). */
export function nodeGpus(ix: GridIndex, id: number): ApiResponse {
  const n = ix.nodes.find((x) => x.nodeId === id);
  return { status: 200, body: n ? gpuJson(n) : [] };
}

/** `/nodes/{id}/status`: an unknown id is a 500 upstream. */
export function nodeStatus(ix: GridIndex, id: number): ApiResponse {
  const v = nodeViews(ix).get(id);
  if (!v) return error(500, 'node not found');
  return { status: 200, body: { status: v.status } };
}

const FARM_SORT: SortKeys<{ f: IndexedFarm }> = {
  name: ({ f }) => f.name,
  farm_id: ({ f }) => f.farmId,
  twin_id: ({ f }) => f.twinId,
  dedicated: ({ f }) => f.dedicated,
  public_ips: ({ f }) => f.publicIps.length,
  free_ips: ({ f }) => f.publicIps.filter((i) => i.contractId === 0).length,
  total_ips: ({ f }) => f.publicIps.length,
  used_ips: ({ f }) => f.publicIps.filter((i) => i.contractId !== 0).length,
};

/** Farm-level node filters → the node filter they mean. */
const FARM_NODE_FILTERS: Record<string, string> = {
  node_free_mru: 'free_mru',
  node_free_hru: 'free_hru',
  node_free_sru: 'free_sru',
  node_total_cru: 'total_cru',
  node_status: 'status',
  node_rented_by: 'rented_by',
  node_available_for: 'available_for',
  node_has_gpu: 'has_gpu',
  node_has_ipv6: 'has_ipv6',
  node_features: 'features',
  country: 'country',
  region: 'region',
};

export function queryFarms(ix: GridIndex, query: URLSearchParams): ApiResponse {
  const p = parse(query, FARM_KEYS);
  if (isResponse(p)) return p;
  const bad = badNodeValues(p, 'node_status', 'node_features');
  if (bad) return bad;
  const nodeFilter: ParsedParams = {};
  for (const [fk, nk] of Object.entries(FARM_NODE_FILTERS)) if (p[fk] !== undefined) nodeFilter[nk] = p[fk];
  const byFarm = new Map<number, NodeView[]>();
  for (const v of nodeViews(ix).values()) byFarm.set(v.node.farmId, [...(byFarm.get(v.node.farmId) ?? []), v]);
  const nodeLevel = Object.keys(nodeFilter).length > 0 || p.node_certified !== undefined;
  const freeIps = (f: IndexedFarm) => f.publicIps.filter((i) => i.contractId === 0).length;
  const farms = ix.farms.filter((f) => {
    if (p.farm_id !== undefined && f.farmId !== p.farm_id) return false;
    if (p.twin_id !== undefined && f.twinId !== p.twin_id) return false;
    if (p.pricing_policy_id !== undefined && f.pricingPolicyId !== p.pricing_policy_id) return false;
    if (p.name !== undefined && !eqi(f.name, p.name as string)) return false;
    if (p.name_contains !== undefined && !lc(f.name).includes(lc(p.name_contains as string))) return false;
    if (p.certification_type !== undefined && f.certificationType !== p.certification_type) return false;
    if (p.dedicated !== undefined && f.dedicated !== p.dedicated) return false;
    if (p.stellar_address !== undefined && f.stellarAddress !== p.stellar_address) return false;
    if (p.free_ips !== undefined && freeIps(f) < (p.free_ips as number)) return false;
    if (p.total_ips !== undefined && f.publicIps.length < (p.total_ips as number)) return false;
    if (nodeLevel) {
      const ok = (byFarm.get(f.farmId) ?? []).some((v) => nodeMatches(v, nodeFilter) && (p.node_certified === undefined || (v.node.certificationType === 'Certified') === p.node_certified));
      if (!ok) return false;
    }
    return true;
  });
  const renter = p.node_available_for as number | undefined;
  const r = page(
    farms.map((f) => ({ f })),
    p,
    FARM_SORT,
    'farm_id',
    'Farm',
    renter !== undefined ? ({ f }) => (byFarm.get(f.farmId) ?? []).some((v) => v.rented) : undefined,
  );
  if (isResponse(r)) return r;
  return { status: 200, body: r.items.map(({ f }) => farmJson(f)), headers: r.headers };
}

const CONTRACT_SORT: SortKeys<IndexedContract> = {
  contract_id: (c) => c.contractId,
  twin_id: (c) => c.twinId,
  state: (c) => c.state,
  created_at: (c) => c.createdAt,
  type: (c) => c.type,
};

export function queryContracts(ix: GridIndex, query: URLSearchParams): ApiResponse {
  const p = parse(query, CONTRACT_KEYS);
  if (isResponse(p)) return p;
  const farmOf = new Map(ix.nodes.map((n) => [n.nodeId, ix.farms.find((f) => f.farmId === n.farmId)]));
  const states = (p.state as string[] | undefined)?.map(lc);
  const list = ix.contracts.filter((c) => {
    const farm = c.nodeId !== undefined ? farmOf.get(c.nodeId) : undefined;
    if (p.contract_id !== undefined && c.contractId !== p.contract_id) return false;
    if (p.twin_id !== undefined && c.twinId !== p.twin_id) return false;
    if (p.node_id !== undefined && c.nodeId !== p.node_id) return false;
    if (p.farm_id !== undefined && farm?.farmId !== p.farm_id) return false;
    if (p.type !== undefined && c.type !== p.type) return false;
    if (p.name !== undefined && c.name !== p.name) return false;
    if (p.deployment_data !== undefined && c.deploymentData !== p.deployment_data) return false;
    if (p.deployment_hash !== undefined && c.deploymentHash !== p.deployment_hash) return false;
    if (states && !states.includes(lc(c.state))) return false;
    if (p.number_of_public_ips !== undefined && (c.numberOfPublicIps ?? 0) < (p.number_of_public_ips as number)) return false;
    if (p.farm_name !== undefined && !eqi(farm?.name ?? '', p.farm_name as string)) return false;
    return true;
  });
  const r = page(list, p, CONTRACT_SORT, 'contract_id', 'Contract');
  if (isResponse(r)) return r;
  return { status: 200, body: r.items.map((c) => contractJson(c, ix)), headers: r.headers };
}

/** `/contracts/{id}`: an unknown id is a 500 upstream. */
export function contractById(ix: GridIndex, id: number): ApiResponse {
  const c = ix.contracts.find((x) => x.contractId === id);
  return c ? { status: 200, body: contractJson(c, ix) } : error(500, 'contract not found');
}

const TWIN_SORT: SortKeys<IndexedTwin> = {
  twin_id: (t) => t.twinId,
  account_id: (t) => t.accountId,
  relay: (t) => t.relay,
  public_key: (t) => t.publicKey,
};

export function queryTwins(ix: GridIndex, query: URLSearchParams): ApiResponse {
  const p = parse(query, TWIN_KEYS);
  if (isResponse(p)) return p;
  const list = ix.twins.filter(
    (t) =>
      (p.twin_id === undefined || t.twinId === p.twin_id) &&
      (p.account_id === undefined || t.accountId === p.account_id) &&
      (p.relay === undefined || t.relay === p.relay) &&
      (p.public_key === undefined || t.publicKey === p.public_key),
  );
  const r = page(list, p, TWIN_SORT, 'twin_id', 'Twin');
  if (isResponse(r)) return r;
  return { status: 200, body: r.items.map(twinJson), headers: r.headers };
}

interface PublicIpRow {
  id: string;
  ip: string;
  gateway: string;
  contractId: number;
  farmId: number;
}

const PUBLIC_IP_SORT: SortKeys<PublicIpRow> = { ip: (r) => r.ip, contract_id: (r) => r.contractId, farm_id: (r) => r.farmId, id: (r) => r.id };

export function queryPublicIps(ix: GridIndex, query: URLSearchParams): ApiResponse {
  const p = parse(query, PUBLIC_IP_KEYS);
  if (isResponse(p)) return p;
  const rows: PublicIpRow[] = ix.farms.flatMap((f) => f.publicIps.map((i) => ({ ...i, farmId: f.farmId })));
  const list = rows.filter(
    (r) =>
      (p.farm_ids === undefined || (p.farm_ids as number[]).includes(r.farmId)) &&
      (p.free === undefined || (r.contractId === 0) === p.free) &&
      (p.ip === undefined || r.ip === p.ip) &&
      (p.gateway === undefined || r.gateway === p.gateway),
  );
  const r = page(list, p, PUBLIC_IP_SORT, 'id', 'PublicIP');
  if (isResponse(r)) return r;
  return { status: 200, body: r.items.map((x) => ({ id: x.id, ip: x.ip, gateway: x.gateway, contract_id: x.contractId, farm_id: x.farmId })), headers: r.headers };
}

/** `/stats`: grid totals; node figures only over nodes of the given `status` when one is given. */
export function queryStats(ix: GridIndex, query: URLSearchParams): ApiResponse {
  const p = parse(query, STATS_KEYS);
  if (isResponse(p)) return p;
  const bad = badNodeValues(p, 'status', 'features');
  if (bad) return bad;
  const statuses = p.status as string[] | undefined;
  const views = [...nodeViews(ix).values()].filter((v) => !statuses || statuses.includes(v.status));
  const distribution: Record<string, number> = {};
  for (const v of views) distribution[v.node.country] = (distribution[v.node.country] ?? 0) + 1;
  const sum = (k: 'cru' | 'sru' | 'mru' | 'hru') => views.reduce((s, v) => s + v.node.total[k], 0);
  const access = views.filter((v) => !!(v.node.publicConfig?.ipv4 || v.node.publicConfig?.ipv6)).length;
  return {
    status: 200,
    body: {
      nodes: views.length,
      farms: new Set(ix.farms.map((f) => f.farmId)).size,
      countries: Object.keys(distribution).length,
      totalCru: sum('cru'),
      totalSru: sum('sru'),
      totalMru: sum('mru'),
      totalHru: sum('hru'),
      publicIps: ix.farms.reduce((s, f) => s + f.publicIps.length, 0),
      // upstream's count(<boolean>) counts every public config row: gateways equals accessNodes there too
      accessNodes: access,
      gateways: access,
      twins: ix.twins.length,
      contracts: ix.contracts.length,
      nodesDistribution: distribution,
      gpus: 0,
      dedicatedNodes: views.filter((v) => v.dedicatedFilter).length,
      workloads_number: views.reduce((s, v) => s + (v.node.report?.workloads ?? 0), 0),
    },
  };
}
