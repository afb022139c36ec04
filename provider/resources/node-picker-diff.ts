/**
 * The NodePicker's diff: an unchanged filter is no change; a changed one is an update that keeps the chosen nodes
 * while they still fit (`misfits`), and a replacement naming the filter otherwise. Rental, certification and GPU
 * facts of a chosen node are read from the grid proxy when such a filter changes (none is kept in state); a fact
 * that cannot be read keeps the node. A change of `count` alone is an update (node-picker.ts adds or drops nodes).
 * @module
 */
import { InputError } from '../../protocol/common/errors';
import { previousInputs } from '../checked-inputs';
import { stableJson } from '../deployment-coordinator';
import type { ChainNodeInfo } from '../deps';
import { containsUnknown, parseSize } from '../inputs';
import { getRuntime } from '../runtime';
import { GridProxyUnreachable, proxyFallback } from '../grid-proxy';
import type { DiffResult } from '../workload-resource';
import { GPU_CARD_FILTERS, gpuFiltersSet, gpuReason } from './gpu-filter';
import { candidateOf, nodeFilterSchema as nodePickerInputsSchema, type NodeCandidate, type NodeFacts, type NodeFilterInputs as NodePickerInputs } from './node-filter';
import { accountOf, sameAccount, type AccountInput } from '../account';

/** What a diff needs to know about the chosen node (kept in outputs; older states lack country and IPv6). */
export interface ChosenNode {
  nodeId: number;
  farmId: number;
  gatewayDomain: string;
  country?: string;
  ipv6?: boolean;
  /** Rental, certification and GPU facts, when read (the grid proxy). */
  facts?: NodeFacts;
}

/** Filters checked against a chosen node's rental, certification and GPU facts. */
const FACT_FILTERS = ['dedicated', 'rentable', 'rentedByMe', 'certified', 'hasGpu', 'farmName', 'city', ...GPU_CARD_FILTERS] as const;

/** Pure: the fact filters of `next` a node with `x` fails, for the deploying twin `me`. */
function factMisfits(id: number, x: NodeFacts, next: NodePickerInputs, me: number | undefined): { property: string; why: string }[] {
  const out: { property: string; why: string }[] = [];
  if (next.dedicated !== undefined && x.inDedicatedFarm !== next.dedicated) out.push({ property: 'dedicated', why: `node ${id} is ${x.inDedicatedFarm ? '' : 'not '}in a dedicated farm` });
  // A node rented since by the deploying twin still fits `rentable`: renting it was the point.
  if (next.rentable && !x.rentable && (me === undefined || x.rentedBy !== me)) out.push({ property: 'rentable', why: `node ${id} is ${x.rentedBy ? `rented by twin ${x.rentedBy}` : 'not rentable'}` });
  if (next.rentedByMe && me !== undefined && x.rentedBy !== me) out.push({ property: 'rentedByMe', why: `node ${id} is ${x.rentedBy ? `rented by twin ${x.rentedBy}` : 'not rented'}` });
  if (next.certified && !x.certified) out.push({ property: 'certified', why: `node ${id} is not certified` });
  if (next.hasGpu && x.gpus === 0) out.push({ property: 'hasGpu', why: `node ${id} has no GPU` });
  const gpu = gpuReason(x.gpus, x.gpuCards, next);
  if (gpu) for (const k of gpuFiltersSet(next)) out.push({ property: k, why: `node ${id} has ${gpu}` });
  if (next.farmName && x.farmName.toLowerCase() !== next.farmName.toLowerCase()) out.push({ property: 'farmName', why: `node ${id} is in farm "${x.farmName}"` });
  if (next.city && x.city.toLowerCase() !== next.city.toLowerCase()) out.push({ property: 'city', why: `node ${id} is in ${x.city}` });
  return out;
}

/** Filters whose rise asks for more free capacity on the chosen node than the old value did. */
const CAPACITY = ['cpu', 'memory', 'ssd', 'hdd', 'publicIpv4'] as const;

/** Free capacity of the chosen node right now (and its farm's free public IPv4), for raised capacity filters. */
export type FreeNow = { cru: number; mru: number; sru: number; hru: number; farmIps: number };

/**
 * Pure: the filters of `next` the chosen node no longer satisfies, each with the reason. A capacity filter that
 * rose must fit in what is free on the node now (the workloads placed by the old value already use theirs);
 * `free` undefined (node unreachable) keeps the node. A fact the state lacks (older stacks) is looked up by the
 * caller and passed in `chosen`; still unknown, it keeps the node.
 */
