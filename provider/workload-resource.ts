/**
 * What every single-workload resource shares (DESIGN.md §4, zos-protocol.md §3.5, pulumi-notes.md §2.1, §2.5):
 * the common inputs (node, deployment group, workload name, description, adopt), `check` with field paths,
 * `diff` by the ZOS update rules (replace where ZOS cannot update in place, delete-before-replace when the
 * new workload would collide with the old one), and thin CRUD that hands off to the deployment coordinator.
 * A resource file (`provider/resources/<type>.ts`) only declares a `ResourceKind`.
 *
 * Pulumi state written here: add fields, never rename.
 * @module
 */
import { z } from 'zod';
import { TfgridError, ZosError, errorText } from '../protocol/common/errors';
import { previousInputs, withCheckedInputs } from './checked-inputs';
import type { ApplyResult } from './deployment-coordinator';
import { stableJson } from './deployment-coordinator';
import type { ContractOp, WorkloadJson } from './deps';
import { groupSchema, nodeIdSchema, validateInputs, workloadNameSchema, containsUnknown, type CheckFailure } from './inputs';
import { warnOnce } from './notices';
import { getRuntime, type ProviderRuntime } from './runtime';
import { kindOf, type WorkloadDataOf, type WorkloadType } from '../protocol/zos/types';
import { timeoutMsFor, timeoutSchema, timeoutSource, type TimeoutInput, type TimeoutOp } from './timeouts';
import { accountOf, accountSchema, sameAccount, type AccountInput } from './account';

/** Inputs every workload resource has. */
export const commonInputShape = {
  /** Node id the workload runs on. */
  node: nodeIdSchema,
  /** Deployment group: workloads of one group on one node share one deployment (one contract). */
  deployment: groupSchema,
  /** ZOS workload name, unique in the deployment. */
  name: workloadNameSchema,
  description: z.string().max(256).default(''),
  /** Take over an existing deployment (contract id) instead of creating a new one: `pulumi import` cannot work for dynamic providers. */
  adoptContractId: z.number().int().positive().optional(),
  /** How long create/update/delete wait for the node (Pulumi's customTimeouts never reach a dynamic provider). */
  timeout: timeoutSchema,
  /** The twin and network it deploys with (provider/account.ts); default the stack config's. */
  account: accountSchema,
};

export interface CommonInputs {
  node: number;
  deployment: string;
  name: string;
  description: string;
  adoptContractId?: number;
  timeout?: TimeoutInput;
  account?: AccountInput;
}

/** Outputs every workload resource has, next to its inputs. */
export interface CommonOutputs {
  twinId: number;
  contractId: number;
  version: number;
  /** Workload state on the node: ok, error, paused, init, gone or unreachable (after a refresh). */
  state: string;
  /** The node's text for the state, verbatim. */
  message: string;
  /** `<twin>-<contract>-<name>`, the id ZOS names every node-side resource with. */
  workloadId: string;
}

export type Outputs<I> = I & CommonOutputs & Record<string, unknown>;

export interface PrepareContext {
  runtime: ProviderRuntime;
  /** Previous outputs on update (carry allocations and generated secrets forward). */
  olds?: Record<string, unknown>;
}

/**
 * One workload type as a Pulumi resource. `T` is its wire type (or types: `zmachine` becomes `zmachine-light` on a
 * light node); `toWire` returns that type's data as protocol/zos declares it (`WorkloadDataOf<T>`, from the zod
 * schema in `protocol/zos/types/<type>.ts`), so a field the protocol adds fails the build in the resource's mapping.
 */
