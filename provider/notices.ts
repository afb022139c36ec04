/**
 * What the provider tells the person running `pulumi preview` / `pulumi up` while it works: warnings (a check the
 * preview could not make) and progress (what it waits for, and for how long). A dynamic provider has no URN in its
 * callbacks and, in the plugin process, `pulumi.log` has no engine to talk to (the dynamic-provider plugin never
 * sets PULUMI_NODEJS_ENGINE, so `pulumi.log.warn` falls back to `console.warn`). What does reach the CLI is the
 * plugin's stderr: the engine reads the dynamic-provider plugin's stdout/stderr line by line and shows each line as
 * a diagnostic (sdk/go/common/resource/plugin/plugin.go `runtrace`, `isDynamicPluginBinary`). So each notice is one
 * line on stderr, naming its resource, written only in the plugin process (or when TFGRID_NOTICES=stderr);
 * elsewhere (tests, the offline engine) notices go to a sink set with `setNoticeSink`, or nowhere.
 * @module
 */
import type { Progress } from '../protocol/common/log';

export type NoticeSink = (line: string) => void;

let sink: NoticeSink | undefined;

/** True in the `pulumi-resource-pulumi-nodejs` plugin process (`@pulumi/pulumi/cmd/dynamic-provider`). */
function inPluginProcess(): boolean {
  return /[\\/]cmd[\\/]dynamic-provider([\\/]|$)/.test(process.argv[1] ?? '');
}

function defaultSink(): NoticeSink | undefined {
  const mode = process.env.TFGRID_NOTICES;
  if (mode === 'off') return undefined;
  if (mode === 'stderr' || inPluginProcess()) return (line) => process.stderr.write(`${line}\n`);
  return undefined;
}

/** Where notices go (tests, embedding engines); `undefined` restores the default. */
export function setNoticeSink(s: NoticeSink | undefined): void {
  sink = s;
}

function emit(line: string): void {
  (sink ?? defaultSink())?.(line);
}

const warned = new Set<string>();

/** A warning, once per text per process (a preview of 20 resources says "not checked" once, not 20 times). */
export function warnOnce(text: string): void {
  if (warned.has(text)) return;
  warned.add(text);
  emit(`warning: tfgrid: ${text}`);
}

/** Forgets what was warned (tests; a new plugin process starts empty). */
export function resetNotices(): void {
  warned.clear();
}

export interface ThrottleOptions {
  /** Nothing is said about a wait shorter than this (ms). */
  firstAfterMs?: number;
  /** At most one line per key this often (ms). */
  everyMs?: number;
  now?: () => number;
}

/**
 * Progress as lines a log can hold: the coordinator updates its state every poll (500 ms); this says it after
 * `firstAfterMs` of waiting, then at most every `everyMs` per key (the text before the first ':' — one per node
 * deployment), and says `done` only for a wait it talked about.
 */
export function throttledProgress(write: (line: string) => void, opts: ThrottleOptions = {}): Progress {
  const firstAfterMs = opts.firstAfterMs ?? 5000;
  const everyMs = opts.everyMs ?? 15_000;
  const now = opts.now ?? Date.now;
  const waits = new Map<string, { since: number; last?: number }>();
  const keyOf = (msg: string) => msg.split(':')[0];
  return {
    update(msg) {
      const key = keyOf(msg);
      const t = now();
      let w = waits.get(key);
      if (!w) waits.set(key, (w = { since: t }));
      if (t - w.since < firstAfterMs) return;
      if (w.last !== undefined && t - w.last < everyMs) return;
      w.last = t;
      write(`tfgrid: ${msg}`);
    },
    done(msg) {
      const key = keyOf(msg);
      const w = waits.get(key);
      waits.delete(key);
      if (w?.last !== undefined) write(`tfgrid: ${msg}`);
    },
  };
}

/** The provider's progress: throttled lines to the notice sink (and `inner`, the connection's own). */
export function noticeProgress(inner: Progress): Progress {
  const lines = throttledProgress(emit);
  return {
    update(msg) {
      inner.update(msg);
      lines.update(msg);
    },
    done(msg) {
      inner.done(msg);
      lines.done(msg);
    },
  };
}
