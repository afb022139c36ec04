/**
 * Counts per scenario of the failure suite, and the table it prints (issue 16: runs, converged, orphans, lost,
 * refresh-detected; plus how often the faulted operation itself reported a failure).
 * @module
 */
import { endRuns, SCENARIOS, runScenario, type RunResult, type Scenario, type Stack } from './scenarios';
import type { FailureGrid } from './failure-grid';

export interface Row {
  scenario: string;
  phase: string;
  runs: number;
  faultFailed: number;
  converged: number;
  orphans: number;
  lost: number;
  refreshDetected: number;
  notes: string[];
}

/** A small seeded generator (mulberry32), so a run's random choices can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs every scenario `repeats` times (scenario by scenario, on one stack that up-phase runs leave up and
 * destroy-phase runs take down) and counts; a last destroy must leave no contract (its orphans count on the last row).
 */
export async function runAll(g: FailureGrid, repeats: number, rnd: () => number, onRun: (s: Scenario, r: RunResult) => void = () => {}, scenarios = SCENARIOS): Promise<Row[]> {
  const rows: Row[] = [];
  const stack: Stack = { specs: [], state: new Map() };
  for (let k = 0; k < repeats; k++) {
    for (const [i, s] of scenarios.entries()) {
      rows[i] ??= { scenario: s.name, phase: s.phase, runs: 0, faultFailed: 0, converged: 0, orphans: 0, lost: 0, refreshDetected: 0, notes: [] };
      const row = rows[i];
      // A run that throws (outside the steps it records) counts as not converged, with why.
      const r = await runScenario(g, s, stack, `${g.testGrid.tag}${i}x${k}`, rnd).catch(
        (e: unknown): RunResult => ({ faultFailed: true, orphans: 0, lost: 0, refreshDetected: 0, converged: false, notes: [`run failed: ${e instanceof Error ? e.message : String(e)}`] }),
      );
      onRun(s, r);
      row.runs++;
      row.faultFailed += r.faultFailed ? 1 : 0;
      row.converged += r.converged ? 1 : 0;
      row.orphans += r.orphans;
      row.lost += r.lost;
      row.refreshDetected += r.refreshDetected;
      row.notes.push(...r.notes);
    }
  }
  const last = rows[rows.length - 1];
  if (last) last.orphans += await endRuns(g, stack, last.notes);
  return rows;
}

export function formatTable(rows: Row[]): string {
  const head = '| scenario | during | runs | fault op failed | converged | orphans | lost | refresh-detected |';
  const lines = rows.map((r) => `| ${r.scenario} | ${r.phase} | ${r.runs} | ${r.faultFailed} | ${r.converged} | ${r.orphans} | ${r.lost} | ${r.refreshDetected} |`);
  return [head, '|---|---|---|---|---|---|---|---|', ...lines].join('\n');
}
