/**
 * The deployment coordinator (DESIGN.md §4, zos-protocol.md §1.1, §3.2–§3.5, rmb-tfchain.md §B2–B5).
 *
 * Pulumi resources are single workloads; ZOS wants one signed, versioned deployment per node contract. The
 * coordinator owns every (twin, node, group) deployment of this process:
 * - the first workloads of a group → `createNodeContract(hash)` then `zos.deployment.deploy` at version 0;
 * - later adds/updates/removes → version+1, only touched workloads carry the new version,
 *   `updateNodeContract(new hash)`, re-sign, `zos.deployment.update`; the last remove cancels the contract;
 * - then it waits for each touched workload's `ok`/`error` (or `unchanged`) with a timeout and surfaces the
 *   node's text verbatim.
 * Requests that arrive within one coalescing window become one version bump per deployment, and the contract
 * operations of all deployments of that window go to the chain as one `batchAll`. A version conflict (someone
 * else updated the deployment) re-reads the deployment from the node and retries. A create whose deploy is
 * refused cancels the contract it just made (no paid orphan); if even that fails the error carries the
 * contract id so the resource can be recorded as partially created.
 * @module
 */
import { ChainError, ConflictError, InputError, RmbError, TfgridError, ZosError, errorText } from '../protocol/common/errors';
import { zmount } from '../protocol/zos/types/zmount';
import type { ContractOp, CoordinatorDeps, NodeApi, WireDeployment, WireWorkload } from './deps';
import { isMachineType } from './node-kind';

/** What a resource wants in a deployment: the workload without version/result. */
export interface WorkloadSpec {
  name: string;
  type: string;
  data: Record<string, unknown>;
  metadata?: string;
  description?: string;
}

export type WorkloadOp =
  /** Add the workload, or update it when its data changed (its version is bumped only then). */
  | { kind: 'upsert'; workload: WorkloadSpec; publicIps?: number }
  /** Remove the workload; the last one cancels the contract. */
  | { kind: 'remove'; name: string };

export interface ApplyRequest {
  node: number;
  group: string;
  op: WorkloadOp;
  /** The contract recorded in Pulumi state, when known (a fresh process re-reads it from the node). */
  contractId?: number;
  /** Extra contract operations for the same chain transaction (name contracts of gateways). */
  extraChainOps?: ContractOp[];
  /** Label for messages, e.g. `ZMachine "web"`. */
  label?: string;
  /** How long this request waits for the node (the resource's `timeout` for the op); default `deployTimeoutMs`. */
  timeoutMs?: number;
  /** Where `timeoutMs` comes from, for the expiry message (`timeout.create`, `tfgrid:deployTimeout`). */
  timeoutSource?: string;
  /** What the node does before the workload is ok, for progress lines (`flist <url> to download and the machine to start`). */
  waitingFor?: string;
  /**
   * A new resource's workload: refused when its name is already in the deployment or another create of the same
   * run asks for it (ZOS refuses duplicate workload names in a deployment; an upsert would merge the two).
   */
  create?: boolean;
}

export interface ApplyResult {
  twinId: number;
  node: number;
  group: string;
  /** 0 when the deployment was cancelled (its last workload removed). */
  contractId: number;
  version: number;
  /** The workload as the node reports it (with `result`), for upserts. */
  workload?: WireWorkload;
  /** Contract ids for `extraChainOps`, in order. */
  extraContractIds: number[];
}

export interface ReadResult {
  status: 'ok' | 'error' | 'paused' | 'init' | 'gone' | 'unreachable';
  contractId: number;
  version?: number;
  workload?: WireWorkload;
  message?: string;
}

export interface CoordinatorOptions {
  /** How long requests are collected before one flush (ms); 0 sends each request alone (no coalescing). */
  coalesceMs?: number;
  /** Collection window when a request may create a new deployment (ms; default max(coalesceMs, 1000)). */
  newGroupMs?: number;
  /** Poll period while waiting for workload states (ms). */
  pollMs?: number;
  /** Time allowed for workloads to reach a final state (ms). */
  deployTimeoutMs?: number;
  /** Retries after a version conflict. */
  conflictRetries?: number;
}

/** Counters for tests and the benchmark. */
export interface CoordinatorStats {
  flushes: number;
  chainTransactions: number;
  chainOps: number;
  deploys: number;
  updates: number;
  cancels: number;
  nodeCalls: number;
}

export interface Coordinator {
  apply(req: ApplyRequest): Promise<ApplyResult>;
  read(node: number, group: string, contractId: number, name: string): Promise<ReadResult>;
  /** The node's current deployment for a group (from cache or node), undefined when none. */
  current(node: number, group: string, contractId?: number): Promise<WireDeployment | undefined>;
  readonly stats: CoordinatorStats;
  close(): void;
}

const FINAL_STATES = new Set(['ok', 'error', 'unchanged', 'paused', 'deleted']);

