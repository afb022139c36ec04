/**
 * NodePicker: chooses a node by free capacity, public IPv4/IPv6, gateway domain, farm and country. Candidates come
 * from the grid proxy's `/nodes` (status up, the filter sent as query parameters: one HTTP query per 100 nodes,
 * no chain read, no RMB call); only where no proxy is configured, or it cannot be reached (said on stderr), from
 * the chain (nodes, farm IPs) and each candidate's `zos.statistics.get` (zos-protocol.md §5.2). The choice is sticky:
 * it is kept in state and never re-evaluated on a later `up` (the peers' non-sticky scheduler, pulumi-notes.md
 * §1.4). A picked node stays picked while it still fits, whatever filters were given or omitted: a filter change
 * the chosen node still satisfies is an update that keeps the node; one it no longer satisfies replaces the picker,
 * and the diff names the filter (`replaces`) and says why on the plugin's stderr, which the Pulumi CLI shows.
 * The diff compares filters with the ones recorded at create (`__inputs`, provider/checked-inputs.ts), never with
 * the outputs: the chosen node's `farmId` output is not the `farmId` filter (issue 22).
 * @module
 */
import { z } from 'zod';
import { InputError, errorText } from '../../protocol/common/errors';
import { previousInputs, withCheckedInputs } from '../checked-inputs';
import { stableJson } from '../deployment-coordinator';
import type { ChainNodeInfo, CoordinatorDeps } from '../deps';
import { containsUnknown, nodeIdSchema, parseSize, sizeSchema, validateInputs, type CheckFailure } from '../inputs';
import { getRuntime } from '../runtime';
import { allNodes, GridProxyUnreachable, type GridProxyApi, type ProxyNode, type ProxyQuery } from '../grid-proxy';
import type { DiffResult } from '../workload-resource';

export const nodePickerInputsSchema = z.object({
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
  /** Country name or code as registered on the chain. */
  country: z.string().optional(),
  exclude: z.array(nodeIdSchema).default([]),
});
export type NodePickerInputs = z.infer<typeof nodePickerInputsSchema>;

/** Outputs besides the filter (for schema.json and the SDK class, which declares each one). */
export const nodePickerOutputDocs = {
  nodeId: { type: 'integer', description: 'The chosen node.' },
  farmId: { type: 'integer', description: "The chosen node's farm." },
  gatewayDomain: { type: 'string', description: 'The chosen node\'s gateway domain, or "".' },
  nodeCountry: { type: 'string', description: 'The chosen node\'s country as registered on the chain, or "".' },
  nodeIpv6: { type: 'boolean', description: 'Whether the chosen node has a public IPv6.' },
} as const;

export interface NodeCandidate {
  node: ChainNodeInfo;
  free: { cru: number; mru: number; sru: number; hru: number };
  farmFreeIps: number;
}

/** Pure: does a candidate satisfy the filter? Returns the first reason it does not. */
export function rejectReason(c: NodeCandidate, f: NodePickerInputs): string | undefined {
  if (f.exclude.includes(c.node.nodeId)) return 'excluded';
  if (f.farmId !== undefined && c.node.farmId !== f.farmId) return `farm ${c.node.farmId}`;
  if (f.country && (c.node.country ?? '').toLowerCase() !== f.country.toLowerCase()) return `country ${c.node.country}`;
  if (c.free.cru < f.cpu) return `${c.free.cru} free cpu`;
  if (c.free.mru < parseSize(f.memory, 'memory')) return 'not enough free memory';
  if (c.free.sru < parseSize(f.ssd, 'ssd')) return 'not enough free ssd';
  if (c.free.hru < parseSize(f.hdd, 'hdd')) return 'not enough free hdd';
  if (c.farmFreeIps < f.publicIpv4) return `farm has ${c.farmFreeIps} free public IPv4`;
  if (f.publicIpv6 && !c.node.publicConfig?.ip6) return 'no public IPv6';
  if (f.domain && !c.node.publicConfig?.domain) return 'no gateway domain';
  return undefined;
}

/** Pure: the best candidate (most free memory, then lowest id), or undefined. */
export function pickBest(cands: NodeCandidate[], f: NodePickerInputs): NodeCandidate | undefined {
  return cands.filter((c) => !rejectReason(c, f)).sort((a, b) => b.free.mru - a.free.mru || a.node.nodeId - b.node.nodeId)[0];
}

