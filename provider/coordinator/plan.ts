/**
 * The coordinator's planner (zos-protocol.md §3.2–§3.5, rmb-tfchain.md §B2): from a group's current deployment and
 * the requests of one flush, the next deployment and the chain operations that go with it. Pure: no I/O, no clock;
 * the contract hash comes in as a function. Requests it refuses are listed in `Plan.refused` (the executor rejects
 * them before any chain transaction); it never settles a request itself.
 *
 * The rules it encodes:
 * - only workloads whose data changed (or that are new) carry the new version; the others keep theirs;
 * - the first workloads of a group create a node contract (version 0, with the public IPs they ask for); later ones
 *   update its hash (version + 1); removing the last workload cancels it;
 * - a workload removed and added again in one flush: the add waits for the next flush (`deferred`);
 * - TFChain cannot add public IPs to an existing node contract: an update that needs more is refused;
 * - a create whose workload name is taken (in the deployment, or by another create of the flush) is refused;
 * - growing a zmount that a running zmachine of the deployment mounts is refused (ZOS would answer `unchanged`);
 * - a contract recorded in state whose deployment never reached the node (`orphan`) is cancelled by its removes,
 *   with the name contracts they carry.
 * @module
 */
import { InputError, ZosError, type TfgridError } from '../../protocol/common/errors';
import { machinesMounting, zmount } from '../../protocol/zos/types/zmount';
import type { ContractOp, DeploymentJson, WorkloadJson } from '../deps';
import { deploymentOf, groupMetadata, keyOf, sameWorkload } from './deployment';
import type { ApplyRequest, ApplyResult } from './types';

/** A request waiting in the coordinator's queue. */
export interface Pending {
  req: ApplyRequest;
  resolve: (r: ApplyResult) => void;
  reject: (e: unknown) => void;
  /** Version conflicts this request has been retried after. */
  attempts: number;
}

/** What the coordinator knows of a group's deployment (the node's, plus the contract's reserved public IPs). */
export interface DeploymentState {
  contractId: number;
  version: number;
  workloads: WorkloadJson[];
  publicIps: number;
}

/** An extra contract operation of a request (a gateway's name contract) that rides in the plan's transaction. */
export interface ExtraOp {
  op: ContractOp;
  owner: Pending;
  /** The contract id the chain transaction returned for it (set by the executor). */
  id?: number;
}

export interface Plan {
  key: string;
  node: number;
  group: string;
  /** The requests this plan answers (refused and deferred ones left out). */
  pending: Pending[];
  before?: DeploymentState;
  next?: DeploymentJson;
  /** Workloads whose final state we wait for: name → version. */
  touched: Map<string, number>;
  /** Workloads of the deployment this version removes: we wait until the node has dropped them. */
  removed: Set<string>;
  /** Requests for the next flush (the add of a workload this version removes). */
  deferred: Pending[];
  action: 'none' | 'create' | 'update' | 'cancel';
  chainOps: ContractOp[];
  extraOps: ExtraOp[];
  /** Public IPs a new deployment's contract reserves. */
  publicIps: number;
  /** Requests refused while planning, in order, with their errors: nothing was sent for them. */
  refused: { item: Pending; error: TfgridError }[];
}

export interface PlanInput {
  twinId: number;
  node: number;
  group: string;
  /** The group's deployment as the node has it; undefined when it has none. */
  before: DeploymentState | undefined;
  pending: Pending[];
  /**
   * The contract of `orphanContractId(before, pending)` when the chain still has it active and it is the twin's: a
   * partial create whose deployment never reached the node.
   */
  orphan?: { contractId: number; publicIps: number };
  /** The contract hash of a deployment (`codec.hashDeployment`). */
  hash: (d: DeploymentJson) => string;
}

/**
 * The contract to look up on the chain before planning: the one recorded in state when the node has no deployment
 * for the group and every request removes (a partial create to cancel); undefined otherwise.
 */
export function orphanContractId(before: DeploymentState | undefined, pending: Pending[]): number | undefined {
  const contractId = pending.find((x) => x.req.contractId)?.req.contractId;
  return !before && contractId && pending.every((x) => x.req.op.kind === 'remove') ? contractId : undefined;
}

