/**
 * The node filter of `NodePicker` and `findNodes()`: its inputs, the grid proxy query it becomes (the parameter
 * names of ThreeFold's grid proxy `NodeFilter`, tfgrid-sdk-go grid-proxy/pkg/types/nodes.go), and the same test
 * done here on each candidate, so a reply from any proxy, or a candidate from the chain, is held to one rule.
 * Rental follows the proxy's rules (grid-proxy postgres.go): a node is rented when it has an active rent contract;
 * `rentable` = (dedicated farm OR no node contracts) AND not rented; usable by twin T (`available_for=T`) = rented by
 * T, OR not rented AND not in a dedicated farm AND no extra fee. The chain enforces the same on deploy
 * (`NodeNotAvailableToDeploy`), so the picker only offers nodes the deploying twin may use unless it looks for
 * one to rent (`rentable`). Pure.
 *
 *   proxyQuery(nodeFilterSchema.parse({ memory: '2GiB', rentedByMe: true }), 42)
 *   // → { status: 'up', free_mru: 2147483648, rented_by: 42, available_for: 42, … }
 * @module
 */
import { z } from 'zod';
import type { ChainNodeInfo } from '../deps';
import type { ProxyNode, ProxyQuery } from '../grid-proxy';
import { nodeIdSchema, parseSize, sizeSchema, type CheckFailure } from '../inputs';
import { gpuFilterFields, gpuFiltersSet, gpuQuery, gpuReason, type GpuCard } from './gpu-filter';

/** A yes/no filter whose wrong type says the fix. */
const flag = (name: string) => z.boolean({ invalid_type_error: `must be true or false (fix: ${name}: true)` });

export const nodeFilterSchema = z.object({
  /** Free logical CPUs needed. */
  cpu: z.number().int().min(0).default(0),
  /** Free memory needed: bytes or "4GiB". */
  memory: sizeSchema.default(0),
  /** Free SSD needed (disks, rootfs, qsfs cache). */
  ssd: sizeSchema.default(0),
  /** Free HDD needed (zdb). */
  hdd: sizeSchema.default(0),
  /** The node's farm must have this many free public IPv4 addresses. */
  publicIpv4: z.number().int().min(0).default(0),
  /** The node must have a public IPv6. */
  publicIpv6: z.boolean().default(false),
  /** The node must have a gateway domain (for NameProxy). */
  domain: z.boolean().default(false),
  farmId: z.number().int().positive().optional(),
  farmIds: z.array(z.number().int().positive()).default([]).describe('Only nodes of one of these farms.'),
  farmName: z.string().optional().describe('Only nodes of the farm with this name (as the chain has it, any case).'),
  /** Country name or code as registered on the chain. */
  country: z.string().optional(),
  city: z.string().optional().describe('Only nodes in this city, as registered on the chain (any case).'),
  exclude: z.array(nodeIdSchema).default([]),
  /** true: only nodes of a dedicated farm (rented whole); false: only nodes of shared farms (`in_dedicated_farm`). */
  dedicated: flag('dedicated').optional().describe('true: only nodes of a dedicated farm (rented whole, with a RentContract); false: only nodes of shared farms.'),
  /** Only nodes free to rent (`rentable`); the usual next step is a RentContract on the picked node. */
  rentable: flag('rentable').default(false).describe('Only nodes free to rent (no renter; a dedicated farm or no node contracts), e.g. for a RentContract.'),
  /** Only nodes the deploying twin rents (`rented_by=<twin>`). */
  rentedByMe: flag('rentedByMe').default(false).describe('Only nodes the deploying twin rents (RentContract).'),
  /** Only certified nodes (`certification_type=Certified`). */
  certified: flag('certified').default(false).describe('Only certified nodes.'),
  /** Only nodes with a GPU (`has_gpu`). */
  hasGpu: flag('hasGpu').default(false).describe('Only nodes with a GPU.'),
  /** GPU card details (vendor, device, ids, free): gpu-filter.ts. */
  ...gpuFilterFields,
  /** How many distinct nodes to pick (`nodeIds`; `nodeId` is the first). */
  count: z
    .number({ invalid_type_error: 'must be a number of nodes (fix: count: 2)' })
    .int('must be a whole number of nodes (fix: count: 2)')
    .min(1, 'must be at least 1 (fix: leave it out for one node)')
    .max(100, 'is at most 100 (fix: ask for fewer nodes, or use more pickers)')
    .default(1)
    .describe('How many distinct nodes to pick (1 to 100): nodeIds, best first; nodeId is the first.'),
});
export type NodeFilterInputs = z.infer<typeof nodeFilterSchema>;

