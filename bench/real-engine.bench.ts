/**
 * `pulumi up` through the real Pulumi CLI (issue 21): chain transactions and wall time of creating W container
 * machines on one network (bench/programs/machines: two dependency waves) on a sim local grid of 3 nodes (`BENCH_NODES`; 4 for W=100) in a
 * directory of its own, with the provider's coalescing (default `tfgrid:coalesceMs`), with one deployment version
 * per workload (`tfgrid:coalesceMs` 0), and with `--parallel 1`. Transactions are the user's account nonce on the
 * chain before and after. Also the CLI's fixed cost: a `pulumi preview` that finds no change on the W=3 stack.
 * Each variant runs as a fresh user (its own twin and nonce) and is destroyed after (not timed).
 * Run: node -r @swc-node/register bench/real-engine.bench.ts [W list, default 3,30] [variant numbers, default all: 1,2,3,4]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createChainClient } from '../protocol/chain';
import { cryptoReady, identityFromSecret } from '../protocol/common/identity';
import { addGridUser, startLocalGrid, stopLocalGrid } from '../local/grid/grid';
import { runExample } from '../local/grid/example-runner';
import type { GridState } from '../local/grid/state';

const PROGRAM = path.join(__dirname, 'programs', 'machines');
/** Sim nodes (16 GiB, about 8.4 GiB free each): 250 MiB machines, at most 33 a node. `BENCH_NODES` for more. */
const NODES = Number(process.env.BENCH_NODES ?? 3);

interface Variant {
  label: string;
  config: Record<string, string>;
  parallel?: number;
}
const VARIANTS: Variant[] = [
  { label: 'coalesced (default)', config: {} },
  { label: 'coalesceMs 0', config: { 'tfgrid:coalesceMs': '0' } },
  { label: '--parallel 1', config: {}, parallel: 1 },
  // the CLI's default --parallel is 4 × the CPUs (8 here): more machines than that reach the plugin in rounds
  { label: '--parallel 256', config: {}, parallel: 256 },
];

async function nonce(grid: GridState, address: string): Promise<number> {
  const chain = await createChainClient({ urls: [grid.chain!.url] });
  try {
    const info = (await chain.api.query.system.account(address)) as unknown as { nonce: { toNumber(): number } };
    return info.nonce.toNumber();
  } finally {
    await chain.close();
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '3,30').split(',').map(Number);
  const variants = process.argv[3] ? process.argv[3].split(',').map((i) => VARIANTS[Number(i) - 1]) : VARIANTS;
  const dir = path.join(os.tmpdir(), `tfgrid-bench-real-engine-${process.pid}`);
  const t0 = Date.now();
  const grid = await startLocalGrid({ dir, nodes: NODES, backend: 'sim', chainPort: 0, relayPort: 0, hubPort: 0, announce: () => undefined });
  console.log(`sim grid up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  await cryptoReady();
  const rows: string[] = [];
  let fixed = '';
  try {
    for (const w of sizes) {
      for (const v of variants) {
        const user = await addGridUser(dir);
        const address = identityFromSecret(user.mnemonic, 'sr25519').address;
        const stack = `w${w}-${v.label.replace(/[^a-z0-9]+/gi, '-')}`.toLowerCase();
        const config = { count: String(w), nodes: String(NODES), ...v.config, 'tfgrid:mnemonic': user.mnemonic };
        const run = (mode: 'up' | 'preview' | 'destroy') => runExample({ programDir: PROGRAM, grid, mode, stack, config, stackOptions: v.parallel ? { parallel: v.parallel } : {} });
        const n0 = await nonce(grid, address);
        const s = Date.now();
        const up = await run('up');
        const secs = (Date.now() - s) / 1000;
        if (!up.ok) throw new Error(`up ${stack}: ${up.errors.join('\n')}\n${up.log.slice(-2000)}`);
        const tx = (await nonce(grid, address)) - n0;
        const row = `| ${w} | ${v.label} | ${tx} | ${secs.toFixed(1)} |`;
        console.log(row);
        rows.push(row);
        if (w === sizes[0] && v === variants[0]) {
          const p0 = Date.now();
          const p = await run('preview');
          if (!p.ok || p.steps.some((x) => x.op !== 'same')) throw new Error(`the no-change preview changed something: ${JSON.stringify(p.steps)}`);
          fixed = `no-change preview of the W=${w} stack (${p.steps.length} resources): ${((Date.now() - p0) / 1000).toFixed(1)} s`;
          console.log(fixed);
        }
        const down = await run('destroy');
        if (!down.ok) throw new Error(`destroy ${stack}: ${down.errors.join('\n')}`);
        fs.rmSync(path.join(PROGRAM, `Pulumi.${stack}.yaml`), { force: true }); // the grid and its state go too
      }
    }
  } finally {
    await stopLocalGrid({ dir });
  }
  console.log(`\nload ${os.loadavg()[0].toFixed(1)}, ${os.cpus().length} cores, ${NODES} sim nodes\n| W | variant | chain tx | up wall s |\n|---|---|---|---|\n${rows.join('\n')}\n${fixed}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