export function misfits(chosen: ChosenNode, prev: NodePickerInputs, next: NodePickerInputs, free?: FreeNow, me?: number): { property: string; why: string }[] {
  const out: { property: string; why: string }[] = chosen.facts ? factMisfits(chosen.nodeId, chosen.facts, next, me) : [];
  if (next.exclude.includes(chosen.nodeId)) out.push({ property: 'exclude', why: `node ${chosen.nodeId} is excluded` });
  if (next.farmIds.length > 0 && !next.farmIds.includes(chosen.farmId))
    out.push({ property: 'farmIds', why: `node ${chosen.nodeId} is in farm ${chosen.farmId}, not one of ${next.farmIds.join(', ')}` });
  if (next.farmId !== undefined && next.farmId !== chosen.farmId) out.push({ property: 'farmId', why: `node ${chosen.nodeId} is in farm ${chosen.farmId}, the filter asks for farm ${next.farmId}` });
  if (next.country && chosen.country !== undefined && chosen.country.toLowerCase() !== next.country.toLowerCase()) {
    out.push({ property: 'country', why: `node ${chosen.nodeId} is in "${chosen.country}", the filter asks for "${next.country}"` });
  }
  if (next.publicIpv6 && chosen.ipv6 === false) out.push({ property: 'publicIpv6', why: `node ${chosen.nodeId} has no public IPv6` });
  if (next.domain && !chosen.gatewayDomain) out.push({ property: 'domain', why: `node ${chosen.nodeId} has no gateway domain` });
  if (free) {
    const need = (k: (typeof CAPACITY)[number], v: NodePickerInputs) => (k === 'cpu' || k === 'publicIpv4' ? Number(v[k]) : parseSize(v[k], k));
    const have: Record<(typeof CAPACITY)[number], number> = { cpu: free.cru, memory: free.mru, ssd: free.sru, hdd: free.hru, publicIpv4: free.farmIps };
    for (const k of CAPACITY) {
      const more = need(k, next) - need(k, prev);
      if (more > 0 && have[k] < more)
        out.push({ property: k, why: `node ${chosen.nodeId} has ${have[k]} free ${k === 'publicIpv4' ? 'public IPv4 in its farm' : k}, the filter asks for ${more} more` });
    }
  }
  return out;
}

/** How the diff reads the live grid (injected in tests). */
export interface PickerLookup {
  node(nodeId: number): Promise<ChainNodeInfo | undefined>;
  free(node: ChainNodeInfo): Promise<FreeNow>;
  /** Rental, certification and GPU facts (undefined where unknown: the chain path). */
  facts?(nodeId: number): Promise<NodeFacts | undefined>;
  /** The deploying twin. */
  me?(): Promise<number | undefined>;
}

async function liveLookup(account?: AccountInput): Promise<PickerLookup> {
  const rt = await getRuntime(account);
  const proxy = rt.deps.gridProxy;
  if (proxy) {
    try {
      await proxy.nodes({ size: 1 });
      const cache = new Map<number, NodeCandidate | undefined>();
      const one = async (id: number) => {
        if (!cache.has(id)) {
          const n = await proxy.node(id);
          cache.set(id, n ? candidateOf(n) : undefined);
        }
        return cache.get(id);
      };
      return {
        node: async (id) => (await one(id))?.node,
        free: async (node) => {
          const c = await one(node.nodeId);
          if (!c) throw new InputError(`node ${node.nodeId} is not on the grid proxy ${proxy.url}`);
          return { ...c.free, farmIps: c.farmFreeIps };
        },
        facts: async (id) => (await one(id))?.facts,
        me: () => rt.deps.chain.twinId(),
      };
    } catch (err) {
      if (!(err instanceof GridProxyUnreachable)) throw err;
      proxyFallback(rt.deps, proxy, err);
    }
  }
  return {
    node: async (id) => (await rt.deps.chain.listNodes()).find((n) => n.nodeId === id),
    free: async (node) => {
      const s = await (await rt.deps.node(node.nodeId)).statistics();
      return {
        cru: s.total.cru - s.used.cru,
        mru: s.total.mru - s.used.mru,
        sru: s.total.sru - s.used.sru,
        hru: s.total.hru - s.used.hru,
        farmIps: await rt.deps.chain.farmFreePublicIps(node.farmId),
      };
    },
  };
}

/** Filter keys as the SDK and schema know them. */
const FILTER_KEYS = Object.keys(nodePickerInputsSchema.shape);

/**
 * diff: an unchanged filter is no change; a changed one is an update that keeps the node while it still fits
 * (`misfits`), and a replacement naming the filter otherwise. An unknown filter value (preview) may move the
 * node: it is reported as a replacement of that filter, as Pulumi's own providers report unknowns.
 */
