/**
 * Does a preview tell the truth (issue 22)? Compares the steps a preview planned with the steps `up` then took,
 * as plain `{op, type, name}` lists: the engine's steps (local/pulumi/engine-events.ts), or `pulumi preview --json` /
 * `pulumi up --json` steps of the real CLI mapped to the same shape (op `same`/`create`/`update`/`replace`/
 * `delete`; the CLI's `create-replacement`, `delete-replaced` etc. collapse to `replace`: `cliOp`).
 *
 * The rule is Pulumi's: a preview may overstate (a value unknown at preview that turns out unchanged: it said
 * `update` or `replace`, `up` did less), it must never understate. `missed` lists what `up` did beyond the plan
 * (the plan said `same` and `up` replaced, a resource the plan never mentioned, `update` planned and `replace`
 * done); `overstated` what the plan announced and `up` did not do. Pure.
 * @module
 */

export interface PlanStep {
  op: string;
  type: string;
  name: string;
}

export interface PlanDifference {
  /** `<type> <name>`. */
  resource: string;
  planned: string;
  done: string;
}

export interface PlanComparison {
  /** `up` did more than the preview said: the preview lied. */
  missed: PlanDifference[];
  /** The preview said more than `up` did (unknowns at preview): allowed, listed for the reader. */
  overstated: PlanDifference[];
}

/** How much each op does to a resource that exists before and after (same < update < replace). */
const WEIGHT: Record<string, number> = { same: 0, update: 1, replace: 2 };

/** The op of a `pulumi preview --json` / engine event step, in this module's vocabulary. */
export function cliOp(op: string): string {
  if (['create-replacement', 'delete-replaced', 'replace', 'discard-replaced'].includes(op)) return 'replace';
  if (op === 'read' || op === 'refresh') return 'same';
  return op;
}

const key = (s: PlanStep) => `${s.type} ${s.name}`;

/** The one op per resource (a list may hold the CLI's two replace halves: they collapse to one `replace`). */
function byResource(steps: PlanStep[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of steps) {
    const op = cliOp(s.op);
    const prev = out.get(key(s));
    out.set(key(s), prev === undefined || (WEIGHT[op] ?? 3) > (WEIGHT[prev] ?? 3) ? op : prev);
  }
  return out;
}

/** Compares planned and done steps; a resource absent from one side reads as `same` there when it exists on both. */
export function comparePlan(planned: PlanStep[], done: PlanStep[]): PlanComparison {
  const plan = byResource(planned);
  const did = byResource(done);
  const missed: PlanDifference[] = [];
  const overstated: PlanDifference[] = [];
  for (const resource of new Set([...plan.keys(), ...did.keys()])) {
    const p = plan.get(resource) ?? 'absent';
    const d = did.get(resource) ?? 'absent';
    if (p === d) continue;
    const diff = { resource, planned: p, done: d };
    if (p in WEIGHT && d in WEIGHT) (WEIGHT[d] > WEIGHT[p] ? missed : overstated).push(diff);
    else if (d === 'absent' || d === 'same') overstated.push(diff);
    else missed.push(diff);
  }
  return { missed, overstated };
}

/** One line per difference, naming the resource and both operations; "" when `missed` is empty. */
export function describeMissed(c: PlanComparison): string {
  return c.missed.map((m) => `${m.resource}: the preview planned ${m.planned}, up did ${m.done}`).join('\n');
}
