/**
 * What `check` asks the grid for a new resource, so a preview refuses what `up` would (README "What the preview
 * checks"): the connection itself (chain and relay URLs that refuse, a mnemonic that is not one, an account
 * without funds or twin) and the node (it exists), then the kind's own `liveCheck` (provider/workload-resource.ts).
 * Read-only apart from the twin that connecting registers for a funded account; bounded; best effort: a grid that
 * stays silent, or a preview without credentials, is not checked, and the log says so.
 * @module
 */
import { InputError, TfgridError, errorText } from '../protocol/common/errors';
import { containsUnknown, type CheckFailure } from './inputs';
import { getRuntime, type ProviderRuntime } from './runtime';

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
export async function previewRuntime(label: string, ms = PREVIEW_CHECK_MS): Promise<{ runtime?: ProviderRuntime; failures: CheckFailure[] }> {
  try {
    const runtime = await withTimeout(getRuntime(), ms);
    return { runtime, failures: [] };
  } catch (err) {
    if (isMissingMnemonic(err) || !(err instanceof TfgridError)) return { failures: [] };
    return { failures: [failureOf(err, 'tfgrid', `${label}: cannot deploy: `)] };
  }
}

/** Checks that need the grid and apply to every workload: the node exists. */
export async function previewNodeCheck(label: string, inputs: Record<string, unknown>, runtime: ProviderRuntime, ms = PREVIEW_CHECK_MS): Promise<CheckFailure[]> {
  if (containsUnknown(inputs.node) || typeof inputs.node !== 'number') return [];
  try {
    await withTimeout(runtime.deps.node(inputs.node), ms);
    return [];
  } catch (err) {
    if (err instanceof InputError) return [failureOf(err, 'node', `${label}: `)];
    runtime.deps.log.warn('preview could not check the node', { node: inputs.node, err: errorText(err) });
    return [];
  }
}
