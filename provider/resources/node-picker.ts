/**
 * NodePicker: chooses `count` distinct nodes by free capacity, public IPv4/IPv6, gateway domain, farm, country,
 * rental (dedicated farm, rentable, rented by the deploying twin), certification and GPU (the filter: node-filter.ts).
 * Candidates come from the grid proxy's `/nodes` (status up, the filter sent as query parameters, `available_for`
 * the deploying twin: one HTTP query per 100 nodes, no chain read, no RMB call); only where no proxy is configured,
 * or it cannot be reached (said on stderr), from the chain (nodes, farm IPs) and each candidate's
 * `zos.statistics.get` (zos-protocol.md §5.2), which knows no rental, certification or GPU facts (those filters
 * are then refused). The choice is sticky: it is kept in state and never re-evaluated on a later `up` (the peers'
 * non-sticky scheduler, pulumi-notes.md §1.4). A picked node stays picked while it still fits, whatever filters
 * were given or omitted: a filter change the chosen nodes still satisfy is an update that keeps them (a larger
 * `count` adds nodes, a smaller one keeps the first ones); one they no longer satisfy replaces the picker, and the
 * diff names the filter (`replaces`) and says why on the plugin's stderr, which the Pulumi CLI shows. The diff
 * compares filters with the ones recorded at create (`__inputs`, provider/checked-inputs.ts), never with the
 * outputs: the chosen node's `farmId` output is not the `farmId` filter (issue 22). A preview of a new picker
 * names the node it would pick (stderr).
 * @module
 */
import type { z } from 'zod';
import { InputError, errorText } from '../../protocol/common/errors';
import { withCheckedInputs } from '../checked-inputs';
import type { ChainNodeInfo, CoordinatorDeps } from '../deps';
import { containsUnknown, validateInputs, type CheckFailure } from '../inputs';
import { getRuntime } from '../runtime';
import { accountSchema } from '../account';
import { allNodes, GridProxyUnreachable, proxyFallback } from '../grid-proxy';
import { candidateOf, farmsOf, filterConflicts, nodeFilterSchema, proxyOnlyFilters, proxyQuery, rankNodes, rejectReason, type NodeCandidate } from './node-filter';

export { candidateOf, pickBest, proxyQuery, rankNodes, rejectReason, type NodeCandidate } from './node-filter';

/** The filter, and the account whose grid is searched and whose twin is "me" (rentals); default the stack's. */
export const nodePickerInputsSchema = nodeFilterSchema.extend({ account: accountSchema });
export type NodePickerInputs = z.infer<typeof nodePickerInputsSchema>;

/** Outputs besides the filter (for schema.json and the SDK class, which declares each one). */
export const nodePickerOutputDocs = {
  nodeId: { type: 'integer', description: 'The chosen node (the first of nodeIds).' },
  nodeIds: { type: 'array', items: 'integer', description: 'The chosen nodes, count distinct ones, best first.' },
  farmId: { type: 'integer', description: "The chosen node's farm." },
  gatewayDomain: { type: 'string', description: 'The chosen node\'s gateway domain, or "".' },
  nodeCountry: { type: 'string', description: 'The chosen node\'s country as registered on the chain, or "".' },
  nodeIpv6: { type: 'boolean', description: 'Whether the chosen node has a public IPv6.' },
} as const;

/** The deploying twin, or undefined where it cannot be read (then no filter depends on it). */
async function deployingTwin(deps: Pick<CoordinatorDeps, 'chain'>): Promise<number | undefined> {
  try {
    return await deps.chain.twinId();
  } catch {
    return undefined;
  }
}

/**
 * Candidates for a filter and the deploying twin `me` they were asked for: from the grid proxy when there is one
 * (one query per 100 matching nodes), else (or when it is unreachable) from the chain and each node over RMB,
 * skipping nodes that do not answer; a filter only the proxy knows is then refused.
 */
