/**
 * What healing one dead daemon costs against a new grid (issue 19). On its own grid (2 nodes, sim backend
 * unless `--backend linux`, free ports): `up` from nothing; then node 1 SIGKILLed and `up` (heal), `restart
 * node1` (stop + start), `restart relay|hub|dns`; last `restart chain` (a new grid, what a dead chain costs).
 * Run: `node -r @swc-node/register bench/grid-heal.bench.ts [runs] [sim|linux]` (default 3 runs, sim). Prints
 * per-run wall times, medians, the ratio new grid / node heal, and the 1-minute load.
 *
 * Measured (sim, 2 nodes, load 8–10 on the shared 2-core machine, by hand through `tfgrid`): first up 33.5 s,
 * node heal by `up` 8.3 s (at the height of another suite's run), `restart node1` 2.2–2.4 s, relay 1.6 s,
 * dns 1.1 s, hub 2.9 s, `restart chain` (a new grid) 26.5 s. This bench, 1 run at load 6.7: up 19.3 s, node
 * heal by `up` 2.7 s, restart node1 1.9 s, relay 1.5 s, hub 1.9 s, dns 1.0 s, new grid 13.3 s (5.0× a node heal,
 * 7.1× a node restart).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resetLocalGrid, restartGridDaemon, startLocalGrid, type BackendChoice } from '../local/grid/grid';
import { readState } from '../local/grid/state';
import { isRunning } from '../local/grid/supervisor';

const s = (ms: number) => (ms / 1000).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed<T>(f: () => Promise<T>): Promise<number> {
  const t = Date.now();
  await f();
  return Date.now() - t;
}

async function run(backend: BackendChoice): Promise<Record<string, number>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-heal-bench-'));
  const opts = { dir, nodes: 2, backend, chainPort: 0, relayPort: 0, hubPort: 0, stopWhenPidExits: process.pid };
  try {
    const r: Record<string, number> = {};
    r.up = await timed(() => startLocalGrid(opts));
    const node1 = readState(dir)?.nodes[0].process;
    if (!node1) throw new Error('no node 1');
    process.kill(node1.pid, 'SIGKILL');
    while (isRunning(node1)) await new Promise((res) => setTimeout(res, 20));
    r.healNode = await timed(() => startLocalGrid(opts));
    for (const d of ['node1', 'relay', 'hub', 'dns']) r[`restart ${d}`] = await timed(() => restartGridDaemon(d, { dir }));
    r['restart chain (new grid)'] = await timed(() => restartGridDaemon('chain', { dir }));
    return r;
  } finally {
    await resetLocalGrid({ dir });
  }
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const backend = (process.argv[3] ?? 'sim') as BackendChoice;
  const all: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await run(backend);
    all.push(r);
    process.stdout.write(
      `run ${i + 1}: ${Object.entries(r)
        .map(([k, v]) => `${k} ${s(v)} s`)
        .join(', ')}  (load ${os.loadavg()[0].toFixed(1)})\n`,
    );
  }
  const keys = Object.keys(all[0]);
  const med = Object.fromEntries(keys.map((k) => [k, median(all.map((r) => r[k]))]));
  process.stdout.write(`median (${backend}, 2 nodes): ${keys.map((k) => `${k} ${s(med[k])} s`).join(', ')}\n`);
  process.stdout.write(
    `new grid / node heal: ${(med['restart chain (new grid)'] / med.healNode).toFixed(1)}×; new grid / restart node1: ${(med['restart chain (new grid)'] / med['restart node1']).toFixed(1)}×\n`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