/** Pure: the grid proxy query for a filter (sizes in bytes; `status=up`: nodes that report). */
export function proxyQuery(f: NodePickerInputs): ProxyQuery {
  const size = (v: number | string, k: string) => parseSize(v, k) || undefined;
  return {
    status: 'up',
    free_mru: size(f.memory, 'memory'),
    free_sru: size(f.ssd, 'ssd'),
    free_hru: size(f.hdd, 'hdd'),
    free_ips: f.publicIpv4 || undefined,
    ipv6: f.publicIpv6 || undefined,
    domain: f.domain || undefined,
    farm_ids: f.farmId !== undefined ? [f.farmId] : undefined,
    country: f.country || undefined,
    excluded: f.exclude.length > 0 ? f.exclude : undefined,
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
  };
}

/** Says once per process, on the plugin's stderr (the Pulumi CLI shows it) and in the log, that the proxy is skipped. */
function proxyFallback(deps: Pick<CoordinatorDeps, 'log'>, proxy: GridProxyApi, err: unknown): void {
  const line = `${errorText(err)}: finding nodes from the chain and asking each node over RMB instead (slow on a large grid)`;
  deps.log.warn(line, { gridProxy: proxy.url });
  process.stderr.write(`tfgrid: ${line}\n`);
}

/**
 * Candidates for a filter: from the grid proxy when there is one (one query per 100 matching nodes), else (or when
 * it is unreachable) from the chain and each node over RMB, skipping nodes that do not answer.
 */
export async function findNodes(deps: Pick<CoordinatorDeps, 'chain' | 'node' | 'gridProxy' | 'log'>, f: NodePickerInputs): Promise<NodeCandidate[]> {
  if (deps.gridProxy) {
    try {
      return (await allNodes(deps.gridProxy, proxyQuery(f))).map(candidateOf);
    } catch (err) {
      if (!(err instanceof GridProxyUnreachable)) throw err;
      proxyFallback(deps, deps.gridProxy, err);
    }
  }
  const nodes = await deps.chain.listNodes();
  const farmIps = new Map<number, number>();
  const out: NodeCandidate[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      if (f.exclude.includes(node.nodeId) || (f.farmId !== undefined && node.farmId !== f.farmId)) return;
      try {
        const api = await deps.node(node.nodeId);
        const s = await api.statistics();
        if (!farmIps.has(node.farmId)) farmIps.set(node.farmId, await deps.chain.farmFreePublicIps(node.farmId));
        out.push({
          node,
          free: { cru: s.total.cru - s.used.cru, mru: s.total.mru - s.used.mru, sru: s.total.sru - s.used.sru, hru: s.total.hru - s.used.hru },
          farmFreeIps: farmIps.get(node.farmId) ?? 0,
        });
      } catch {
        // an unreachable node is not a candidate
      }
    }),
  );
  return out;
}

export function checkNodePicker(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider: provider, ...raw } = news;
  const { value, failures } = validateInputs(nodePickerInputsSchema, raw, 'NodePicker', 'picker');
  if (!value) return { inputs: news, failures };
  return { inputs: provider !== undefined ? { ...value, __provider: provider } : { ...value }, failures };
}