export async function listCandidates(deps: Pick<CoordinatorDeps, 'chain' | 'node' | 'gridProxy' | 'log'>, f: NodePickerInputs): Promise<{ cands: NodeCandidate[]; me?: number }> {
  const me = await deployingTwin(deps);
  if (deps.gridProxy) {
    try {
      return { cands: (await allNodes(deps.gridProxy, proxyQuery(f, me))).map(candidateOf), me };
    } catch (err) {
      if (!(err instanceof GridProxyUnreachable)) throw err;
      proxyFallback(deps, deps.gridProxy, err);
    }
  }
  const proxyOnly = proxyOnlyFilters(f);
  if (proxyOnly.length > 0) {
    throw new InputError(`the filter ${proxyOnly.join(', ')} needs the grid proxy (the chain has no rental, certification or GPU index)`, {
      fix: 'set tfgrid:gridProxyUrl (or TFGRID_GRID_PROXY_URL) to a reachable grid proxy, or drop the filter',
    });
  }
  const farms = farmsOf(f);
  const nodes = await deps.chain.listNodes();
  const farmIps = new Map<number, number>();
  const out: NodeCandidate[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      if (f.exclude.includes(node.nodeId) || (farms && !farms.includes(node.farmId))) return;
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
  return { cands: out, me };
}

/** The candidates for a filter, unranked (see `listCandidates`). */
export async function findNodes(deps: Pick<CoordinatorDeps, 'chain' | 'node' | 'gridProxy' | 'log'>, f: NodePickerInputs): Promise<NodeCandidate[]> {
  return (await listCandidates(deps, f)).cands;
}

/** The nodes that fit the filter for the deploying twin, best first. */
export async function findRanked(deps: Pick<CoordinatorDeps, 'chain' | 'node' | 'gridProxy' | 'log'>, f: NodePickerInputs): Promise<NodeCandidate[]> {
  const { cands, me } = await listCandidates(deps, f);
  return rankNodes(cands, f, me);
}

export function checkNodePicker(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider: provider, ...raw } = news;
  const { value, failures } = validateInputs(nodePickerInputsSchema, raw, 'NodePicker', 'picker');
  if (!value) return { inputs: news, failures };
  failures.push(...filterConflicts(value, 'NodePicker', 'picker'));
  return { inputs: provider !== undefined ? { ...value, __provider: provider } : { ...value }, failures };
}

/**
 * Preview of a new picker: names on stderr (the Pulumi CLI shows it) the nodes it would pick now, or why none
 * fits. Never fails the check: create says the same with the grid as it is then.
 */
export async function previewNodePicker(
  inputs: Record<string, unknown>,
  deps: Pick<CoordinatorDeps, 'chain' | 'node' | 'gridProxy' | 'log'>,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  if (containsUnknown(inputs)) return;
  const { __provider: _p, ...rest } = inputs;
  void _p;
  const parsed = nodePickerInputsSchema.safeParse(rest);
  if (!parsed.success) return;
  try {
    const { cands, me } = await listCandidates(deps, parsed.data);
    const picked = rankNodes(cands, parsed.data, me).slice(0, parsed.data.count);
    if (picked.length >= parsed.data.count) write(`NodePicker: would pick ${picked.map((c) => `node ${c.node.nodeId} (farm ${c.node.farmId})`).join(', ')}`);
    else write(`NodePicker: ${noMatch(cands, parsed.data, me, picked.length)}`);
  } catch (err) {
    write(`NodePicker: cannot say which node it would pick: ${errorText(err)}`);
  }
}

/** Why fewer than `count` nodes fit: each rejected candidate with its reason. */
function noMatch(cands: NodeCandidate[], f: NodePickerInputs, me: number | undefined, fit: number): string {
  const why = cands
    .filter((c) => rejectReason(c, f, me))
    .map((c) => `node ${c.node.nodeId}: ${rejectReason(c, f, me)}`)
    .join('; ');
  const head = f.count > 1 && fit > 0 ? `only ${fit} of the ${f.count} nodes asked for match the filter` : 'no node matches the filter';
  // The proxy leaves out, unlisted, the nodes the twin may not use (`available_for`): say so.
  const unusable =
    me !== undefined && !f.rentable ? `; nodes twin ${me} may not deploy on (rented by another twin, or in a dedicated farm and not rented by it) are left out: rentable finds nodes to rent` : '';
  return `${head} (${cands.length} reachable${why ? `: ${why}` : ''}${unusable})`;
}