/** Cross-field refusals of a parsed filter, each with the field and the fix. */
export function filterConflicts(f: NodeFilterInputs, typeName: string, resourceName: string): CheckFailure[] {
  const out: CheckFailure[] = [];
  if (f.rentable && f.rentedByMe)
    out.push({
      property: 'rentedByMe',
      reason: `${typeName} "${resourceName}": rentedByMe asks for a node you rent, rentable for a node nobody rents; fix: set only one of them (rentable finds a node to rent, rentedByMe one you rent)`,
    });
  if (f.farmId !== undefined && f.farmIds.length > 0)
    out.push({ property: 'farmIds', reason: `${typeName} "${resourceName}": farmId and farmIds both name farms; fix: list every farm in farmIds and leave farmId out` });
  return out;
}

/** Rental and hardware facts of a candidate; undefined where the source does not know them (the chain path). */
export interface NodeFacts {
  inDedicatedFarm: boolean;
  /** Twin of the active rent contract, 0 if none. */
  rentedBy: number;
  rentable: boolean;
  /** The chain's dedicated-node extra fee (0 for none). */
  extraFee: number;
  certified: boolean;
  gpus: number;
  /** The cards, when the proxy lists them on its node items (upstream may not: then its own filter decided). */
  gpuCards?: GpuCard[];
  farmName: string;
  city: string;
}

export interface NodeCandidate {
  node: ChainNodeInfo;
  free: { cru: number; mru: number; sru: number; hru: number };
  farmFreeIps: number;
  facts?: NodeFacts;
}

/** The filters only the grid proxy can answer (the chain path knows no rental, certification or GPU facts). */
export function proxyOnlyFilters(f: NodeFilterInputs): string[] {
  const facts = (['dedicated', 'rentable', 'rentedByMe', 'certified', 'hasGpu', 'farmName', 'city'] as const).filter((k) => (k === 'dedicated' ? f.dedicated !== undefined : f[k]));
  return [...facts, ...gpuFiltersSet(f)];
}

/** The farms a filter allows, or undefined for any. */
export function farmsOf(f: NodeFilterInputs): number[] | undefined {
  if (f.farmId !== undefined) return [f.farmId];
  return f.farmIds.length > 0 ? f.farmIds : undefined;
}

/** Pure: may twin `me` deploy on a node with these facts? (The proxy's `available_for`.) */
export function usableBy(x: NodeFacts, me: number): boolean {
  return x.rentedBy === me || (x.rentedBy === 0 && !x.inDedicatedFarm && x.extraFee === 0);
}

/** Pure: the rental, certification and GPU reason a candidate fails `f` for twin `me`, or undefined. */
function factsReason(x: NodeFacts, f: NodeFilterInputs, me: number | undefined): string | undefined {
  if (f.dedicated !== undefined && x.inDedicatedFarm !== f.dedicated) return x.inDedicatedFarm ? 'in a dedicated farm' : 'not in a dedicated farm';
  if (f.rentable && !x.rentable) return x.rentedBy ? `rented by twin ${x.rentedBy}` : 'not rentable (a shared farm with node contracts on it)';
  if (f.rentedByMe && (me === undefined || x.rentedBy !== me)) return x.rentedBy ? `rented by twin ${x.rentedBy}` : 'not rented';
  if (!f.rentable && me !== undefined && !usableBy(x, me)) return x.rentedBy ? `rented by twin ${x.rentedBy}` : 'dedicated: rent it first (a RentContract), or set rentable to find one to rent';
  if (f.certified && !x.certified) return 'not certified';
  if (f.hasGpu && x.gpus === 0) return 'no GPU';
  const gpu = gpuReason(x.gpus, x.gpuCards, f);
  if (gpu) return gpu;
  if (f.farmName && x.farmName.toLowerCase() !== f.farmName.toLowerCase()) return `farm "${x.farmName}"`;
  if (f.city && x.city.toLowerCase() !== f.city.toLowerCase()) return `city ${x.city}`;
  return undefined;
}