/** What a diff needs to know about the chosen node (kept in outputs; older states lack country and IPv6). */
export interface ChosenNode {
  nodeId: number;
  farmId: number;
  gatewayDomain: string;
  country?: string;
  ipv6?: boolean;
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
export function misfits(chosen: ChosenNode, prev: NodePickerInputs, next: NodePickerInputs, free?: FreeNow): { property: string; why: string }[] {
  const out: { property: string; why: string }[] = [];
  if (next.exclude.includes(chosen.nodeId)) out.push({ property: 'exclude', why: `node ${chosen.nodeId} is excluded` });
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
}

async function liveLookup(): Promise<PickerLookup> {
  const rt = await getRuntime();
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
export async function diffNodePicker(olds: Record<string, unknown>, news: Record<string, unknown>, lookup: () => Promise<PickerLookup> = liveLookup): Promise<DiffResult> {
  const { inputs: prevRaw, recorded } = previousInputs(olds, FILTER_KEYS);
  // Before `__inputs` existed the `farmId` filter was overwritten by the chosen farm: unknowable, so not compared.
  const { farmId: _shadowed, ...legacy } = prevRaw;
  void _shadowed;
  const prevParsed = nodePickerInputsSchema.safeParse(recorded ? prevRaw : legacy);
  const { __provider: _p, ...raw } = news;
  void _p;
  const compared = FILTER_KEYS.filter((k) => recorded || k !== 'farmId' || raw.farmId !== olds.farmId);
  const prev = prevParsed.success ? (prevParsed.data as Record<string, unknown>) : prevRaw;
  const nextDefaults = nodePickerInputsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => !containsUnknown(v))));
  const next: Record<string, unknown> = { ...(nextDefaults.success ? nextDefaults.data : {}), ...raw };
  const changed = compared.filter((k) => stableJson(prev[k] ?? null) !== stableJson(next[k] ?? null));
  if (changed.length === 0) return { changes: false, replaces: [], deleteBeforeReplace: false };
  const unknown = changed.filter((k) => containsUnknown(next[k]));
  if (unknown.length > 0) return { changes: true, replaces: unknown, deleteBeforeReplace: false };
  const parsedNext = nodePickerInputsSchema.parse(next);
  const chosen: ChosenNode = {
    nodeId: Number(olds.nodeId),
    farmId: Number(olds.farmId),
    gatewayDomain: String(olds.gatewayDomain ?? ''),
    country: typeof olds.nodeCountry === 'string' ? olds.nodeCountry : undefined,
    ipv6: typeof olds.nodeIpv6 === 'boolean' ? olds.nodeIpv6 : undefined,
  };
  const raised = CAPACITY.some((k) => changed.includes(k));
  const needsFacts = (parsedNext.country && chosen.country === undefined) || (parsedNext.publicIpv6 && chosen.ipv6 === undefined);
  let free: FreeNow | undefined;
  if (raised || needsFacts) {
    try {
      const l = await lookup();
      const node = await l.node(chosen.nodeId);
      if (node) {
        chosen.country ??= node.country ?? '';
        chosen.ipv6 ??= !!node.publicConfig?.ip6;
        if (raised) free = await l.free(node);
      }
    } catch {
      // an unreachable grid keeps the node: the diff never fails on it
    }
  }
  const bad = misfits(chosen, prevParsed.success ? prevParsed.data : parsedNext, parsedNext, free);
  if (bad.length === 0) return { changes: true, replaces: [], deleteBeforeReplace: false };
  // The plugin's stderr is shown by the Pulumi CLI as a diagnostic: say why the picker moves.
  process.stderr.write(`NodePicker: node ${chosen.nodeId} no longer fits the filter, so a new node is picked: ${bad.map((b) => `${b.property}: ${b.why}`).join('; ')}\n`);
  return { changes: true, replaces: [...new Set(bad.map((b) => b.property))], deleteBeforeReplace: false };
}

/** update: the node stays; the filter it was checked against is recorded. */
export function updateNodePicker(olds: Record<string, unknown>, news: Record<string, unknown>): { outs: Record<string, unknown> } {
  const { __provider: _p, ...rest } = news;
  void _p;
  const f = nodePickerInputsSchema.parse(rest);
  return { outs: withCheckedInputs({ ...olds, ...f, farmId: olds.farmId, domain: f.domain }, f) };
}

export async function createNodePicker(raw: Record<string, unknown>): Promise<{ id: string; outs: Record<string, unknown> }> {
  const { __provider: _p, ...rest } = raw;
  void _p;
  const f = nodePickerInputsSchema.parse(rest);
  const rt = await getRuntime();
  let cands: NodeCandidate[];
  try {
    cands = await findNodes(rt.deps, f);
  } catch (err) {
    throw new InputError(`NodePicker: listing nodes failed: ${errorText(err)}`, { fix: 'check tfgrid:network and tfgrid:chainUrls' });
  }
  const best = pickBest(cands, f);
  if (!best) {
    const why = cands.map((c) => `node ${c.node.nodeId}: ${rejectReason(c, f)}`).join('; ');
    throw new InputError(`NodePicker: no node matches the filter (${cands.length} reachable${why ? `: ${why}` : ''})`, { fix: 'relax the filter or add capacity' });
  }
  return { id: `node/${best.node.nodeId}`, outs: pickerOutputs(f, best.node) };
}

/** Pure: the picker's outputs for filter `f` and the chosen node. `farmId` is the chosen node's farm. */
export function pickerOutputs(f: NodePickerInputs, node: ChainNodeInfo): Record<string, unknown> {
  return withCheckedInputs(
    { ...f, nodeId: node.nodeId, farmId: node.farmId, domain: f.domain, gatewayDomain: node.publicConfig?.domain ?? '', nodeCountry: node.country ?? '', nodeIpv6: !!node.publicConfig?.ip6 },
    f,
  );
}
