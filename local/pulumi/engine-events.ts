/**
 * What a run of the Pulumi engine did, read from its events (the Automation API's `onEvent`): one step per
 * resource `{op, type, name}` and the error diagnostics. Pure.
 *
 * - Steps come from `resourcePreEvent`s, which the engine sends for every planned step of a preview and before
 *   every step of `up`, `refresh` and `destroy`, so plan and deed are read the same way (local/grid/plan-compare).
 * - A replacement is two or three engine steps (`create-replacement`, `replace`, `delete-replaced` or, with
 *   deleteBeforeReplace, in the other order): they read as one `replace`.
 * - The stack itself and default providers (`pulumi:pulumi:Stack`, `pulumi:providers:*`) are not steps of a
 *   user's resources and are left out.
 * - Types: the Node SDK records dynamic resources as `pulumi-nodejs:dynamic/<module>:<Class>` (the SDK passes
 *   module `tfgrid`): steps say `tfgrid:ZMachine`, the name the README and schema.json use. `pulumi preview` and
 *   `pulumi stack export` show the full token.
 * @module
 */

/** The few fields of an engine event this module reads (a subset of `@pulumi/pulumi/automation` EngineEvent). */
export interface EngineEventLike {
  resourcePreEvent?: { metadata: { op: string; urn: string; type: string } };
  diagnosticEvent?: { urn?: string; message: string; severity: string; prefix?: string };
}

export interface RunStep {
  op: string;
  type: string;
  name: string;
}

export const DYNAMIC_PREFIX = 'pulumi-nodejs:dynamic/';

/** `pulumi-nodejs:dynamic/tfgrid:ZMachine` → `tfgrid:ZMachine`; other tokens as they are. */
export function displayType(type: string): string {
  return type.startsWith(DYNAMIC_PREFIX) ? type.slice(DYNAMIC_PREFIX.length) : type;
}

/** The resource's name: the URN's last `::` part. */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf('::') + 2);
}

const REPLACE_OPS = new Set(['create-replacement', 'replace', 'delete-replaced', 'discard-replaced']);
const isInternal = (type: string) => type === 'pulumi:pulumi:Stack' || type.startsWith('pulumi:providers:');

/** One step per resource, in the order the engine first mentioned each. */
export function stepsOf(events: EngineEventLike[]): RunStep[] {
  const steps: (RunStep & { urn: string })[] = [];
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || isInternal(m.type)) continue;
    const op = REPLACE_OPS.has(m.op) ? 'replace' : m.op;
    const known = steps.find((s) => s.urn === m.urn);
    if (known) {
      if (op === 'replace') known.op = 'replace';
      continue;
    }
    steps.push({ urn: m.urn, op, type: displayType(m.type), name: urnName(m.urn) });
  }
  return steps.map(({ op, type, name }) => ({ op, type, name }));
}

/** Lines of a JavaScript stack trace (`    at f (file:1:2)`) and Node's pointer lines: noise for a user. */
const STACK_LINE = /^\s+at\s.+|^\s*\^+\s*$/;

/**
 * The errors of a run: each error diagnostic as `<type> <name>: <message>` (the stack's own as its message),
 * without ANSI colours, JavaScript stack frames or the engine's closing summary ("update failed"), unless that
 * summary is all there is.
 */
export function errorsOf(events: EngineEventLike[]): string[] {
  const out: string[] = [];
  const summaries: string[] = [];
  for (const e of events) {
    const d = e.diagnosticEvent;
    if (!d || d.severity !== 'error') continue;
    const text = d.message
      .replace(/\x1b\[[0-9;]*m|<\{%[^%]*%\}>/g, '')
      .split('\n')
      .filter((l) => !STACK_LINE.test(l))
      .join('\n')
      .trim();
    if (!text) continue;
    const typeOf = d.urn ? (d.urn.split('::')[2] ?? '') : '';
    if (!d.urn || isInternal(typeOf.split('$').pop() ?? typeOf)) {
      if (/^(update|preview|refresh|destroy) failed$/.test(text)) summaries.push(text);
      else out.push(text);
    } else {
      out.push(`${displayType(typeOf.split('$').pop() ?? typeOf)} ${urnName(d.urn)}: ${text}`);
    }
  }
  const unique = [...new Set(out)];
  return unique.length > 0 ? unique : summaries;
}