export interface ResourceKind<I extends CommonInputs, T extends WorkloadType = WorkloadType> {
  /** Pulumi type name, e.g. `ZMount`. */
  typeName: string;
  /** Wire type, e.g. `zmount`. */
  workloadType: T;
  /** The wire type when it depends on the node (`zmachine-light` on a light node): from what `prepare` found. */
  wireType?(prepared: Record<string, unknown>): T;
  /** Input keys that were only outputs in state written before `__inputs` (see `previousInputs`). */
  outputsBefore?: string[];
  description: string;
  inputs: z.ZodType<I, z.ZodTypeDef, unknown>;
  /** Output names besides inputs and CommonOutputs, with descriptions (for schema.json). */
  outputDocs: Record<string, { type: 'string' | 'integer' | 'boolean' | 'array' | 'object'; description: string; secret?: boolean }>;
  /** Input keys whose change forces a replacement even for updatable types. */
  replaceOn?: string[];
  /** The new workload must free something first (a domain, a public IP): always delete before replace. */
  alwaysDeleteBeforeReplace?: boolean;
  /** Refusals that depend on the previous inputs (shrink), as check failures. */
  checkTransition?(olds: I, news: I, resource: string): CheckFailure[];
  /**
   * Checks against the live grid for a new resource, run in `check` (so preview shows them) when the inputs are
   * known; best effort: an unreachable grid never fails the check.
   */
  liveCheck?(inputs: I, runtime: ProviderRuntime): Promise<CheckFailure[]>;
  /**
   * The live checks that need only some inputs, run instead of `liveCheck` while others are unknown: a first
   * preview, where the node comes from a resource not created yet (a RentContract's node). Raw inputs; best effort.
   */
  liveCheckPartial?(inputs: Record<string, unknown>): Promise<CheckFailure[]>;
  /**
   * The same for a change of an existing resource (`olds` its previous inputs): refusals the node would only give at
   * `up` and that depend on the live deployment (a disk a running machine mounts). Best effort, like `liveCheck`.
   */
  liveCheckUpdate?(olds: I, news: I, runtime: ProviderRuntime): Promise<CheckFailure[]>;
  /** What the node does before the workload is ok, for progress lines while the provider waits. */
  waitingFor?(inputs: I): string;
  /** Async checks and allocations; the returned fields are stored in outputs (kept across updates). */
  prepare?(inputs: I, ctx: PrepareContext): Promise<Record<string, unknown>>;
  /**
   * A create the node refused, rolled back, that a fresh `prepare` can fix: a private IP another provider process
   * (another stack of the twin) took a moment earlier. Retried up to `CREATE_ATTEMPTS` times.
   */
  retryCreate?(err: unknown, inputs: I): boolean;
  /** Release what `prepare` reserved (delete, failed create). */
  release?(outputs: Record<string, unknown>, runtime: ProviderRuntime): void;
  /** Wire `data` of the workload, typed by the protocol (sizes bigint; `wireData` makes it the coordinator's JSON). */
  toWire(inputs: I, prepared: Record<string, unknown>): WorkloadDataOf<T>;
  /** Public IPv4 addresses the contract must reserve for this workload. */
  publicIps?(inputs: I): number;
  /** Contract operations for the same chain transaction (create) and (delete). */
  chainOpsOnCreate?(inputs: I, prepared: Record<string, unknown>, runtime: ProviderRuntime): Promise<ContractOp[]>;
  chainOpsOnDelete?(outputs: Record<string, unknown>, runtime: ProviderRuntime): ContractOp[] | Promise<ContractOp[]>;
  /** Record ids of contracts created by `chainOpsOnCreate`. */
  afterCreateOps?(ids: number[]): Record<string, unknown>;
  /**
   * Drift on the grid that the node cannot repair and only a replacement can (a name contract cancelled out of
   * band): the input keys to report as replaced, [] when there is none. Run in `diff` when the inputs did not
   * change; best effort: an unreachable grid reports none.
   */
  driftReplaces?(olds: Record<string, unknown>, runtime: ProviderRuntime): Promise<string[]>;
  /** Outputs from the node's result data. */
  resultOutputs(data: unknown, inputs: I, prepared: Record<string, unknown>): Record<string, unknown>;
  /**
   * The part of the checked inputs `diff` compares, when not all of it: an input that only feeds a preview-time
   * check (the network's node list a machine must be on) or a legacy shape of an input is mapped here, so that
   * old and new inputs compare by what the workload actually uses. Applied to both sides; pure.
   */
  compareView?(inputs: Record<string, unknown>): Record<string, unknown>;
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** Can ZOS update this type in place (zos-protocol.md §3.5)? The protocol's update rule says. */
export function isUpdatable(type: WorkloadType): boolean {
  return kindOf(type).update.supported;
}

/**
 * Keys of CommonInputs that pin the workload's place: changing them moves it to another deployment (the account:
 * another twin's deployment and contract).
 */
const PLACEMENT = ['node', 'deployment', 'name', 'account'];
/** Inputs only the provider uses (never the workload): a change is an update of the state, never a replacement. */
const PROVIDER_ONLY = ['timeout', 'flistChecksum'];

/** A resource name for messages; the workload name is the best one available inside the provider. */
function label(kind: { typeName: string }, inputs: { name?: unknown }): string {
  return `${kind.typeName} "${String(inputs.name ?? '?')}"`;
}

export function inputKeys(kind: ResourceKind<CommonInputs>): string[] {
  return Object.keys(objectShape(kind.inputs) ?? {});
}

/** The object shape under any number of `.refine()` / `.superRefine()` wrappers. */
export function objectShape(schema: unknown): Record<string, z.ZodTypeAny> | undefined {
  let cur = schema as { shape?: Record<string, z.ZodTypeAny>; _def?: { schema?: unknown } } | undefined;
  while (cur) {
    if (cur.shape) return cur.shape;
    cur = cur._def?.schema as typeof cur;
  }
  return undefined;
}

/** check: validate and default inputs, refuse transitions ZOS refuses (shrinks). */
export function checkWorkload<I extends CommonInputs>(
  kind: ResourceKind<I>,
  olds: Record<string, unknown> | undefined,
  news: Record<string, unknown>,
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const { __provider: provider, ...raw } = news;
  const { value, failures } = validateInputs(kind.inputs, raw, kind.typeName, String(raw.name ?? '?'));
  if (failures.length > 0 || !value) return { inputs: news, failures };
  if (olds && kind.checkTransition && Object.keys(olds).length > 0 && !containsUnknown(value)) {
    const prev = kind.inputs.safeParse(stripOutputs(kind, previousInputs(olds, inputKeys(kind as unknown as ResourceKind<CommonInputs>), kind.outputsBefore).inputs));
    if (prev.success) failures.push(...kind.checkTransition(prev.data as I, value as I, label(kind, value as I)));
  }
  const inputs: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (provider !== undefined) inputs.__provider = provider;
  return { inputs, failures };
}

function stripOutputs<I extends CommonInputs>(kind: ResourceKind<I>, props: Record<string, unknown>): Record<string, unknown> {
  const keys = inputKeys(kind as unknown as ResourceKind<CommonInputs>);
  const out: Record<string, unknown> = {};
  for (const k of keys) if (props[k] !== undefined) out[k] = props[k];
  return out;
}

/** The kind's live check for a new resource, bounded by `timeoutMs`; failures of the grid itself are ignored. */
export async function liveCheckWorkload<I extends CommonInputs>(kind: ResourceKind<I>, inputs: Record<string, unknown>, timeoutMs = 10_000): Promise<CheckFailure[]> {
  if (!kind.liveCheck) return [];
  const partial = containsUnknown(inputs);
  if (partial && !kind.liveCheckPartial) return [];
  const parsed = partial ? undefined : kind.inputs.safeParse(stripOutputs(kind, inputs));
  if (parsed && !parsed.success) return [];
  let timer: NodeJS.Timeout | undefined;
  // Not checked is said (provider/notices.ts), never silent: the preview's output shows what it could not ask.
  const what = `${parsed ? label(kind, parsed.data) : `${kind.typeName} "${String(inputs.name)}"`}: the preview could not make its ${kind.typeName} checks against the grid`;
  try {
    const run = parsed ? (async () => kind.liveCheck!(parsed.data, await getRuntime(parsed.data.account)))() : kind.liveCheckPartial!(inputs);
    const timeout = new Promise<CheckFailure[]>((resolve) => (timer = setTimeout(() => (warnOnce(`${what} (no answer within ${timeoutMs / 1000}s)`), resolve([])), timeoutMs)));
    return await Promise.race([run, timeout]);
  } catch (err) {
    warnOnce(`${what}: ${errorText(err)}`);
    return [];
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** The kind's live check of a change (`olds` the previous inputs), bounded like `liveCheckWorkload`. */
export async function liveCheckUpdateWorkload<I extends CommonInputs>(
  kind: ResourceKind<I>,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  timeoutMs = 10_000,
): Promise<CheckFailure[]> {
  if (!kind.liveCheckUpdate || containsUnknown(news)) return [];
  const before = kind.inputs.safeParse(stripOutputs(kind, olds));
  const after = kind.inputs.safeParse(stripOutputs(kind, news));
  if (!before.success || !after.success) return [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = (async () => kind.liveCheckUpdate!(before.data, after.data, await getRuntime(after.data.account)))();
    const timeout = new Promise<CheckFailure[]>((resolve) => (timer = setTimeout(() => resolve([]), timeoutMs)));
    return await Promise.race([run, timeout]);
  } catch {
    return [];
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Inputs with the schema's default for every key that is absent: an omitted optional input and its default are
 * the same input (a preview whose inputs hold unknowns skips the parse that would fill them, and state written
 * before a defaulted input existed lacks it).
 */
export function withDefaults(shape: Record<string, z.ZodTypeAny>, inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...inputs };
  for (const [k, schema] of Object.entries(shape)) {
    if (out[k] !== undefined) continue;
    const d = schema.safeParse(undefined);
    if (d.success && d.data !== undefined) out[k] = d.data;
  }
  return out;
}

/**
 * diff by ZOS update rules. `olds` are the previous outputs: the inputs compared are the checked inputs recorded
 * in them (`__inputs`, provider/checked-inputs.ts), never an output. `news` are the new checked inputs; an
 * unknown value in them (preview) differs from every known one, so the diff reports the possible change.
 */
export function diffWorkload<I extends CommonInputs>(kind: ResourceKind<I>, olds: Record<string, unknown>, news: Record<string, unknown>): DiffResult {
  const keys = inputKeys(kind as unknown as ResourceKind<CommonInputs>);
  const shape = objectShape(kind.inputs) ?? {};
  const view = (i: Record<string, unknown>) => (kind.compareView ? kind.compareView(withDefaults(shape, i)) : withDefaults(shape, i));
  const before = view(previousInputs(olds, keys, kind.outputsBefore).inputs);
  const after = view(news);
  const same = (k: string) => (k === 'account' ? sameAccount(before[k], after[k]) : stableJson(before[k] ?? null) === stableJson(after[k] ?? null));
  const changed = keys.filter((k) => k !== 'adoptContractId' && !same(k));
  if (changed.length === 0) return { changes: false, replaces: [], deleteBeforeReplace: false };
  const forcing = new Set([...PLACEMENT, ...(kind.replaceOn ?? [])]);
  const replaces = (isUpdatable(kind.workloadType) ? changed.filter((k) => forcing.has(k)) : changed).filter((k) => !PROVIDER_ONLY.includes(k));
  const moved = changed.some((k) => PLACEMENT.includes(k));
  return { changes: true, replaces, deleteBeforeReplace: replaces.length > 0 && (kind.alwaysDeleteBeforeReplace === true || !moved) };
}

/** `diffWorkload`, then, when nothing forces a replacement, the kind's `driftReplaces` against the live grid. */
export async function diffWorkloadLive<I extends CommonInputs>(kind: ResourceKind<I>, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
  const d = diffWorkload(kind, olds, news);
  if (d.replaces.length > 0 || !kind.driftReplaces || containsUnknown(news)) return d;
  let drift: string[];
  try {
    drift = await kind.driftReplaces(olds, await getRuntime(recordedAccount(olds)));
  } catch {
    drift = []; // an unreachable grid is no drift: diff never fails on it
  }
  return drift.length > 0 ? { changes: true, replaces: drift, deleteBeforeReplace: true } : d;
}

/** A failure Pulumi records as a partially created resource (pulumi-notes.md §2.5), so destroy can clean it. */
export class PartialCreateError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function resourceId(inputs: CommonInputs): string {
  return `${inputs.node}/${inputs.deployment}/${inputs.name}`;
}

/** Pure: the outputs of a created or updated workload (its inputs, allocations, result, and `__inputs`). */
export function workloadOutputs<I extends CommonInputs>(
  kind: ResourceKind<I>,
  inputs: I,
  prepared: Record<string, unknown>,
  res: Pick<ApplyResult, 'twinId' | 'contractId' | 'version' | 'workload'>,
): Outputs<I> {
  const w: WorkloadJson | undefined = res.workload;
  return withCheckedInputs(
    {
      ...inputs,
      ...prepared,
      ...kind.resultOutputs(w?.result?.data ?? null, inputs, prepared),
      twinId: res.twinId,
      contractId: res.contractId,
      version: w?.version ?? res.version,
      state: w?.result?.state ?? 'init',
      message: w?.result?.message ?? '',
      workloadId: `${res.twinId}-${res.contractId}-${inputs.name}`,
    } as Outputs<I>,
    inputs as Record<string, unknown>,
  );
}

function parseInputs<I extends CommonInputs>(kind: ResourceKind<I>, raw: Record<string, unknown>): I {
  const { __provider: _p, ...rest } = raw;
  void _p;
  const r = kind.inputs.safeParse(stripOutputs(kind, rest));
  if (!r.success) {
    const { failures } = validateInputs(kind.inputs, rest, kind.typeName, String(rest.name ?? '?'));
    throw new TfgridError(failures.map((f) => f.reason).join('; ') || `${kind.typeName}: invalid inputs`);
  }
  return r.data;
}

/** The coordinator's wait limit for `op` of a resource, and where it comes from (for the expiry message). */
export function waitLimit(timeout: unknown, op: TimeoutOp, runtime: ProviderRuntime): { timeoutMs: number; timeoutSource: string } {
  return { timeoutMs: timeoutMsFor(timeout, op, runtime.config.deployTimeout), timeoutSource: timeoutSource(timeout, op) };
}

/** The contracts a create's extra ops made (name contracts), as the coordinator reports them on a workload in error. */
function extrasIn(err: ZosError): number[] {
  return ((err.context.extraContractIds as number[] | undefined) ?? []).filter((id) => id > 0);
}

/**
 * A workload's typed data as the coordinator's wire JSON (`WorkloadJson.data`, provider/deps.ts): bigints (sizes)
 * become numbers, as in the deployments the nodes return (provider/grid-connection.ts); the provider's size inputs
 * stay below 2^53, so nothing is rounded. Keys whose value is undefined are dropped.
 */
export function wireData(data: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as Record<string, unknown>;
}

/** Attempts of a create the kind's `retryCreate` accepts (the first included). */
const CREATE_ATTEMPTS = 3;

/** create: allocate, add the workload to its group's deployment, wait for ok; roll back on failure. */
export async function createWorkload<I extends CommonInputs>(kind: ResourceKind<I>, raw: Record<string, unknown>): Promise<{ id: string; outs: Outputs<I> }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createOnce(kind, raw);
    } catch (err) {
      // Only a plain refusal was rolled back whole; a partial create is recorded as it is.
      const again = attempt < CREATE_ATTEMPTS && !(err instanceof PartialCreateError) && kind.retryCreate?.(err, parseInputs(kind, raw));
      if (!again) throw err;
      warnOnce(`${label(kind, parseInputs(kind, raw))}: ${errorText(err)}; allocating again (attempt ${attempt + 1} of ${CREATE_ATTEMPTS})`);
    }
  }
}

async function createOnce<I extends CommonInputs>(kind: ResourceKind<I>, raw: Record<string, unknown>): Promise<{ id: string; outs: Outputs<I> }> {
  const inputs = parseInputs(kind, raw);
  const runtime = await getRuntime(inputs.account);
  let prepared = kind.prepare ? await kind.prepare(inputs, { runtime }) : {};
  const extra = kind.chainOpsOnCreate ? await kind.chainOpsOnCreate(inputs, prepared, runtime) : [];
  const spec = { name: inputs.name, type: kind.wireType?.(prepared) ?? kind.workloadType, data: wireData(kind.toWire(inputs, prepared)), description: inputs.description };
  let res: ApplyResult;
  try {
    res = await runtime.coordinator.apply({
      node: inputs.node,
      group: inputs.deployment,
      op: { kind: 'upsert', workload: spec, publicIps: kind.publicIps?.(inputs) ?? 0 },
      contractId: inputs.adoptContractId,
      extraChainOps: extra,
      label: label(kind, inputs),
      create: true,
      ...waitLimit(inputs.timeout, 'create', runtime),
      waitingFor: kind.waitingFor?.(inputs),
    });
  } catch (err) {
    kind.release?.(prepared, runtime);
    // Contracts the failed apply left (its node contract, the name contract of the same transaction): recorded as
    // a partial create, so the state owns them and destroy cancels them.
    const ctx = err instanceof TfgridError ? err.context : {};
    const partial = ctx.partialContractId as number | undefined;
    const leftExtras = (ctx.partialExtraIds as number[] | undefined) ?? [];
    if (partial || leftExtras.length > 0) {
      prepared = { ...prepared, ...(kind.afterCreateOps?.(leftExtras) ?? {}) };
      throw new PartialCreateError(
        errorText(err),
        resourceId(inputs),
        { ...withCheckedInputs(inputs as Record<string, unknown>, inputs as Record<string, unknown>), ...prepared, contractId: partial ?? 0, state: 'error', message: errorText(err) },
        [errorText(err)],
        { cause: err },
      );
    }
    // A workload the node put in `error`: remove it again so no paid contract keeps a broken workload.
    if (err instanceof ZosError && err.context.workloadState) {
      try {
        await runtime.coordinator.apply({
          node: inputs.node,
          group: inputs.deployment,
          op: { kind: 'remove', name: inputs.name },
          contractId: err.context.contract as number,
          extraChainOps: extrasIn(err).map((id) => ({ kind: 'cancel', contractId: id })),
          label: label(kind, inputs),
        });
      } catch (rollbackErr) {
        prepared = { ...prepared, ...(kind.afterCreateOps?.(extrasIn(err)) ?? {}) };
        const msg = `${errorText(err)}; removing it again failed (${errorText(rollbackErr)}): it is recorded so the next up or destroy can finish`;
        throw new PartialCreateError(
          msg,
          resourceId(inputs),
          { ...withCheckedInputs(inputs as Record<string, unknown>, inputs as Record<string, unknown>), ...prepared, contractId: err.context.contract, state: 'error', message: msg },
          [msg],
          { cause: err },
        );
      }
    }
    throw err;
  }
  if (kind.afterCreateOps) prepared = { ...prepared, ...kind.afterCreateOps(res.extraContractIds) };
  return { id: resourceId(inputs), outs: workloadOutputs(kind, inputs, prepared, res) };
}

/** update: new data in place (the coordinator bumps the version only when the wire data changed). */
export async function updateWorkload<I extends CommonInputs>(kind: ResourceKind<I>, olds: Record<string, unknown>, raw: Record<string, unknown>): Promise<{ outs: Outputs<I> }> {
  const inputs = parseInputs(kind, raw);
  const runtime = await getRuntime(inputs.account);
  const carried = kind.prepare ? await kind.prepare(inputs, { runtime, olds }) : {};
  const spec = { name: inputs.name, type: kind.wireType?.(carried) ?? kind.workloadType, data: wireData(kind.toWire(inputs, carried)), description: inputs.description };
  const res = await runtime.coordinator.apply({
    node: inputs.node,
    group: inputs.deployment,
    op: { kind: 'upsert', workload: spec, publicIps: kind.publicIps?.(inputs) ?? 0 },
    contractId: Number(olds.contractId) || undefined,
    label: label(kind, inputs),
    ...waitLimit(inputs.timeout, 'update', runtime),
    waitingFor: kind.waitingFor?.(inputs),
  });
  return { outs: workloadOutputs(kind, inputs, carried, res) };
}

/** The account a resource's state was made with (its recorded inputs, else its outputs): the twin owning its contract. */
export function recordedAccount(props: Record<string, unknown>): AccountInput | undefined {
  return accountOf(previousInputs(props, ['account']).inputs);
}

/** delete: remove the workload (the last one of a group cancels the contract), plus its extra contracts. */
export async function deleteWorkload<I extends CommonInputs>(kind: ResourceKind<I>, olds: Record<string, unknown>): Promise<void> {
  const runtime = await getRuntime(recordedAccount(olds));
  const node = Number(olds.node);
  const group = String(olds.deployment);
  const name = String(olds.name);
  await runtime.coordinator.apply({
    node,
    group,
    op: { kind: 'remove', name },
    contractId: Number(olds.contractId) || undefined,
    extraChainOps: (await kind.chainOpsOnDelete?.(olds, runtime)) ?? [],
    label: `${kind.typeName} "${name}"`,
    ...waitLimit(olds.timeout, 'delete', runtime),
  });
  kind.release?.(olds, runtime);
}

/** read (refresh): report drift; `id: ""` when the workload or contract is gone; never fails the refresh. */
export async function readWorkload<I extends CommonInputs>(kind: ResourceKind<I>, id: string, props: Record<string, unknown>): Promise<{ id: string; props: Record<string, unknown> }> {
  const runtime = await getRuntime(recordedAccount(props));
  const contractId = Number(props.contractId) || 0;
  if (!contractId) return { id: '', props };
  const r = await runtime.coordinator.read(Number(props.node), String(props.deployment), contractId, String(props.name));
  if (r.status === 'gone') return { id: '', props: {} };
  const { __provider: provider, ...rest } = props;
  const next: Record<string, unknown> = { ...rest, state: r.status, message: r.message ?? '' };
  if (r.workload && r.status !== 'unreachable') {
    let inputs: I | undefined;
    try {
      inputs = parseInputs(kind, rest);
    } catch {
      inputs = undefined;
    }
    if (inputs) Object.assign(next, kind.resultOutputs(r.workload.result?.data ?? null, inputs, rest), { version: r.workload.version });
  }
  if (provider !== undefined) next.__provider = provider;
  return { id, props: next };
}