export async function diffNodePicker(olds: Record<string, unknown>, news: Record<string, unknown>, lookup: () => Promise<PickerLookup> = () => liveLookup(accountOf(news))): Promise<DiffResult> {
  const { inputs: prevRaw, recorded } = previousInputs(olds, [...FILTER_KEYS, 'account']);
  // Before `__inputs` existed the `farmId` filter was overwritten by the chosen farm: unknowable, so not compared.
  const { farmId: _shadowed, ...legacy } = prevRaw;
  void _shadowed;
  const prevParsed = nodePickerInputsSchema.safeParse(recorded ? prevRaw : legacy);
  const { __provider: _p, ...raw } = news;
  void _p;
  // Another account (provider/account.ts) searches another grid as another twin (its rentals): pick again.
  if (!sameAccount(prevRaw.account, raw.account)) return { changes: true, replaces: ['account'], deleteBeforeReplace: false };
  const compared = FILTER_KEYS.filter((k) => recorded || k !== 'farmId' || raw.farmId !== olds.farmId);
  const prev = prevParsed.success ? (prevParsed.data as Record<string, unknown>) : prevRaw;
  const nextDefaults = nodePickerInputsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => !containsUnknown(v))));
  const next: Record<string, unknown> = { ...(nextDefaults.success ? nextDefaults.data : {}), ...raw };
  const changed = compared.filter((k) => stableJson(prev[k] ?? null) !== stableJson(next[k] ?? null));
  if (changed.length === 0) return { changes: false, replaces: [], deleteBeforeReplace: false };
  const unknown = changed.filter((k) => containsUnknown(next[k]));
  if (unknown.length > 0) return { changes: true, replaces: unknown, deleteBeforeReplace: false };
  const parsedNext = nodePickerInputsSchema.parse(next);
  // `count` alone moves no node: the update keeps the first ones or adds more.
  if (changed.every((k) => k === 'count')) return { changes: true, replaces: [], deleteBeforeReplace: false };
  const ids = (Array.isArray(olds.nodeIds) && olds.nodeIds.length > 0 ? olds.nodeIds.map(Number) : [Number(olds.nodeId)]).slice(0, parsedNext.count);
  const first: ChosenNode = {
    nodeId: Number(olds.nodeId),
    farmId: Number(olds.farmId),
    gatewayDomain: String(olds.gatewayDomain ?? ''),
    country: typeof olds.nodeCountry === 'string' ? olds.nodeCountry : undefined,
    ipv6: typeof olds.nodeIpv6 === 'boolean' ? olds.nodeIpv6 : undefined,
  };
  const raised = CAPACITY.some((k) => changed.includes(k));
  const factsChanged = FACT_FILTERS.some((k) => changed.includes(k));
  const needsFacts = (parsedNext.country && first.country === undefined) || (parsedNext.publicIpv6 && first.ipv6 === undefined);
  const chosen: { node: ChosenNode; free?: FreeNow }[] = [{ node: first }];
  let me: number | undefined;
  if (raised || needsFacts || factsChanged || ids.length > 1) {
    try {
      const l = await lookup();
      if (factsChanged) me = await l.me?.();
      for (const [i, id] of ids.entries()) {
        const node = await l.node(id);
        if (!node) continue;
        const c = i === 0 ? first : { nodeId: id, farmId: node.farmId, gatewayDomain: node.publicConfig?.domain ?? '' };
        c.country ??= node.country ?? '';
        c.ipv6 ??= !!node.publicConfig?.ip6;
        if (factsChanged) c.facts = await l.facts?.(id);
        const entry = i === 0 ? chosen[0] : { node: c };
        if (i > 0) chosen.push(entry);
        if (raised) entry.free = await l.free(node);
      }
    } catch {
      // an unreachable grid keeps the nodes: the diff never fails on it
    }
  }
  const prevF = prevParsed.success ? prevParsed.data : parsedNext;
  const bad = chosen.flatMap((c) => misfits(c.node, prevF, parsedNext, c.free, me));
  if (bad.length === 0) return { changes: true, replaces: [], deleteBeforeReplace: false };
  // The plugin's stderr is shown by the Pulumi CLI as a diagnostic: say why the picker moves.
  process.stderr.write(`NodePicker: the chosen nodes no longer fit the filter, so new nodes are picked: ${bad.map((b) => `${b.property}: ${b.why}`).join('; ')}\n`);
  return { changes: true, replaces: [...new Set(bad.map((b) => b.property))], deleteBeforeReplace: false };
}