export { diffNodePicker, misfits, type ChosenNode, type FreeNow, type PickerLookup } from './node-picker-diff';

/** The chosen node ids in a state (states before `count` have only `nodeId`). */
export function chosenIds(outs: Record<string, unknown>): number[] {
  return Array.isArray(outs.nodeIds) && outs.nodeIds.length > 0 ? outs.nodeIds.map(Number) : [Number(outs.nodeId)];
}

/** The ranked nodes for a filter on the live grid (injected in tests). */
export type FindRanked = (f: NodePickerInputs) => Promise<NodeCandidate[]>;
const liveFind: FindRanked = async (f) => findRanked((await getRuntime(f.account)).deps, f);

/**
 * update: the nodes stay; the filter they were checked against is recorded. A smaller `count` keeps the first
 * nodes; a larger one adds the best nodes that fit and are not chosen yet.
 */
export async function updateNodePicker(olds: Record<string, unknown>, news: Record<string, unknown>, find: FindRanked = liveFind): Promise<{ outs: Record<string, unknown> }> {
  const { __provider: _p, ...rest } = news;
  void _p;
  const f = nodePickerInputsSchema.parse(rest);
  let ids = chosenIds(olds).slice(0, f.count);
  if (ids.length < f.count) {
    const more = (await find({ ...f, exclude: [...f.exclude, ...ids] })).slice(0, f.count - ids.length);
    if (more.length < f.count - ids.length)
      throw new InputError(`NodePicker: count ${f.count} asks for ${f.count - ids.length} more nodes, ${more.length} others match the filter`, {
        fix: 'relax the filter, add capacity or lower count',
      });
    ids = [...ids, ...more.map((c) => c.node.nodeId)];
  }
  return { outs: withCheckedInputs({ ...olds, ...f, farmId: olds.farmId, domain: f.domain, nodeId: ids[0], nodeIds: ids }, f) };
}

export async function createNodePicker(raw: Record<string, unknown>): Promise<{ id: string; outs: Record<string, unknown> }> {
  const { __provider: _p, ...rest } = raw;
  void _p;
  const f = nodePickerInputsSchema.parse(rest);
  const rt = await getRuntime(f.account);
  let found: { cands: NodeCandidate[]; me?: number };
  try {
    found = await listCandidates(rt.deps, f);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`NodePicker: listing nodes failed: ${errorText(err)}`, { fix: 'check tfgrid:network and tfgrid:chainUrls' });
  }
  const picked = rankNodes(found.cands, f, found.me).slice(0, f.count);
  if (picked.length < f.count) throw new InputError(`NodePicker: ${noMatch(found.cands, f, found.me, picked.length)}`, { fix: 'relax the filter or add capacity' });
  const [first, ...others] = picked.map((c) => c.node);
  return { id: `node/${picked.map((c) => c.node.nodeId).join(',')}`, outs: pickerOutputs(f, first, others) };
}

/** Pure: the picker's outputs for filter `f` and the chosen nodes (`node` first). `farmId` is the chosen node's farm. */
export function pickerOutputs(f: NodePickerInputs, node: ChainNodeInfo, others: ChainNodeInfo[] = []): Record<string, unknown> {
  return withCheckedInputs(
    {
      ...f,
      nodeId: node.nodeId,
      nodeIds: [node.nodeId, ...others.map((n) => n.nodeId)],
      farmId: node.farmId,
      domain: f.domain,
      gatewayDomain: node.publicConfig?.domain ?? '',
      nodeCountry: node.country ?? '',
      nodeIpv6: !!node.publicConfig?.ip6,
    },
    f,
  );
}
