/**
 * What `check` asks the grid for a new resource, so a preview refuses what `up` would (README "What the preview
 * checks"): the connection itself (chain and relay URLs that refuse, a mnemonic that is not one, an account
 * without funds or twin), the node (it exists; said once per node, not once per resource on it), its free capacity
 * (`zos.statistics.get`: memory for machines, SSD for disks) and its farm's free public IPv4 (the chain), counting
 * every new resource this preview has checked on the same node or farm, then the kind's own `liveCheck`
 * (provider/workload-resource.ts). Read-only apart from the twin that connecting registers for a funded account;
 * bounded; best effort: a grid that stays silent, or a preview without credentials, is not checked, and the
 * preview's output says so (a warning line, provider/notices.ts).
 * @module
 */
import { InputError, TfgridError, errorText } from '../protocol/common/errors';
import { containsUnknown, formatSize, parseSize, type CheckFailure } from './inputs';
import type { NodeCapacity } from './deps';
import { inFlightPer } from './in-flight';
import { warnOnce } from './notices';
import { getRuntime, type ProviderRuntime } from './runtime';
import type { AccountInput } from './account';

/** Preview waits at most this long for the grid before it gives up checking (and says it did not check). */
export const PREVIEW_CHECK_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
}

/** A TfgridError as one check failure: the message, then the fix, at its config key or field. */
export function failureOf(err: TfgridError, fallbackProperty: string, prefix = ''): CheckFailure {
  const fix = typeof err.context.fix === 'string' && !err.message.includes(err.context.fix) ? `; fix: ${err.context.fix}` : '';
  return { property: typeof err.context.path === 'string' ? err.context.path : fallbackProperty, reason: `${prefix}${err.message}${fix}` };
}

/** True for the error of a preview run without credentials: nothing to check with, not a mistake. */
function isMissingMnemonic(err: unknown): boolean {
  return err instanceof InputError && err.context.path === 'tfgrid:mnemonic' && /^no mnemonic/.test(err.message);
}

/**
 * The runtime for a preview check, or the failures that say why the provider cannot connect. `undefined` runtime
 * and no failures: not checked (no credentials, or the grid did not answer in time).
 */
export async function previewRuntime(label: string, account?: AccountInput, ms = PREVIEW_CHECK_MS): Promise<{ runtime?: ProviderRuntime; failures: CheckFailure[] }> {
  try {
    const runtime = await withTimeout(getRuntime(account), ms);
    if (!runtime) notChecked(`the grid did not answer within ${ms / 1000}s`);
    return { runtime, failures: [] };
  } catch (err) {
    if (isMissingMnemonic(err)) notChecked('no mnemonic (set tfgrid:mnemonic or TFGRID_MNEMONIC to check)');
    else if (!(err instanceof TfgridError)) notChecked(errorText(err));
    else return { failures: [failureOf(err, 'tfgrid', `${label}: cannot deploy: `)] };
    return { failures: [] };
  }
}

/** The warning a preview prints once when it could not ask the grid. */
function notChecked(why: string): void {
  warnOnce(`the preview did not check the grid: ${why}; node existence, free capacity and free public IPs are checked at up`);
}

/** Per runtime (one preview's process): the first resource that found a node missing, and what new resources take. */
interface PreviewMemo {
  missingNode: Map<number, string>;
  /** node → resource id → bytes of memory / SSD asked for; farm → resource id → public IPv4 asked for. */
  mru: Map<number, Map<string, number>>;
  sru: Map<number, Map<string, number>>;
  ipv4: Map<number, Map<string, number>>;
}
const memos = new WeakMap<ProviderRuntime, PreviewMemo>();
function memoOf(runtime: ProviderRuntime): PreviewMemo {
  let m = memos.get(runtime);
  if (!m) memos.set(runtime, (m = { missingNode: new Map(), mru: new Map(), sru: new Map(), ipv4: new Map() }));
  return m;
}

/**
 * What the other resources this preview passed ask of `key`; `fits(others)` decides, and only a resource that fits
 * is recorded (a refused one takes nothing).
 */
function reserve(table: Map<number, Map<string, number>>, key: number, id: string, amount: number, fits: (others: number) => boolean): { ok: boolean; others: number } {
  let t = table.get(key);
  if (!t) table.set(key, (t = new Map()));
  let others = 0;
  for (const [k, v] of t) if (k !== id) others += v;
  const ok = fits(others);
  if (ok) t.set(id, amount);
  else t.delete(id);
  return { ok, others };
}

/** Checks that need the grid and apply to every workload: the node exists. */
export async function previewNodeCheck(label: string, inputs: Record<string, unknown>, runtime: ProviderRuntime, ms = PREVIEW_CHECK_MS): Promise<CheckFailure[]> {
  if (containsUnknown(inputs.node) || typeof inputs.node !== 'number') return [];
  const memo = memoOf(runtime);
  const first = memo.missingNode.get(inputs.node);
  // One program with eight zdbs on a node that does not exist: the full text once, then a short pointer to it.
  if (first !== undefined) return [{ property: 'node', reason: `${label}: node ${inputs.node} does not exist (as said for ${first})` }];
  try {
    const api = await withTimeout(runtime.deps.node(inputs.node), ms);
    if (!api) warnOnce(`${label}: the preview could not check node ${inputs.node} (no answer within ${ms / 1000}s)`);
    return [];
  } catch (err) {
    if (err instanceof InputError) {
      memo.missingNode.set(inputs.node, label);
      return [failureOf(err, 'node', `${label}: `)];
    }
    warnOnce(`${label}: the preview could not check node ${inputs.node}: ${errorText(err)}`);
    return [];
  }
}

