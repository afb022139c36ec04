/**
 * Issue 16's failure counts with more repeats than CI runs: every scenario of test/failures/scenarios.ts
 * (default 3 times; `node -r @swc-node/register bench/failures.bench.ts [repeats] [seed]`) on the failure grid,
 * printing the table of runs, converged, orphans, lost and refresh-detected per scenario. Exits 1 on any orphan,
 * lost resource or run that did not converge.
 */
import { stopTestRun } from '../test/helpers/test-chain-run';
import { startFailureGrid } from '../test/failures/failure-grid';
import { formatTable, runAll, seeded } from '../test/failures/tally';

async function main(): Promise<number> {
  const repeats = Number(process.argv[2] ?? process.env.FAILURE_REPEATS ?? '3');
  const seed = Number(process.argv[3] ?? Date.now() % 100000);
  const g = await startFailureGrid();
  try {
    const t0 = Date.now();
    const rows = await runAll(g, repeats, seeded(seed), (s, r) =>
      process.stderr.write(`${s.name} during ${s.phase}: ${r.converged ? 'converged' : 'NOT converged'}${r.notes.length ? ` (${r.notes.join('; ')})` : ''}\n`),
    );
    process.stdout.write(`failure suite, ${repeats} repeats, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s:\n${formatTable(rows)}\n`);
    const bad = rows.filter((r) => r.orphans > 0 || r.lost > 0 || r.converged < r.runs);
    for (const r of bad) process.stdout.write(`FAIL ${r.scenario} during ${r.phase}: ${r.notes.join('; ')}\n`);
    return bad.length ? 1 : 0;
  } finally {
    await g.close();
    await stopTestRun();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
