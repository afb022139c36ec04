/**
 * The Pulumi engine's part of `up`, `up --refresh` and `destroy`, reduced to what the failure suite needs
 * (pulumi-notes.md §2: check, diff, create/update/delete, partial creates recorded with their init error and
 * updated by the next `up`; a failed step stops new steps, as without `--continue-on-error`), driving the
 * provider's real methods through `provider/dynamic-entry`. Resources come in waves (a wave depends on the ones
 * before it); the state is a map from name to recorded id and outputs, as in a Pulumi checkpoint.
 * @module
 */
import * as entry from '../../provider/dynamic-entry';

export type Props = Record<string, unknown>;

export interface ResourceSpec {
  urn: string;
  type: string;
  wave: number;
  /** The program's inputs, from the state of the resources it depends on (throws when one is missing). */
  inputs(state: StackState): Props;
}

export interface StateEntry {
  type: string;
  wave: number;
  id: string;
  outs: Props;
  /** Recorded from a failed create (a partial create): the next `up` updates it. */
  initError?: string;
}

export type StackState = Map<string, StateEntry>;

export interface Step {
  urn: string;
  op: 'create' | 'update' | 'replace' | 'same' | 'delete';
  error?: string;
}

const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The outputs of a resource in state (throws when it is missing: its dependents cannot run). */
export function outsOf(state: StackState, urn: string): Props {
  const e = state.get(urn);
  if (!e || e.initError) throw new Error(`dependency ${urn} is not up`);
  return e.outs;
}

async function createStep(spec: ResourceSpec, raw: Props, state: StackState): Promise<void> {
  const c = await entry.check(spec.type, {}, raw);
  if (c.failures?.length) throw new Error(c.failures.map((f) => f.reason).join('; '));
  try {
    const r = await entry.create(spec.type, c.inputs as Props);
    state.set(spec.urn, { type: spec.type, wave: spec.wave, id: r.id, outs: r.outs as Props });
  } catch (err) {
    const partial = err as { id?: string; properties?: Props };
    if (partial.id && partial.properties) state.set(spec.urn, { type: spec.type, wave: spec.wave, id: partial.id, outs: partial.properties, initError: text(err) });
    throw err;
  }
}

async function step(spec: ResourceSpec, state: StackState): Promise<Step> {
  const raw = spec.inputs(state);
  const old = state.get(spec.urn);
  if (!old) {
    await createStep(spec, raw, state);
    return { urn: spec.urn, op: 'create' };
  }
  const c = await entry.check(spec.type, old.outs, raw);
  if (c.failures?.length) throw new Error(c.failures.map((f) => f.reason).join('; '));
  const news = c.inputs as Props;
  const d = old.initError ? { changes: true, replaces: [] as string[] } : await entry.diff(spec.type, old.id, old.outs, news);
  if (!d.changes) return { urn: spec.urn, op: 'same' };
  if ((d.replaces ?? []).length > 0) {
    await entry.delete(spec.type, old.id, old.outs);
    state.delete(spec.urn);
    await createStep(spec, raw, state);
    return { urn: spec.urn, op: 'replace' };
  }
  const r = await entry.update(spec.type, old.id, old.outs, news);
  state.set(spec.urn, { ...old, outs: r.outs as Props, initError: undefined });
  return { urn: spec.urn, op: 'update' };
}

/** `pulumi refresh`: each resource's `read`; gone ones leave the state. Returns the read results by name. */
export async function refresh(state: StackState): Promise<Map<string, { id: string; props: Props }>> {
  const out = new Map<string, { id: string; props: Props }>();
  await Promise.all(
    [...state].map(async ([urn, e]) => {
      const r = await entry.read(e.type, e.id, e.outs);
      out.set(urn, { id: r.id ?? '', props: (r.props ?? {}) as Props });
      if (!r.id) state.delete(urn);
      else state.set(urn, { ...e, outs: r.props as Props });
    }),
  );
  return out;
}

/** `pulumi up` (with `refresh` first when asked): wave by wave; stops after the first wave with a failed step. */
export async function up(specs: ResourceSpec[], state: StackState, opts: { refresh?: boolean } = {}): Promise<Step[]> {
  if (opts.refresh) await refresh(state);
  const steps: Step[] = [];
  const waves = [...new Set(specs.map((s) => s.wave))].sort((a, b) => a - b);
  for (const w of waves) {
    const done = await Promise.all(
      specs.filter((s) => s.wave === w).map((s) => step(s, state).catch((e: unknown): Step => ({ urn: s.urn, op: state.has(s.urn) ? 'update' : 'create', error: text(e) }))),
    );
    steps.push(...done);
    if (done.some((s) => s.error)) break;
  }
  return steps;
}

/** `pulumi destroy`: the last wave first; stops after the first wave with a failed delete. */
export async function destroy(state: StackState): Promise<Step[]> {
  const steps: Step[] = [];
  const waves = [...new Set([...state.values()].map((e) => e.wave))].sort((a, b) => b - a);
  for (const w of waves) {
    const done = await Promise.all(
      [...state]
        .filter(([, e]) => e.wave === w)
        .map(async ([urn, e]): Promise<Step> => {
          try {
            await entry.delete(e.type, e.id, e.outs);
            state.delete(urn);
            return { urn, op: 'delete' };
          } catch (err) {
            return { urn, op: 'delete', error: text(err) };
          }
        }),
    );
    steps.push(...done);
    if (done.some((s) => s.error)) break;
  }
  return steps;
}
