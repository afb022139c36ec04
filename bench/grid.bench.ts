/**
 * Local grid start-up time (issue 7): chain + relay + hub + DNS + 3 nodes, from nothing to every node serving
 * RMB, and `down` until nothing is left. Run: `node -r @swc-node/register bench/grid.bench.ts [runs] [nodes]`.
 * Prints per-run wall times and the median; the backend is linux as root, else sim (printed).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalGrid, stopLocalGrid } from '../local/grid/grid';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const nodes = Number(process.argv[3] ?? 3);
  const ups: number[] = [];
  const downs: number[] = [];
  let backend = '';
  for (let i = 0; i < runs; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-bench-grid-'));
    try {
      const t0 = Date.now();
      const st = await startLocalGrid({ dir, nodes, chainPort: 0, relayPort: 0, hubPort: 0 });
      ups.push(Date.now() - t0);
      backend = st.backend;
      const t1 = Date.now();
      await stopLocalGrid({ dir });
      downs.push(Date.now() - t1);
      console.log(`run ${i + 1}: up ${(ups[i] / 1000).toFixed(1)} s, down ${(downs[i] / 1000).toFixed(1)} s`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] / 1000;
  console.log(`local grid (${nodes} nodes, ${backend} backend, load ${os.loadavg()[0].toFixed(1)}): up median ${median(ups).toFixed(1)} s, down median ${median(downs).toFixed(1)} s over ${runs} runs`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