/** What a new resource of `typeName` takes from its node: memory and SSD in bytes, public IPv4 from its farm. */
export function capacityAsked(typeName: string, inputs: Record<string, unknown>): { mru: number; sru: number; ipv4: number } {
  const size = (v: unknown, field: string) => (v === undefined ? 0 : parseSize(v, field));
  switch (typeName) {
    case 'ZMachine':
      return { mru: size(inputs.memory, 'memory'), sru: size(inputs.rootfsSize, 'rootfsSize'), ipv4: 0 };
    case 'ZMount':
    case 'Volume':
      return { mru: 0, sru: size(inputs.size, 'size'), ipv4: 0 };
    case 'Qsfs':
      return { mru: 0, sru: size(inputs.cache, 'cache'), ipv4: 0 };
    case 'PublicIp':
      return { mru: 0, sru: 0, ipv4: inputs.v4 === true ? 1 : 0 };
    default:
      return { mru: 0, sru: 0, ipv4: 0 };
  }
}

/**
 * The node's capacity, asked once for the checks that ask at the same time (a later wave asks again and sees what
 * the earlier ones took; before: one call per resource, 699 for a stack of 1,000 on 50 nodes).
 */
const sharedStatistics = inFlightPer<ProviderRuntime, number, { total: NodeCapacity; used: NodeCapacity }>();
function nodeStatistics(runtime: ProviderRuntime, node: number): Promise<{ total: NodeCapacity; used: NodeCapacity }> {
  return sharedStatistics(runtime, node, async () => (await runtime.deps.node(node)).statistics());
}

/**
 * Free capacity (`zos.statistics.get`) and free farm IPv4 (the chain) against what this resource and the other new
 * resources of this preview on the same node or farm ask. `id` identifies the resource (node/group/name), so a
 * resource checked twice is counted once. A public IPv4 for a group whose contract exists is the kind's liveCheck.
 */
export async function previewCapacityCheck(label: string, typeName: string, id: string, inputs: Record<string, unknown>, runtime: ProviderRuntime, ms = PREVIEW_CHECK_MS): Promise<CheckFailure[]> {
  if (typeof inputs.node !== 'number' || containsUnknown(inputs)) return [];
  const node = inputs.node;
  let asked: { mru: number; sru: number; ipv4: number };
  try {
    asked = capacityAsked(typeName, inputs);
  } catch {
    return []; // a size that is not one is the schema's failure, already reported
  }
  if (asked.mru + asked.sru + asked.ipv4 === 0) return [];
  const memo = memoOf(runtime);
  const failures: CheckFailure[] = [];
  const run = async () => {
    if (asked.mru + asked.sru > 0) {
      const s = await nodeStatistics(runtime, node);
      const check = (what: 'mru' | 'sru', field: string, noun: string, picker: string) => {
        if (asked[what] === 0) return;
        const free = Math.max(0, s.total[what] - s.used[what]);
        const { ok, others } = reserve(memo[what], node, id, asked[what], (o) => asked[what] + o <= free);
        if (ok) return;
        const also = others > 0 ? ` (and other new resources of this run on node ${node} ask ${formatSize(others)})` : '';
        failures.push({
          property: field,
          reason: `${label}: ${field} asks ${formatSize(asked[what])}${also}, node ${node} has ${formatSize(free)} of ${noun} free; fix: pick a node with more free ${noun} (a NodePicker with \`${picker}\` finds one) or ask for less`,
        });
      };
      check('mru', 'memory', 'memory', 'memory');
      check('sru', typeName === 'ZMachine' ? 'rootfsSize' : typeName === 'Qsfs' ? 'cache' : 'size', 'SSD', 'ssd');
    }
    if (asked.ipv4 > 0 && !(await runtime.coordinator.current(node, String(inputs.deployment), inputs.adoptContractId as number | undefined))) {
      const info = await runtime.deps.chain.getNode(node);
      if (info) {
        const free = await runtime.deps.chain.farmFreePublicIps(info.farmId);
        const { ok, others } = reserve(memo.ipv4, info.farmId, id, asked.ipv4, (o) => asked.ipv4 + o <= free);
        if (!ok) {
          const also = others > 0 ? ` and ${others} other new PublicIp of this run ask${others === 1 ? 's' : ''} for one` : '';
          failures.push({
            property: 'v4',
            reason: `${label}: farm ${info.farmId} of node ${node} has ${free} free public IPv4${also}; fix: pick a node of a farm with free IPs (a NodePicker with \`publicIpv4: 1\` finds one) or set v4: false`,
          });
        }
      }
    }
    return true;
  };
  try {
    if (!(await withTimeout(run(), ms))) warnOnce(`${label}: the preview could not check free capacity on node ${node} (no answer within ${ms / 1000}s)`);
  } catch (err) {
    warnOnce(`${label}: the preview could not check free capacity on node ${node}: ${errorText(err)}`);
  }
  return failures;
}
