/**
 * The provider process of `bench/stack-scale.bench.ts`: the provider code alone (no chain, relay or nodes), so its
 * peak memory is the provider's. The parent sends the stack config, then one step at a time (`up`, `noop`,
 * `update`, `destroy`); each answer holds the step's wall time, the counts on the provider's grid connection
 * (test/provider/grid-faults.ts `instrument`) and the process's peak RSS during the step (sampled every 20 ms, and
 * `resourceUsage().maxRSS` for the whole life so far).
 * Not a bench of its own: forked by the bench with `-r @swc-node/register`.
 */
import * as entry from '../provider/dynamic-entry';
import { readConfig } from '../provider/config';
import { createGridConnection } from '../provider/grid-connection';
import { getRuntime, resetRuntime, setGridFactory } from '../provider/runtime';
import { instrument, type GridCounters, type InstrumentedConnection } from '../test/provider/grid-faults';
import { stackDestroy, stackResources, stackUp, type StackOptions, type StackState, type UpSummary } from '../test/provider/stack-scale';

export type Step = 'up' | 'noop' | 'update' | 'destroy';
export type ProviderMessage = { kind: 'init'; config: Record<string, string>; stack: StackOptions } | { kind: 'step'; step: Step };
export interface StepReport {
  step: Step;
  ms: number;
  summary?: UpSummary;
  tx: number;
  chainOps: number;
  chainReads: number;
  rmb: number;
  /** RMB calls per node command. */
  rmbByMethod: Record<string, number>;
  /** Wall time of each dependency wave, in order, ms. */
  waveMs: number[];
  /** Chain transactions of each dependency wave, in order. */
  waveTx: number[];
  /** CPU time of the provider process during the step (user + system), ms. */
  cpuMs: number;
  deploys: number;
  updates: number;
  proxy: number;
  /** Highest RSS sampled during the step, MiB. */
  peakRssMiB: number;
  /** The process's peak RSS so far (getrusage), MiB. */
  maxRssMiB: number;
  heapUsedMiB: number;
}
export type ProviderReply = { kind: 'ready' } | { kind: 'done'; report: StepReport } | { kind: 'failed'; error: string };

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const MiB = 1024 * 1024;

let conn: InstrumentedConnection | undefined;
let stack: StackOptions | undefined;
const state: StackState = { resources: new Map() };

async function runStep(step: Step): Promise<StepReport> {
  const before: GridCounters = { ...conn!.counters, chainReads: { ...conn!.counters.chainReads }, proxyCalls: { ...conn!.counters.proxyCalls }, rmbByMethod: { ...conn!.counters.rmbByMethod } };
  const cpu0 = process.cpuUsage();
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t0 = process.hrtime.bigint();
  let summary: UpSummary | undefined;
  const waveMs: number[] = [];
  const waveTx: number[] = [];
  let txSoFar = before.transactions;
  const onWave = (w: number) => {
    waveMs.push(w);
    waveTx.push(conn!.counters.transactions - txSoFar);
    txSoFar = conn!.counters.transactions;
  };
  try {
    if (step === 'destroy') await stackDestroy(stackResources({ ...stack!, grown: true }), state, onWave);
    else summary = await stackUp(stackResources({ ...stack!, grown: step === 'update' }), state, onWave);
  } finally {
    clearInterval(sampler);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  peak = Math.max(peak, process.memoryUsage.rss());
  const c = conn!.counters;
  return {
    step,
    ms,
    summary,
    tx: c.transactions - before.transactions,
    chainOps: c.chainOps - before.chainOps,
    chainReads: sum(c.chainReads) - sum(before.chainReads),
    rmb: c.rmbCalls - before.rmbCalls,
    rmbByMethod: Object.fromEntries(
      Object.entries(c.rmbByMethod)
        .map(([k, v]) => [k, v - (before.rmbByMethod[k] ?? 0)])
        .filter(([, v]) => Number(v) > 0),
    ),
    waveMs,
    waveTx,
    cpuMs: (cpu.user + cpu.system) / 1000,
    deploys: c.deploys - before.deploys,
    updates: c.updates - before.updates,
    proxy: sum(c.proxyCalls) - sum(before.proxyCalls),
    peakRssMiB: peak / MiB,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    heapUsedMiB: process.memoryUsage().heapUsed / MiB,
  };
}

async function handle(msg: ProviderMessage): Promise<ProviderReply> {
  if (msg.kind === 'init') {
    stack = msg.stack;
    const cfg = msg.config;
    setGridFactory(async () => (conn = instrument(await createGridConnection(readConfig((k) => cfg[k], {})))));
    entry.configure((k) => cfg[k]);
    await getRuntime(); // twin creation is not part of an up
    return { kind: 'ready' };
  }
  return { kind: 'done', report: await runStep(msg.step) };
}

process.on('message', (msg: ProviderMessage) => {
  handle(msg).then(
    (reply) => process.send!(reply),
    (err: unknown) => process.send!({ kind: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ProviderReply),
  );
});
process.on('disconnect', () => {
  resetRuntime().finally(() => process.exit(0));
});
