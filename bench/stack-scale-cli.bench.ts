/**
 * The real-CLI row of `bench/stack-scale.bench.ts`: the same stack (bench/programs/stack: network, disks, zdbs,
 * machines, gateways) through the Pulumi CLI (Automation API, `local/pulumi`) on a sim local grid of N nodes: `up`,
 * a no-op `up`, an update of 10% (`grown`: every second zdb grows), `destroy`. Per step: wall time (child process,
 * program load, CLI, plugin start, chain and nodes), chain transactions (the user's nonce), blocks the chain built,
 * and the largest resident set among the CLI's descendant processes (the language host, the program and the
 * dynamic provider run there; sampled every 200 ms from /proc). RMB calls are not visible from outside.
 * Run: `node -r @swc-node/register bench/stack-scale-cli.bench.ts [W, default 100] [N, default 5]`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createChainClient, type ChainClient } from '../protocol/chain';
import { cryptoReady, identityFromSecret } from '../protocol/common/identity';
import { addGridUser, startLocalGrid, stopLocalGrid } from '../local/grid/grid';
import { runExample } from '../local/grid/example-runner';

const PROGRAM = path.join(__dirname, 'programs', 'stack');

/** Pids of `root` and every process below it (from /proc/<pid>/stat's parent field). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const w = Number(process.argv[2] ?? 100);
  const nodes = Number(process.argv[3] ?? 5);
  const dir = path.join(os.tmpdir(), `tfgrid-bench-stack-cli-${process.pid}`);
  const grid = await startLocalGrid({ dir, nodes, backend: 'sim', chainPort: 0, relayPort: 0, hubPort: 0, announce: () => undefined });
  await cryptoReady();
  const chain: ChainClient = await createChainClient({ urls: [grid.chain!.url] });
  const rows: string[] = [];
  try {
    const user = await addGridUser(dir);
    const address = identityFromSecret(user.mnemonic, 'sr25519').address;
    const nonce = async () => ((await chain.api.query.system.account(address)) as unknown as { nonce: { toNumber(): number } }).nonce.toNumber();
    const head = async () => (await chain.api.rpc.chain.getHeader()).number.toNumber();
    const stack = `w${w}`;
    const tag = Math.random().toString(36).slice(2, 8);
    const steps: { step: string; mode: 'up' | 'destroy'; grown: boolean }[] = [
      { step: 'up', mode: 'up', grown: false },
      { step: 'noop', mode: 'up', grown: false },
      { step: 'update', mode: 'up', grown: true },
      { step: 'destroy', mode: 'destroy', grown: true },
    ];
    for (const s of steps) {
      let peak = 0;
      let root: number | undefined;
      const sampler = setInterval(() => {
        if (root !== undefined) for (const pid of descendants(root)) peak = Math.max(peak, rssMiB(pid));
      }, 200);
      const [n0, b0, t0] = [await nonce(), await head(), Date.now()];
      const config = { count: String(w), nodes: String(nodes), tag, grown: String(s.grown), 'tfgrid:mnemonic': user.mnemonic };
      const r = await runExample({ programDir: PROGRAM, grid, mode: s.mode, stack, config, stackOptions: { parallel: 256, onSpawn: (pid) => (root = pid) } }).finally(() => clearInterval(sampler));
      const secs = (Date.now() - t0) / 1000;
      if (!r.ok) throw new Error(`${s.step} ${stack}: ${r.errors.join('\n')}\n${r.log.slice(-2000)}`);
      const row = `| ${w} | ${nodes} | ${s.step} (Pulumi CLI, --parallel 256) | ${secs.toFixed(1)} | ${(await nonce()) - n0} | ${(await head()) - b0} | ${peak.toFixed(0)} |`;
      console.log(row);
      rows.push(row);
    }
    fs.rmSync(path.join(PROGRAM, `Pulumi.${stack}.yaml`), { force: true });
  } finally {
    await chain.close();
    await stopLocalGrid({ dir });
  }
  console.log(`\nload ${os.loadavg()[0].toFixed(1)}\n| W | N | step | wall s | chain tx | blocks | largest CLI descendant RSS MiB |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
