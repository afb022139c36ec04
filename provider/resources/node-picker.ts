/**
 * NodePicker: chooses a node by free capacity, public IPv4/IPv6, gateway domain, farm and country, reading the
 * chain (nodes, farm IPs) and each candidate's `zos.statistics.get` (zos-protocol.md §5.2). The choice is sticky:
 * it is kept in state and never re-evaluated on a later `up`; changing the filter replaces the picker (shown in
 * preview), so a deployment never moves silently (the peers' non-sticky scheduler, pulumi-notes.md §1.4).
 * @module
 */
import { z } from 'zod';
import { InputError, errorText } from '../../protocol/common/errors';
import { stableJson } from '../deployment-coordinator';
import type { ChainNodeInfo, CoordinatorDeps } from '../deps';
import { nodeIdSchema, parseSize, sizeSchema, validateInputs, type CheckFailure } from '../inputs';
import { getRuntime } from '../runtime';
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

/** Reads candidates from the chain and the nodes; unreachable nodes are skipped. */
export async function findNodes(deps: Pick<CoordinatorDeps, 'chain' | 'node'>, f: NodePickerInputs): Promise<NodeCandidate[]> {
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

export function diffNodePicker(olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  const changed = Object.keys(nodePickerInputsSchema.shape).filter((k) => stableJson(olds[k] ?? null) !== stableJson(news[k] ?? null));
  return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false };
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
  return { id: `node/${best.node.nodeId}`, outs: { ...f, nodeId: best.node.nodeId, farmId: best.node.farmId, domain: f.domain, gatewayDomain: best.node.publicConfig?.domain ?? '' } };
}
