/**
 * Local grid scale (issue 16, first scale point): `tfgrid local up --nodes N --backend sim` for N = 10 and 50,
 * from nothing to every node serving RMB. Prints one table row per N: `up` wall time, chain blocks `up` built
 * (the chain's block number after `up`: the chain starts at its genesis), the grid's processes and the sum of
 * their resident memory (VmRSS from /proc/<pid>/status of every distinct PID in the grid's state file), and
 * `down` wall time. Goal: 50 sim nodes up in under 30 s, all processes under 2 GB resident.
 * Run: `make bench-scale`, or `node -r @swc-node/register bench/grid-scale.bench.ts [N,N,…]` (default 10,50).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gridProcesses, startLocalGrid, stopLocalGrid } from '../local/grid/grid';
import { createChainClient } from '../protocol/chain';

/**
 * This bench on the tree before the issue 16 work (commit 19b5760: one Node.js process per sim node, a transfer
 * batch and two blocks per node registration) on the 2-core machine. N = 10 at load 25.6 (146.4 s, 3184 MiB at
 * load 30.6); N = 50 from load 5 (its own 55 processes took it to 21); at load 21–25 it did not come up at all
 * (nodes timed out connecting to the chain, 50 processes loading its metadata at once).
 */
const BEFORE: Record<number, { upS: number; blocks: number; procs: number; rssMiB: number; downS: number; note: string }> = {
  10: { upS: 118.9, blocks: 29, procs: 15, rssMiB: 3146, downS: 0.7, note: 'load 25.6' },
  50: { upS: 106.9, blocks: 109, procs: 55, rssMiB: 11_296, downS: 1.0, note: 'load 5 → 21' },
};

/** VmRSS of a live process in KiB (0 when it is gone or /proc has no such field). */
function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const s = (ms: number) => (ms / 1000).toFixed(1);

async function row(nodes: number): Promise<{ upMs: number; blocks: number; procs: number; rssMiB: number; downMs: number; backend: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-bench-scale-'));
  try {
    const t0 = Date.now();
    const st = await startLocalGrid({ dir, nodes, backend: 'sim', chainPort: 0, relayPort: 0, hubPort: 0, gridProxyPort: 0 });
    const upMs = Date.now() - t0;
    const chain = await createChainClient({ urls: [st.chain!.url] });
    const blocks = await chain.blockNumber();
    await chain.close();
    // Several nodes may share one process: count each PID once.
    const pids = [...new Set(gridProcesses(st).map((p) => p.pid))];
    const rssMiB = Math.round(pids.reduce((sum, pid) => sum + rssKiB(pid), 0) / 1024);
    const t1 = Date.now();
    await stopLocalGrid({ dir });
    return { upMs, blocks, procs: pids.length, rssMiB, downMs: Date.now() - t1, backend: st.backend };
  } finally {
    await stopLocalGrid({ dir }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '10,50').split(',').map(Number);
  console.log('| nodes | backend | `up` s | blocks | processes | total RSS MiB | RSS per node MiB | `down` s | load |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    const r = await row(n);
    console.log(`| ${n} | ${r.backend} | ${s(r.upMs)} | ${r.blocks} | ${r.procs} | ${r.rssMiB} | ${(r.rssMiB / n).toFixed(0)} | ${s(r.downMs)} | ${os.loadavg()[0].toFixed(1)} |`);
    const b = BEFORE[n];
    if (b) {
      console.log(`|   before (19b5760; ${b.note}) | sim | ${b.upS} | ${b.blocks} | ${b.procs} | ${b.rssMiB} | ${(b.rssMiB / n).toFixed(0)} | ${b.downS} | |`);
      console.log(
        `|   ratio before/now | | ${(b.upS / (r.upMs / 1000)).toFixed(1)}× | ${(b.blocks / Math.max(1, r.blocks)).toFixed(1)}× | | ${(b.rssMiB / Math.max(1, r.rssMiB)).toFixed(1)}× | | | |`,
      );
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
