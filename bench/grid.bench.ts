/**
 * Local grid start-up and tear-down time (issue 7): chain + relay + hub + DNS + N nodes, from nothing to every
 * node serving RMB (`up`), and `down` until nothing is left; then `up` again in the same directory (the hub's
 * flists cached, as `tfgrid local up` after `down` finds them). While the grid runs it also times what every
 * `tfgrid` verb that touches the chain pays: a ChainClient's connect and close(), and one whole CLI process
 * (`tfgrid rmb call` to node 1, from start to exit).
 * Run: `node -r @swc-node/register bench/grid.bench.ts [runs] [nodes]` (default 3 runs, 3 nodes). Prints
 * per-run wall times and medians; the backend is linux as root, else sim (printed), and the 1-minute load,
 * which these wall times follow closely on a shared machine.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalGrid, stopLocalGrid } from '../local/grid/grid';
import { createChainClient } from '../protocol/chain';

/**
 * This bench on the tree before the issue 7 work (commit c840819), 3 linux nodes, 3 runs at load 1.8–2.3:
 * up 14.6 s cold, up again 14.0–14.6 s, down median 13.0 s, ChainClient.close() 1802 ms, tfgrid rmb call 3.1 s.
 * Right after, this tree at load 2.6–3.2: up 14.8 s cold, up again 14.3–15.2 s, down 0.3 s, close() 1 ms,
 * rmb call 1.4 s. (At load 10–12 both trees' up takes 30–45 s; down and close() do not move.)
 */
const BEFORE = { upColdS: 14.6, downS: 13.0, closeMs: 1802, cliS: 3.1 };

const BIN = path.join(__dirname, '..', 'bin', 'tfgrid');

function cliCall(dir: string, twin: number): Promise<{ ms: number; ok: boolean; out: string }> {
  const t = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'rmb', 'call', '--twin', String(twin), '--cmd', 'zos.system.version'],
      { env: { ...process.env, TFGRID_LOCAL_DIR: dir }, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ ms: Date.now() - t, ok: !err, out: err ? stderr.trim().split('\n').slice(-1)[0] : stdout.trim() }),
    );
  });
}

const s = (ms: number) => (ms / 1000).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const nodes = Number(process.argv[3] ?? 3);
  const ups: number[] = [];
  const downs: number[] = [];
  const closes: number[] = [];
  const clis: number[] = [];
  let backend = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-bench-grid-'));
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = Date.now();
      const st = await startLocalGrid({ dir, nodes, chainPort: 0, relayPort: 0, hubPort: 0 });
      ups.push(Date.now() - t0);
      backend = st.backend;

      const tc = Date.now();
      const chain = await createChainClient({ urls: [st.chain!.url] });
      const connectMs = Date.now() - tc;
      await chain.blockNumber();
      const tclose = Date.now();
      await chain.close();
      closes.push(Date.now() - tclose);
      const cli = await cliCall(dir, st.nodes[0].twinId);
      clis.push(cli.ms);

      const t1 = Date.now();
      await stopLocalGrid({ dir });
      downs.push(Date.now() - t1);
      console.log(
        `run ${i + 1} (${i === 0 ? 'cold hub cache' : 'up again'}): up ${s(ups[i])} s, down ${s(downs[i])} s; ` +
          `chain client connect ${connectMs} ms, close ${closes[i]} ms; tfgrid rmb call ${s(cli.ms)} s (${cli.ok ? 'ok' : `failed: ${cli.out}`}); load ${os.loadavg()[0].toFixed(1)}`,
      );
    }
  } finally {
    await stopLocalGrid({ dir }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const again = ups.slice(1);
  console.log(
    `local grid (${nodes} nodes, ${backend} backend, load ${os.loadavg()[0].toFixed(1)}): up ${s(ups[0])} s cold` +
      `${again.length ? `, up again median ${s(median(again))} s` : ''}, down median ${s(median(downs))} s, ` +
      `ChainClient.close() median ${median(closes)} ms, tfgrid rmb call median ${s(median(clis))} s over ${runs} runs`,
  );
  console.log(`before (c840819): up ${BEFORE.upColdS} s cold, down median ${BEFORE.downS} s, ChainClient.close() ${BEFORE.closeMs} ms, tfgrid rmb call ${BEFORE.cliS} s`);
  console.log(
    `ratios before/now: down ${(BEFORE.downS / (median(downs) / 1000)).toFixed(1)}, close() ${Math.round(BEFORE.closeMs / Math.max(1, median(closes)))}, ` +
      `rmb call ${(BEFORE.cliS / (median(clis) / 1000)).toFixed(1)}, up cold ${(BEFORE.upColdS / (ups[0] / 1000)).toFixed(1)} (up follows the load)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