/** Metadata that identifies a group's deployment on a node (it is hashed, so groups never collide). */
export function groupMetadata(group: string): string {
  return JSON.stringify({ version: 3, type: 'pulumi-tfgrid', name: group, projectName: 'pulumi-tfgrid' });
}

function groupOf(d: WireDeployment): string | undefined {
  try {
    const m = JSON.parse(d.metadata) as { type?: string; name?: string };
    return m.type === 'pulumi-tfgrid' ? m.name : undefined;
  } catch {
    return undefined;
  }
}

/** Node texts that mean "someone else moved the version" (zos-protocol.md §3.4). */
export function isVersionConflict(text: string): boolean {
  return /expecting deployment version \d+, got \d+|invalid version number for workload/.test(text);
}

function sameWorkload(a: WireWorkload, b: WorkloadSpec): boolean {
  return (
    a.type === b.type &&
    (a.metadata ?? '') === (b.metadata ?? '') &&
    (a.description ?? '') === (b.description ?? '') &&
    stableJson(a.data) === stableJson(b.data)
  );
}

/** JSON with sorted object keys, for comparing workload data. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

interface Pending {
  req: ApplyRequest;
  resolve: (r: ApplyResult) => void;
  reject: (e: unknown) => void;
  attempts: number;
}

interface DeploymentState {
  contractId: number;
  version: number;
  workloads: WireWorkload[];
  publicIps: number;
}

/** ZOS's refusal of a name proxy whose name contract is gone or not the owner's (zos-protocol.md §6.5). */
const NAME_CONTRACT_REFUSAL = /^failed to verify name contract: /;

interface Plan {
  key: string;
  node: number;
  group: string;
  api: NodeApi;
  pending: Pending[];
  before?: DeploymentState;
  next?: WireDeployment;
  /** Workloads whose final state we wait for: name → version. */
  touched: Map<string, number>;
  /** Workloads of the deployment this version removes: we wait until the node has dropped them. */
  removed: Set<string>;
  /** Requests for the next flush (the add of a workload this version removes). */
  deferred: Pending[];
  action: 'none' | 'create' | 'update' | 'cancel';
  chainOps: ContractOp[];
  extraOps: { op: ContractOp; owner: Pending }[];
  publicIps: number;
  failed?: unknown;
  /** The chain effects of this plan were undone after a failure (contract cancelled, hash restored, extras cancelled). */
  rolledBack?: boolean;
  /** Requests gave up waiting (their timeouts): re-read the deployment from the node next time. */
  stale?: boolean;
}

function keyOf(node: number, group: string): string {
  return `${node}/${group}`;
}