/** The next version of one group's deployment for the requests of one flush. */
export function planDeployment(input: PlanInput): Plan {
  const { node, group, pending } = input;
  const p: Plan = {
    key: keyOf(node, group),
    node,
    group,
    pending,
    before: input.before,
    touched: new Map(),
    removed: new Set(),
    deferred: [],
    action: 'none',
    chainOps: [],
    extraOps: [],
    publicIps: 0,
    refused: [],
  };
  if (!p.before && input.orphan && orphanContractId(p.before, pending) === input.orphan.contractId) return cancelOrphan(p, input.orphan);
  const version = p.before ? p.before.version + 1 : 0;
  const workloads = (p.before?.workloads ?? []).map((w) => ({ ...w }));
  const refused = new Set<Pending>();
  const refuse = (item: Pending, error: TfgridError): void => {
    p.refused.push({ item, error });
    refused.add(item);
  };
  refuseDuplicateNames(p, workloads, refuse);
  const publicIpsWanted = applyOps(
    p,
    pending.filter((x) => !refused.has(x)),
    version,
    workloads,
    refuse,
  );
  p.pending = pending.filter((x) => !refused.has(x) && !p.deferred.includes(x));
  if (p.before) refuseMountedDiskGrowth(p, workloads, refuse);
  return chooseAction(p, input, version, workloads, publicIpsWanted);
}

/** A contract recorded in state whose deployment never reached the node (a partial create): cancel it. */
function cancelOrphan(p: Plan, orphan: { contractId: number; publicIps: number }): Plan {
  p.before = { contractId: orphan.contractId, version: 0, workloads: [], publicIps: orphan.publicIps };
  p.action = 'cancel';
  p.chainOps.push({ kind: 'cancel', contractId: orphan.contractId });
  // the name contracts recorded with it go in the same transaction
  for (const item of p.pending) for (const extra of item.req.extraChainOps ?? []) p.extraOps.push({ op: extra, owner: item });
  return p;
}

/**
 * Applies each request's op to `workloads` (the next version's, edited in place) and records what the version
 * touches and removes; returns the public IPs the upserts ask for.
 */
function applyOps(p: Plan, items: Pending[], version: number, workloads: WorkloadJson[], refuse: (item: Pending, error: TfgridError) => void): number {
  let publicIpsWanted = 0;
  const removedNow = new Set<string>();
  for (const item of items) {
    const op = item.req.op;
    // A workload removed and added again in one version is an update of the old one for ZOS (zos-protocol.md
    // §3.4), refused for zmachines: the add waits for the next version, sent once the node has removed it.
    if (op.kind === 'upsert' && removedNow.has(op.workload.name)) {
      p.deferred.push(item);
      continue;
    }
    for (const extra of item.req.extraChainOps ?? []) p.extraOps.push({ op: extra, owner: item });
    if (op.kind === 'remove') {
      const i = workloads.findIndex((w) => w.name === op.name);
      if (i >= 0) {
        workloads.splice(i, 1);
        removedNow.add(op.name);
        if (p.before?.workloads.some((w) => w.name === op.name)) p.removed.add(op.name);
      }
      p.touched.delete(op.name);
      continue;
    }
    publicIpsWanted += op.publicIps ?? 0;
    const spec = op.workload;
    const i = workloads.findIndex((w) => w.name === spec.name);
    if (i >= 0 && workloads[i].type !== spec.type) {
      refuse(
        item,
        new ZosError(`${item.req.label ?? spec.name}: node ${p.node} deployment ${p.before?.contractId} already has a ${workloads[i].type} named "${spec.name}"`, {
          node: p.node,
          fix: 'give the workload another name or use another deployment group',
        }),
      );
      continue;
    }
    if (i >= 0 && sameWorkload(workloads[i], spec)) continue;
    const w: WorkloadJson = { version, name: spec.name, type: spec.type, data: spec.data, metadata: spec.metadata ?? '', description: spec.description ?? '' };
    if (i >= 0) workloads[i] = w;
    else workloads.push(w);
    p.touched.set(spec.name, version);
  }
  return publicIpsWanted;
}

/** Create, update, cancel or nothing, with the chain op; refuses an update that needs more public IPs than reserved. */
function chooseAction(p: Plan, input: PlanInput, version: number, workloads: WorkloadJson[], publicIpsWanted: number): Plan {
  const { twinId: tw, node, group } = input;
  const changed = p.before ? workloads.length !== p.before.workloads.length || p.touched.size > 0 : workloads.length > 0;
  if (!changed) return p;
  if (!p.before) {
    p.action = 'create';
    p.publicIps = publicIpsWanted;
    p.next = deploymentOf(tw, group, 0, 0, workloads);
    p.chainOps.push({ kind: 'createNode', nodeId: node, hash: input.hash(p.next), data: groupMetadata(group), publicIps: publicIpsWanted });
  } else if (workloads.length === 0) {
    p.action = 'cancel';
    p.chainOps.push({ kind: 'cancel', contractId: p.before.contractId });
  } else {
    const have = p.before.publicIps;
    const needed = workloads.filter((w) => w.type === 'ip' && (w.data as { v4?: boolean }).v4).length;
    if (needed > have) {
      const err = new ZosError(
        `node ${node} deployment ${p.before.contractId} (group "${group}") reserved ${have} public IPv4 at creation and needs ${needed}: ` +
          'TFChain cannot add public IPs to an existing node contract',
        { node, contract: p.before.contractId, fix: 'put the PublicIp and its ZMachine in a new deployment group (the `deployment` input), created together' },
      );
      for (const item of p.pending) p.refused.push({ item, error: err });
      p.pending = [];
      return p;
    }
    p.action = 'update';
    p.next = deploymentOf(tw, group, version, p.before.contractId, workloads);
    p.chainOps.push({ kind: 'updateNode', contractId: p.before.contractId, hash: input.hash(p.next), data: groupMetadata(group) });
  }
  return p;
}