/** Pure: does a candidate satisfy the filter (for twin `me`, when known)? Returns the first reason it does not. */
export function rejectReason(c: NodeCandidate, f: NodeFilterInputs, me?: number): string | undefined {
  if (f.exclude.includes(c.node.nodeId)) return 'excluded';
  const farms = farmsOf(f);
  if (farms && !farms.includes(c.node.farmId)) return `farm ${c.node.farmId}`;
  if (f.country && (c.node.country ?? '').toLowerCase() !== f.country.toLowerCase()) return `country ${c.node.country}`;
  if (c.free.cru < f.cpu) return `${c.free.cru} free cpu`;
  if (c.free.mru < parseSize(f.memory, 'memory')) return 'not enough free memory';
  if (c.free.sru < parseSize(f.ssd, 'ssd')) return 'not enough free ssd';
  if (c.free.hru < parseSize(f.hdd, 'hdd')) return 'not enough free hdd';
  if (c.farmFreeIps < f.publicIpv4) return `farm has ${c.farmFreeIps} free public IPv4`;
  if (f.publicIpv6 && !c.node.publicConfig?.ip6) return 'no public IPv6';
  if (f.domain && !c.node.publicConfig?.domain) return 'no gateway domain';
  return c.facts ? factsReason(c.facts, f, me) : undefined;
}

/**
 * Pure: the candidates that fit, best first: nodes `me` rents first (as the proxy orders `available_for`), then
 * most free memory, then lowest id.
 */
export function rankNodes(cands: NodeCandidate[], f: NodeFilterInputs, me?: number): NodeCandidate[] {
  const mine = (c: NodeCandidate) => (me !== undefined && c.facts?.rentedBy === me ? 0 : 1);
  return cands.filter((c) => !rejectReason(c, f, me)).sort((a, b) => mine(a) - mine(b) || b.free.mru - a.free.mru || a.node.nodeId - b.node.nodeId);
}

/** Pure: the best candidate, or undefined. */
export function pickBest(cands: NodeCandidate[], f: NodeFilterInputs, me?: number): NodeCandidate | undefined {
  return rankNodes(cands, f, me)[0];
}

/**
 * Pure: the grid proxy query for a filter and the deploying twin `me` (sizes in bytes; `status=up`: nodes that
 * report). `available_for=me` unless looking for a node to rent, whose rentable nodes in dedicated farms it would
 * hide.
 */
export function proxyQuery(f: NodeFilterInputs, me?: number): ProxyQuery {
  const size = (v: number | string, k: string) => parseSize(v, k) || undefined;
  return {
    status: 'up',
    free_mru: size(f.memory, 'memory'),
    free_sru: size(f.ssd, 'ssd'),
    free_hru: size(f.hdd, 'hdd'),
    free_ips: f.publicIpv4 || undefined,
    ipv6: f.publicIpv6 || undefined,
    domain: f.domain || undefined,
    farm_ids: farmsOf(f),
    farm_name: f.farmName || undefined,
    country: f.country || undefined,
    city: f.city || undefined,
    excluded: f.exclude.length > 0 ? f.exclude : undefined,
    in_dedicated_farm: f.dedicated,
    rentable: f.rentable || undefined,
    rented_by: f.rentedByMe ? me : undefined,
    available_for: f.rentable ? undefined : me,
    certification_type: f.certified ? 'Certified' : undefined,
    has_gpu: f.hasGpu || undefined,
    ...gpuQuery(f),
  };
}

/** Pure: a proxy `/nodes` item as a candidate (free = total − used, as the proxy computes `free_*`). */
export function candidateOf(n: ProxyNode): NodeCandidate {
  const t = n.total_resources;
  const u = n.used_resources;
  const pc = n.publicConfig;
  return {
    node: {
      nodeId: n.nodeId,
      twinId: n.twinId,
      farmId: n.farmId,
      resources: { cru: t.cru, mru: t.mru, sru: t.sru, hru: t.hru },
      country: n.country,
      publicConfig: pc.ipv4 || pc.ipv6 || pc.domain ? { ip4: pc.ipv4 || undefined, ip6: pc.ipv6 || undefined, domain: pc.domain || undefined } : undefined,
    },
    free: { cru: t.cru - u.cru, mru: t.mru - u.mru, sru: t.sru - u.sru, hru: t.hru - u.hru },
    farmFreeIps: n.farm_free_ips,
    facts: {
      inDedicatedFarm: n.inDedicatedFarm,
      rentedBy: n.rentedByTwinId,
      rentable: n.rentable,
      extraFee: n.extraFee,
      certified: n.certificationType.toLowerCase() === 'certified',
      gpus: n.num_gpu,
      ...(n.gpus && n.gpus.length > 0 ? { gpuCards: n.gpus.map((g) => ({ id: g.id, vendor: g.vendor, device: g.device, contract: g.contract })) } : {}),
      farmName: n.farmName,
      city: n.city,
    },
  };
}