export function createCoordinator(deps: CoordinatorDeps, opts: CoordinatorOptions = {}): Coordinator {
  const coalesceMs = opts.coalesceMs ?? 150;
  const newGroupMs = opts.newGroupMs ?? Math.max(coalesceMs, 1000);
  const pollMs = opts.pollMs ?? 500;
  const deployTimeoutMs = opts.deployTimeoutMs ?? 5 * 60_000;
  const conflictRetries = opts.conflictRetries ?? 3;
  const stats: CoordinatorStats = { flushes: 0, chainTransactions: 0, chainOps: 0, deploys: 0, updates: 0, cancels: 0, nodeCalls: 0 };
  const cache = new Map<string, DeploymentState>();
  let queue: Pending[] = [];
  let scheduled = false;
  let running: Promise<void> = Promise.resolve();
  let twin: number | undefined;
  let closed = false;

  const twinId = async (): Promise<number> => (twin ??= await deps.chain.twinId());

  async function nodeCall<T>(node: number, what: string, fn: (api: NodeApi) => Promise<T>): Promise<T> {
    stats.nodeCalls++;
    const api = await deps.node(node);
    return fn(api);
  }

  function schedule(): void {
    if (scheduled || closed) return;
    scheduled = true;
    running = running.then(async () => {
      await deps.sleep(coalesceMs);
      // The first workloads of a group fix its contract (public IPs can only be reserved then): wait a little
      // longer for the independent creates Pulumi is still sending, so they land in that first version.
      if (coalesceMs > 0 && newGroupMs > coalesceMs && queue.some((x) => !x.req.contractId && !cache.has(keyOf(x.req.node, x.req.group)))) {
        await deps.sleep(newGroupMs - coalesceMs);
      }
      scheduled = false;
      // coalesceMs 0 turns coalescing off: one request per version bump and chain transaction.
      const batch = coalesceMs === 0 ? queue.splice(0, 1) : queue;
      if (coalesceMs !== 0) queue = [];
      if (batch.length > 0) await flush(batch).catch((err) => batch.forEach((p) => p.reject(err)));
      if (queue.length > 0) schedule();
    });
  }

  async function load(node: number, group: string, contractId: number | undefined): Promise<DeploymentState | undefined> {
    const key = keyOf(node, group);
    const cached = cache.get(key);
    if (cached) return cached;
    let found: WireDeployment | undefined;
    if (contractId) {
      try {
        found = await nodeCall(node, 'get', (api) => api.get(contractId));
      } catch (err) {
        if (!/deployment not found|deployment does not exist/.test(errorText(err))) throw err;
      }
    }
    if (!found) {
      const all = await nodeCall(node, 'list', (api) => api.list());
      found = all.find((d) => groupOf(d) === group);
    }
    if (!found) return undefined;
    const contract = await deps.chain.getContract(found.contract_id);
    if (contract && contract.state === 'deleted') return undefined;
    const state: DeploymentState = {
      contractId: found.contract_id,
      version: found.version,
      workloads: found.workloads.map((w) => ({ ...w })),
      publicIps: contract?.publicIps ?? 0,
    };
    cache.set(key, state);
    return state;
  }

  function deploymentOf(tw: number, group: string, version: number, contractId: number, workloads: WireWorkload[]): WireDeployment {
    return {
      version,
      twin_id: tw,
      contract_id: contractId,
      metadata: groupMetadata(group),
      description: '',
      expiration: 0,
      signature_requirement: {
        requests: [{ twin_id: tw, required: false, weight: 1 }],
        weight_required: 1,
        signatures: [],
        signature_style: '',
      },
      workloads: workloads.map((w) => ({
        version: w.version,
        name: w.name,
        type: w.type,
        data: w.data,
        metadata: w.metadata ?? '',
        description: w.description ?? '',
      })),
    };
  }

  async function plan(tw: number, node: number, group: string, pending: Pending[]): Promise<Plan> {
    const key = keyOf(node, group);
    const api = await deps.node(node);
    const p: Plan = { key, node, group, api, pending, touched: new Map(), removed: new Set(), deferred: [], action: 'none', chainOps: [], extraOps: [], publicIps: 0 };
    const contractId = pending.find((x) => x.req.contractId)?.req.contractId;
    p.before = await load(node, group, contractId);
    if (!p.before && contractId && pending.every((x) => x.req.op.kind === 'remove')) {
      // A contract recorded in state whose deployment never reached the node (a partial create): cancel it.
      const c = await deps.chain.getContract(contractId);
      if (c && c.state !== 'deleted' && c.twinId === tw) {
        p.before = { contractId, version: 0, workloads: [], publicIps: c.publicIps ?? 0 };
        p.action = 'cancel';
        p.chainOps.push({ kind: 'cancel', contractId });
        // the name contracts recorded with it go in the same transaction
        for (const item of pending) for (const extra of item.req.extraChainOps ?? []) p.extraOps.push({ op: extra, owner: item });
        return p;
      }
    }
    const isNew = !p.before;
    const version = isNew ? 0 : p.before!.version + 1;
    const workloads = (p.before?.workloads ?? []).map((w) => ({ ...w }));
    let publicIpsWanted = 0;
    refuseDuplicateNames(p, pending, workloads);
    const removedNow = new Set<string>();
    for (const item of pending.filter((x) => x.attempts >= 0)) {
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
        item.reject(
          new ZosError(`${item.req.label ?? spec.name}: node ${node} deployment ${p.before?.contractId} already has a ${workloads[i].type} named "${spec.name}"`, {
            node,
            fix: 'give the workload another name or use another deployment group',
          }),
        );
        item.attempts = -1;
        continue;
      }
      if (i >= 0 && sameWorkload(workloads[i], spec)) continue;
      const w: WireWorkload = { version, name: spec.name, type: spec.type, data: spec.data, metadata: spec.metadata ?? '', description: spec.description ?? '' };
      if (i >= 0) workloads[i] = w;
      else workloads.push(w);
      p.touched.set(spec.name, version);
    }
    p.pending = pending.filter((x) => x.attempts >= 0 && !p.deferred.includes(x));
    if (p.before) refuseMountedDiskGrowth(p, workloads);
    const changed = isNew ? workloads.length > 0 : workloads.length !== p.before!.workloads.length || p.touched.size > 0;
    if (!changed) return p;
    if (isNew) {
      p.action = 'create';
      p.publicIps = publicIpsWanted;
      p.next = deploymentOf(tw, group, 0, 0, workloads);
      p.chainOps.push({ kind: 'createNode', nodeId: node, hash: deps.codec.hashDeployment(p.next), data: groupMetadata(group), publicIps: publicIpsWanted });
    } else if (workloads.length === 0) {
      p.action = 'cancel';
      p.chainOps.push({ kind: 'cancel', contractId: p.before!.contractId });
    } else {
      const have = p.before!.publicIps;
      const needed = workloads.filter((w) => w.type === 'ip' && (w.data as { v4?: boolean }).v4).length;
      if (needed > have) {
        const err = new ZosError(
          `node ${node} deployment ${p.before!.contractId} (group "${group}") reserved ${have} public IPv4 at creation and needs ${needed}: ` +
            'TFChain cannot add public IPs to an existing node contract',
          { node, contract: p.before!.contractId, fix: 'put the PublicIp and its ZMachine in a new deployment group (the `deployment` input), created together' },
        );
        p.pending.forEach((x) => x.reject(err));
        p.pending = [];
        return p;
      }
      p.action = 'update';
      p.next = deploymentOf(tw, group, version, p.before!.contractId, workloads);
      p.chainOps.push({ kind: 'updateNode', contractId: p.before!.contractId, hash: deps.codec.hashDeployment(p.next), data: groupMetadata(group) });
    }
    return p;
  }

  /**
   * Two creates of one run with the same workload name in one deployment, or a create whose name the deployment
   * already holds: ZOS refuses duplicate names in a deployment, and an upsert would silently merge them into one
   * workload that two resources then own. Refused before any chain transaction, naming both.
   */
  function refuseDuplicateNames(p: Plan, pending: Pending[], workloads: WireWorkload[]): void {
    const removed = new Set(pending.flatMap((x) => (x.req.op.kind === 'remove' ? [x.req.op.name] : [])));
    const creates = new Map<string, Pending[]>();
    for (const x of pending) {
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
      for (const x of items) {
        x.reject(err);
        x.attempts = -1;
      }
    }
  }

  /**
   * ZOS refuses to grow a zmount while a zmachine of the same deployment mounts it (zos-protocol.md §3.5: `unchanged`,
   * "disk is mounted, please delete the VM first"). Say so before paying for a contract update.
   */
  function refuseMountedDiskGrowth(p: Plan, workloads: WireWorkload[]): void {
    for (const [name, version] of [...p.touched]) {
      const now = workloads.find((w) => w.name === name);
      const was = p.before!.workloads.find((w) => w.name === name);
      if (!now || !was || now.type !== 'zmount' || version !== p.before!.version + 1) continue;
      if (Number(now.data.size) <= Number(was.data.size)) continue;
      // the node's own rule (protocol/zos): only an ok or paused zmachine of the stored deployment blocks it
      const current = p.before!.workloads.map((w) => ({ name: w.name, type: w.type, data: w.data, state: w.result?.state ?? 'init' }));
      const verdict = zmount.update.predict({ size: BigInt(Number(was.data.size)) }, { size: BigInt(Number(now.data.size)) }, { name, current });
      if (verdict.outcome !== 'unchanged') continue;
      const mountedBy = current.find(
        (w) => isMachineType(w.type) && (w.state === 'ok' || w.state === 'paused') && ((w.data.mounts as { name: string }[] | undefined) ?? []).some((m) => m.name === name),
      ) ?? { name: '?' };
      const text = verdict.message;
      const err = new ZosError(
        `ZMount "${name}": node ${p.node} deployment ${p.before!.contractId} cannot grow the disk while ZMachine "${mountedBy.name}" mounts it (ZOS: ${text})`,
        { node: p.node, contract: p.before!.contractId, nodeMessage: text, fix: `create a new, larger disk, or remove the mount from "${mountedBy.name}" in one up, grow the disk, then mount it again` },
      );
      for (const item of p.pending) {
        if (item.req.op.kind === 'upsert' && item.req.op.workload.name === name) {
          item.reject(err);
          item.attempts = -1;
          // keep the old disk in the plan
          const i = workloads.findIndex((w) => w.name === name);
          workloads[i] = was;
          p.touched.delete(name);
        }
      }
      p.pending = p.pending.filter((x) => x.attempts >= 0);
    }
  }

  async function submit(ops: ContractOp[]): Promise<number[]> {
    stats.chainTransactions++;
    stats.chainOps += ops.length;
    const res = await deps.chain.submit(ops);
    return res.map((r) => r.contractId);
  }

  /** Sends the chain ops of all plans in one transaction; on failure, retries plan by plan to isolate the culprit. */
  async function submitAll(plans: Plan[]): Promise<void> {
    const active = plans.filter((p) => p.chainOps.length + p.extraOps.length > 0);
    if (active.length === 0) return;
    const opsOf = (p: Plan) => [...p.chainOps, ...p.extraOps.map((e) => e.op)];
    const assign = (p: Plan, ids: number[]) => {
      if (p.action === 'create') p.next!.contract_id = ids[0];
      const extraIds = ids.slice(p.chainOps.length);
      p.extraOps.forEach((e, i) => ((e as { id?: number }).id = extraIds[i]));
    };
    try {
      const ids = await submit(active.flatMap(opsOf));
      let at = 0;
      for (const p of active) {
        const n = opsOf(p).length;
        assign(p, ids.slice(at, at + n));
        at += n;
      }
    } catch (err) {
      if (active.length === 1) {
        active[0].failed = err;
        return;
      }
      for (const p of active) {
        try {
          assign(p, await submit(opsOf(p)));
        } catch (e) {
          p.failed = e;
        }
      }
    }
  }

  function chainFailure(p: Plan, err: unknown): TfgridError {
    const what = p.action === 'create' ? `create node contract on node ${p.node}` : p.action === 'cancel' ? `cancel contract ${p.before?.contractId}` : `update contract ${p.before?.contractId}`;
    return err instanceof ChainError
      ? new ChainError(`deployment group "${p.group}": ${what} failed: ${err.message}`, { ...err.context, node: p.node }, { cause: err })
      : new ChainError(`deployment group "${p.group}": ${what} failed: ${errorText(err)}`, { node: p.node }, { cause: err });
  }

  /** Ids of the contracts the plan's extra ops created (name contracts; all owners, or `owner`'s). */
  function extraIds(p: Plan, owner?: Pending): number[] {
    return p.extraOps
      .filter((e) => e.op.kind === 'createName' && (!owner || e.owner === owner))
      .map((e) => (e as { id?: number }).id ?? 0)
      .filter((id) => id > 0);
  }

  /**
   * The error `item` gets when its plan failed after the chain transaction: unless the plan's effects were undone,
   * it carries the contracts that now exist for it (`partialContractId` for a new deployment's node contract,
   * `partialExtraIds` for its name contracts), so the resource is recorded as partially created and destroy
   * cancels them; nothing is left that no state owns.
   */
  function withLeftovers(p: Plan, item: Pending, err: unknown): unknown {
    if (p.rolledBack || err instanceof ConflictError) return err;
    const node = p.action === 'create' && p.next && p.next.contract_id > 0 ? p.next.contract_id : undefined;
    const extras = extraIds(p, item);
    if (!node && extras.length === 0) return err;
    const ctx = err instanceof TfgridError ? err.context : {};
    const Kind = err instanceof TfgridError ? (err.constructor as typeof TfgridError) : RmbError;
    const kept = [node ? `node contract ${node}` : '', extras.length ? `name contract ${extras.join(', ')}` : ''].filter(Boolean).join(' and ');
    return new Kind(`${errorText(err)}; ${kept} recorded so destroy cancels ${node && extras.length ? 'them' : 'it'}`, { ...ctx, ...(node ? { partialContractId: node } : {}), partialExtraIds: extras }, { cause: err });
  }

  async function sendToNode(p: Plan): Promise<void> {
    const d = deps.codec.signDeployment(p.next!);
    try {
      stats.nodeCalls++;
      if (p.action === 'create') {
        stats.deploys++;
        await p.api.deploy(d);
      } else {
        stats.updates++;
        await p.api.update(d);
      }
    } catch (err) {
      const text = err instanceof ZosError && err.context.nodeMessage ? err.context.nodeMessage : errorText(err);
      if (p.action === 'update' && isVersionConflict(text)) throw new ConflictError(text, { node: p.node, contract: p.before!.contractId }, { cause: err });
      const contract = p.next!.contract_id;
      // The extra contracts of the same transaction (name contracts) go with it: none is left owned by no state.
      const extras = extraIds(p);
      const extrasText = extras.length > 0 ? ` and name ${extras.length === 1 ? 'contract' : 'contracts'} ${extras.join(', ')}` : '';
      if (p.action === 'create') {
        try {
          await submit([{ kind: 'cancel', contractId: contract }, ...extras.map((id) => ({ kind: 'cancel' as const, contractId: id }))]);
          p.rolledBack = true;
        } catch (cancelErr) {
          const rollback = `cancelling it${extrasText} failed too (${errorText(cancelErr)})`;
          throw new ZosError(`node ${p.node}: node contract ${contract} created, deploy failed (${text}); ${rollback}`, { node: p.node, contract, nodeMessage: text }, { cause: err });
        }
        throw new ZosError(`node ${p.node}: node contract ${contract} created, deploy failed (${text}); contract cancelled${extrasText ? `,${extrasText.slice(4)} too` : ''}`, { node: p.node, contract, nodeMessage: text }, { cause: err });
      }
      // The contract already carries the new hash: put the old one back so the running deployment stays valid.
      try {
        const old = deploymentOf(p.next!.twin_id, p.group, p.before!.version, contract, p.before!.workloads);
        await submit([{ kind: 'updateNode', contractId: contract, hash: deps.codec.hashDeployment(old), data: groupMetadata(p.group) }, ...extras.map((id) => ({ kind: 'cancel' as const, contractId: id }))]);
        p.rolledBack = true;
      } catch {
        cache.delete(p.key);
      }
      throw new ZosError(`node ${p.node} rejected deployment ${contract} v${p.next!.version}: ${text}${p.rolledBack && extrasText ? `; cancelled${extrasText.slice(4)}` : ''}`, { node: p.node, contract, version: p.next!.version, nodeMessage: text }, { cause: err });
    }
  }

  /**
   * Waits until every touched workload has a final state at its target version, and every removed one is gone from
   * the node; returns the touched ones by name. ZOS drops a removed workload only when the update's job has run
   * (zos-protocol.md §3.4), after the reply: until then the next version would see it, and an add of the same name
   * would be an update (refused for zmachines), so a removal is only done once `get` no longer shows it.
   */
  async function waitFinal(p: Plan): Promise<Map<string, WireWorkload>> {
    const out = new Map<string, WireWorkload>();
    const gone = new Set<string>();
    if (p.touched.size === 0 && p.removed.size === 0) return out;
    const started = deps.clock.now();
    const contract = p.next!.contract_id;
    /** Requests that ran out of time (rejected on their own, with their leftovers); the others keep waiting. */
    const expired = new Set<Pending>();
    for (;;) {
      stats.nodeCalls++;
      const d = await p.api.get(contract);
      for (const [name, version] of p.touched) {
        if (out.has(name)) continue;
        const w = d.workloads.find((x) => x.name === name);
        if (w && w.version === version && w.result && FINAL_STATES.has(w.result.state)) out.set(name, w);
        else if (w && w.version < version && p.action === 'update') {
          // An update the node refused leaves the old workload visible in `get`; the refusal (`unchanged`,
          // or `error`) is only in the transaction log (zos-protocol.md §1.3).
          stats.nodeCalls++;
          const log = await p.api.changes(contract);
          const last = log.filter((x) => x.name === name && x.version === version && x.result && x.result.state !== 'init').pop();
          if (last) out.set(name, last);
        }
      }
      for (const name of p.removed) {
        const w = d.workloads.find((x) => x.name === name);
        if (!w || w.result?.state === 'deleted') gone.add(name);
        else if (d.version >= p.next!.version && removalFailed(p, w)) {
          throw new ZosError(`node ${p.node} deployment ${contract} v${p.next!.version}: removing workload "${name}" failed: ${w.result?.message ?? ''}`, {
            node: p.node,
            contract,
            version: p.next!.version,
            nodeMessage: w.result?.message ?? '',
          });
        }
      }
      const open = [...p.touched.keys()].filter((n) => !out.has(n)).map((n) => ({ name: n, removal: false }));
      const openRemovals = [...p.removed].filter((n) => !gone.has(n)).map((n) => ({ name: n, removal: true }));
      const waiting = [...open, ...openRemovals].filter((x) => !expired.has(ownerOf(p, x)!));
      if (waiting.length === 0) {
        const removed = [...p.removed].map((n) => `"${n}" removed`);
        deps.progress.done(`node ${p.node} deployment ${contract}: v${p.next!.version} applied (${[...[...out.values()].map((w) => `${w.type} "${w.name}" ${w.result?.state}`), ...removed].join(', ')})`);
        return out;
      }
      const elapsed = deps.clock.now() - started;
      const text = (x: { name: string; removal: boolean }) => (x.removal ? `"${x.name}" (removal)` : `"${x.name}" (${stateText(d.workloads.find((w) => w.name === x.name))})`);
      // For a person waiting: each resource, what it waits for, how long so far and its limit.
      const said = waiting.map((x) => {
        const item = ownerOf(p, x);
        const what = x.removal ? 'the node to remove it' : (item?.req.waitingFor ?? 'the node to provision it');
        return `${item?.req.label ?? `workload "${x.name}"`} waits for ${what} (${stateText(d.workloads.find((w) => w.name === x.name))}), ${Math.round(elapsed / 1000)}s of ${Math.round(limitOf(item) / 1000)}s`;
      });
      deps.progress.update(`node ${p.node} deployment ${contract}: ${said.join('; ')}`);
      // Each request has its own limit (its resource's timeout): the ones past it fail alone, the others wait on.
      const late = waiting.filter((x) => elapsed >= limitOf(ownerOf(p, x)));
      for (const owner of new Set(late.map((x) => ownerOf(p, x)))) {
        const err = timeoutError(p, owner, late.filter((x) => ownerOf(p, x) === owner).map(text), d);
        if (!owner) throw err;
        expired.add(owner);
        owner.reject(withLeftovers(p, owner, err));
      }
      if (waiting.every((x) => expired.has(ownerOf(p, x)!))) {
        // Every request still waiting failed on its own timeout; the node's view of the group is unknown now.
        p.stale = true;
        return out;
      }
      await deps.sleep(pollMs);
    }
  }

  /** The request a waited-for workload (or removal) belongs to. */
  function ownerOf(p: Plan, x: { name: string; removal: boolean }): Pending | undefined {
    return p.pending.find((item) => (x.removal ? item.req.op.kind === 'remove' && item.req.op.name === x.name : item.req.op.kind === 'upsert' && item.req.op.workload.name === x.name));
  }

  function limitOf(item: Pending | undefined): number {
    return item?.req.timeoutMs ?? deployTimeoutMs;
  }

  /** `init: <message>` or `no result yet`: what the node says of a workload it is still working on. */
  function stateText(w: WireWorkload | undefined): string {
    if (!w?.result) return 'no result yet';
    return w.result.message ? `${w.result.state}: ${w.result.message}` : w.result.state;
  }

  /** The expiry error of `item`: its resource, its limit and where that comes from, what the node still shows, the fix. */
  function timeoutError(p: Plan, item: Pending | undefined, waiting: string[], d: WireDeployment | undefined): RmbError {
    const contract = p.next!.contract_id;
    const limit = limitOf(item);
    const source = item?.req.timeoutSource ?? 'tfgrid:deployTimeout';
    const who = item?.req.label ? `${item.req.label}: ` : '';
    const op = source.startsWith('timeout.') ? source.slice('timeout.'.length) : p.action === 'create' ? 'create' : 'update';
    return new RmbError(
      `${who}node ${p.node} deployment ${contract} v${d?.version ?? p.next!.version}: workloads ${waiting.join(', ')} not done after ${Math.round(limit / 1000)}s (${source})`,
      {
        node: p.node,
        contract,
        path: source,
        fix: `give the resource a longer timeout (timeout: { ${op}: "20m" }) or raise tfgrid:deployTimeout; see what the node has: \`tfgrid zos deployment get --node ${p.node} --contract ${contract}\``,
      },
    );
  }

  /** A removed workload the node kept with a new `error` result: its deprovision failed (the node keeps it active). */
  function removalFailed(p: Plan, w: WireWorkload): boolean {
    if (w.result?.state !== 'error') return false;
    if (NAME_CONTRACT_REFUSAL.test(w.result.message ?? '') && cancelsNameContractOf(p, w.name)) {
      // The same transaction cancelled its name contract: the gateway may notice that before its job removes the
      // workload (zosbase's name contract check), and flags it on the way out. The removal goes on.
      return false;
    }
    const was = p.before?.workloads.find((x) => x.name === w.name)?.result;
    return !was || was.state !== 'error' || was.created !== w.result.created || was.message !== w.result.message;
  }

  /** True when this plan's chain transaction also cancels a contract for the request that removes `name`. */
  function cancelsNameContractOf(p: Plan, name: string): boolean {
    return p.extraOps.some((e) => e.op.kind === 'cancel' && e.owner.req.op.kind === 'remove' && e.owner.req.op.name === name);
  }

  /**
   * After a cancel: waits until the node has deprovisioned the deployment (it reacts to the chain's event), so what
   * comes next (a replacement on the same IP, memory the old machines still hold) finds it gone. The contract is
   * already cancelled: a node that does not answer, or is slow, only ends the wait (logged), never fails the delete.
   */
  async function waitCancelled(p: Plan): Promise<void> {
    const contract = p.before!.contractId;
    const deadline = deps.clock.now() + Math.max(...p.pending.map(limitOf));
    for (;;) {
      let d: WireDeployment;
      try {
        stats.nodeCalls++;
        d = await p.api.get(contract);
      } catch (err) {
        if (!/deployment not found|deployment does not exist/.test(errorText(err))) deps.log.info('not waiting for the node to remove a cancelled deployment', { node: p.node, contract, message: errorText(err) });
        return;
      }
      if (d.workloads.every((w) => w.result?.state === 'deleted')) return;
      if (deps.clock.now() >= deadline) {
        deps.log.warn('node still has a cancelled deployment', { node: p.node, contract, workloads: d.workloads.map((w) => w.name).join(',') });
        return;
      }
      deps.progress.update(`node ${p.node} deployment ${contract}: cancelled, waiting for the node to remove it`);
      await deps.sleep(pollMs);
    }
  }

  function settle(p: Plan, tw: number, finals: Map<string, WireWorkload>): void {
    const contractId = p.action === 'cancel' ? 0 : p.next?.contract_id ?? p.before?.contractId ?? 0;
    const version = p.next?.version ?? p.before?.version ?? 0;
    if (p.action === 'cancel') cache.delete(p.key);
    else if (p.next) {
      const prevIps = p.before?.publicIps ?? p.publicIps;
      cache.set(p.key, { contractId, version, workloads: p.next.workloads.map((w) => ({ ...w, result: finals.get(w.name)?.result ?? p.before?.workloads.find((x) => x.name === w.name)?.result })), publicIps: prevIps });
      // A refused update leaves the node with the old workload (and the contract with our hash): re-read next time.
      if ([...finals.values()].some((w) => w.result?.state === 'unchanged')) cache.delete(p.key);
    }
    for (const item of p.pending) {
      const extraContractIds = p.extraOps.filter((e) => e.owner === item).map((e) => (e as { id?: number }).id ?? 0);
      const op = item.req.op;
      const base = { twinId: tw, node: p.node, group: p.group, contractId, version, extraContractIds };
      if (op.kind === 'remove') {
        item.resolve(base);
        continue;
      }
      const name = op.workload.name;
      const w = finals.get(name) ?? cache.get(p.key)?.workloads.find((x) => x.name === name);
      const state = w?.result?.state;
      if (state === 'error' || state === 'unchanged') {
        const text = w?.result?.message ?? '';
        item.reject(
          new ZosError(`${item.req.label ?? name}: node ${p.node} deployment ${contractId} v${version}: workload "${name}" is in state ${state}: ${text}`, {
            node: p.node,
            contract: contractId,
            version,
            nodeMessage: text,
            workloadState: state,
            extraContractIds,
          }),
        );
        continue;
      }
      item.resolve({ ...base, workload: w });
    }
  }

  async function flushPlan(tw: number, p: Plan): Promise<void> {
    if (p.failed) {
      cache.delete(p.key);
      const err = chainFailure(p, p.failed);
      p.pending.forEach((x) => x.reject(err));
      return;
    }
    try {
      if (p.action === 'create' || p.action === 'update') await sendToNode(p);
      if (p.action === 'cancel') {
        stats.cancels++;
        await waitCancelled(p);
      }
      const finals = p.action === 'create' || p.action === 'update' ? await waitFinal(p) : new Map<string, WireWorkload>();
      settle(p, tw, finals);
      if (p.stale) cache.delete(p.key);
    } catch (err) {
      cache.delete(p.key);
      if (err instanceof ConflictError) {
        deps.log.info('version conflict, re-reading deployment', { node: p.node, group: p.group, message: err.message });
        for (const item of p.pending) {
          if (item.attempts++ < conflictRetries) queue.push(item);
          else item.reject(err);
        }
        schedule();
        return;
      }
      p.pending.forEach((x) => x.reject(withLeftovers(p, x, err)));
    }
  }

  async function flush(batch: Pending[]): Promise<void> {
    stats.flushes++;
    const tw = await twinId();
    const byKey = new Map<string, Pending[]>();
    for (const item of batch) {
      const k = keyOf(item.req.node, item.req.group);
      byKey.set(k, [...(byKey.get(k) ?? []), item]);
    }
    const plans: Plan[] = [];
    await Promise.all(
      [...byKey.values()].map(async (items) => {
        try {
          plans.push(await plan(tw, items[0].req.node, items[0].req.group, items));
        } catch (err) {
          const e = err instanceof TfgridError ? err : new RmbError(`node ${items[0].req.node}: reading deployment group "${items[0].req.group}" failed: ${errorText(err)}`, { node: items[0].req.node }, { cause: err });
          items.forEach((x) => x.reject(e));
        }
      }),
    );
    await submitAll(plans);
    await Promise.all(plans.map((p) => flushPlan(tw, p)));
    // after this flush's removals are gone from the nodes (flushPlan waited for them)
    queue.push(...plans.flatMap((p) => p.deferred));
  }

  return {
    stats,
    apply(req) {
      return new Promise<ApplyResult>((resolve, reject) => {
        queue.push({ req, resolve, reject, attempts: 0 });
        schedule();
      });
    },
    async current(node, group, contractId) {
      const s = await load(node, group, contractId);
      if (!s) return undefined;
      return deploymentOf(await twinId(), group, s.version, s.contractId, s.workloads);
    },
    async read(node, group, contractId, name) {
      try {
        const contract = await deps.chain.getContract(contractId);
        if (!contract || contract.state === 'deleted') return { status: 'gone', contractId, message: `contract ${contractId} is not active on the chain` };
        let d: WireDeployment;
        try {
          d = await nodeCall(node, 'get', (api) => api.get(contractId));
        } catch (err) {
          const text = errorText(err);
          if (/deployment not found|deployment does not exist/.test(text)) return { status: 'gone', contractId, message: text };
          return { status: 'unreachable', contractId, message: `node ${node}: ${text}` };
        }
        cache.delete(keyOf(node, group));
        const w = d.workloads.find((x) => x.name === name);
        if (!w) return { status: 'gone', contractId, version: d.version, message: `workload "${name}" is not in deployment ${contractId}` };
        const state = w.result?.state ?? 'init';
        const status = contract.state === 'grace' || state === 'paused' ? 'paused' : state === 'ok' ? 'ok' : state === 'error' ? 'error' : 'init';
        return { status, contractId, version: d.version, workload: w, message: w.result?.message };
      } catch (err) {
        return { status: 'unreachable', contractId, message: errorText(err) };
      }
    },
    close() {
      closed = true;
    },
  };
}