/**
 * Two creates of one run with the same workload name in one deployment, or a create whose name the deployment
 * already holds: ZOS refuses duplicate names in a deployment, and an upsert would silently merge them into one
 * workload that two resources then own. Refused before any chain transaction, naming both.
 */
function refuseDuplicateNames(p: Plan, workloads: WorkloadJson[], refuse: (item: Pending, error: TfgridError) => void): void {
  const removed = new Set(p.pending.flatMap((x) => (x.req.op.kind === 'remove' ? [x.req.op.name] : [])));
  const creates = new Map<string, Pending[]>();
  for (const x of p.pending) {
    if (!x.req.create || x.req.contractId || x.req.op.kind !== 'upsert') continue;
    const name = x.req.op.workload.name;
    creates.set(name, [...(creates.get(name) ?? []), x]);
  }
  const where = `deployment group "${p.group}" on node ${p.node}`;
  for (const [name, items] of creates) {
    const held = removed.has(name) ? undefined : workloads.find((w) => w.name === name);
    if (items.length < 2 && !held) continue;
    const labels = items.map((x) => x.req.label ?? name);
    const text = held
      ? `${labels[0]}: ${where} already has a ${held.type} named "${name}" (contract ${p.before?.contractId}): another resource, or an earlier run, created it; Zero-OS refuses two workloads with one name in a deployment`
      : `${labels.join(' and ')} both ask for workload name "${name}" in ${where}; Zero-OS refuses two workloads with one name in a deployment`;
    const err = new InputError(text, {
      path: 'name',
      node: p.node,
      fix: held
        ? `give this resource another \`workloadName\` (or another \`deployment\`); to take over a leftover of an earlier run, set adoptContractId: ${p.before?.contractId}`
        : 'give each resource its own `workloadName` (or its own `deployment`)',
    });
    for (const x of items) refuse(x, err);
  }
}

/**
 * ZOS refuses to grow a zmount while a zmachine of the same deployment mounts it (zos-protocol.md §3.5: `unchanged`,
 * "disk is mounted, please delete the VM first"). Say so before paying for a contract update.
 */
function refuseMountedDiskGrowth(p: Plan, workloads: WorkloadJson[], refuse: (item: Pending, error: TfgridError) => void): void {
  const before = p.before!;
  for (const [name, version] of [...p.touched]) {
    const now = workloads.find((w) => w.name === name);
    const was = before.workloads.find((w) => w.name === name);
    if (!now || !was || now.type !== 'zmount' || version !== before.version + 1) continue;
    if (Number(now.data.size) <= Number(was.data.size)) continue;
    // the node's own rule (protocol/zos): only an ok or paused zmachine of the stored deployment blocks it
    const current = before.workloads.map((w) => ({ name: w.name, type: w.type, data: w.data, state: w.result?.state ?? 'init' }));
    const verdict = zmount.update.predict({ size: BigInt(Number(was.data.size)) }, { size: BigInt(Number(now.data.size)) }, { name, current });
    if (verdict.outcome !== 'unchanged') continue;
    const mountedBy = machinesMounting(name, current)[0] ?? { name: '?' };
    const text = verdict.message;
    const err = new ZosError(`ZMount "${name}": node ${p.node} deployment ${before.contractId} cannot grow the disk while ZMachine "${mountedBy.name}" mounts it (ZOS: ${text})`, {
      node: p.node,
      contract: before.contractId,
      nodeMessage: text,
      fix: `create a new, larger disk, or remove the mount from "${mountedBy.name}" in one up, grow the disk, then mount it again`,
    });
    const refusedNow = new Set<Pending>();
    for (const item of p.pending) {
      if (item.req.op.kind === 'upsert' && item.req.op.workload.name === name) {
        refuse(item, err);
        refusedNow.add(item);
        // keep the old disk in the plan
        const i = workloads.findIndex((w) => w.name === name);
        workloads[i] = was;
        p.touched.delete(name);
      }
    }
    p.pending = p.pending.filter((x) => !refusedNow.has(x));
  }
}
