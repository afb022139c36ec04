/**
 * A stack of W workloads over N sim nodes (issue 16 "Scale"): networks, disks, zdbs, machines and gateways
 * (test/provider/stack-scale.ts: 1 network, 10% gateways, 20% zdbs, machines and their disks; 4 dependency waves).
 * Steps: `up`, a no-op `up`, an update touching 10% (every second zdb grows), `destroy`. Per step: wall time, chain
 * transactions and the contract operations in them, blocks the chain built (instant block mode: one per
 * transaction), chain reads, RMB round trips (node calls), grid proxy requests, and the provider process's peak RSS.
 *
 * The provider methods are driven directly (`provider/dynamic-entry`), as the Pulumi engine calls them: per
 * dependency wave every resource at once (check, then create, or diff and update, or delete). No Pulumi CLI, program
 * or plugin host: those add a fixed cost (`bench/real-engine.bench.ts`). The provider runs in a child process of its
 * own (bench/stack-scale-provider.ts) so its memory is not the grid's; the grid (`test/provider/provider-grid.ts`:
 * the local TFChain, our relay, N in-process sim node runtimes, the grid proxy) runs in this one.
 * Run: `node -r @swc-node/register bench/stack-scale.bench.ts [W list, default 100,300,1000] [N, default 50]`;
 * `STACK_SCALE_NODE_ARGS="--cpu-prof --cpu-prof-dir=build/prof"` passes node options to the provider process.
 */
import { fork, type ChildProcess } from 'child_process';
import * as path from 'path';
import { startProviderGrid, uniqueTag, type ProviderGrid } from '../test/provider/provider-grid';
import { stopTestRun } from '../test/helpers/test-chain-run';
import { stackResources, stackWaves, type StackOptions } from '../test/provider/stack-scale';
import type { ProviderMessage, ProviderReply, Step, StepReport } from './stack-scale-provider';

const STEPS: Step[] = ['up', 'noop', 'update', 'destroy'];

/** Until the grid proxy lists every node of the farm (it polls the chain). */
async function proxyIndexed(g: ProviderGrid): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const res = await fetch(`${g.gridProxy.url}/nodes?farm_ids=${g.testGrid.farmId}&size=100`);
    if (res.ok && ((await res.json()) as unknown[]).length === g.nodeIds.length) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the grid proxy did not index every node within 120 s');
}

function ask(child: ChildProcess, msg: ProviderMessage): Promise<ProviderReply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the provider process exited (${code}) before answering`));
    child.once('exit', onExit);
    child.once('message', (reply: ProviderReply) => {
      child.off('exit', onExit);
      if (reply.kind === 'failed') reject(new Error(`provider process: ${reply.error}`));
      else resolve(reply);
    });
    child.send(msg);
  });
}

async function blockNumber(g: ProviderGrid): Promise<number> {
  return (await g.chain.api.rpc.chain.getHeader()).number.toNumber();
}

interface Row extends StepReport {
  w: number;
  n: number;
  blocks: number;
  waves: number;
}

async function runStack(g: ProviderGrid, w: number): Promise<Row[]> {
  const user = await g.user();
  const stack: StackOptions = { workloads: w, nodeIds: g.nodeIds, gatewayNode: g.nodeIds[0], tag: uniqueTag() };
  const waves = stackWaves(stackResources(stack)).length;
  const child = fork(path.join(__dirname, 'stack-scale-provider.ts'), [], {
    execArgv: ['-r', '@swc-node/register', ...(process.env.STACK_SCALE_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const rows: Row[] = [];
  try {
    await ask(child, { kind: 'init', config: g.providerConfig(user), stack });
    for (const step of STEPS) {
      const b0 = await blockNumber(g);
      const reply = await ask(child, { kind: 'step', step });
      if (reply.kind !== 'done') throw new Error(`unexpected answer ${reply.kind}`);
      rows.push({ ...reply.report, w, n: g.nodeIds.length, blocks: (await blockNumber(g)) - b0, waves });
      process.stdout.write(`${line(rows[rows.length - 1])}\n`);
    }
  } finally {
    child.disconnect();
    await new Promise((r) => child.once('exit', r));
  }
  const left = await g.activeContracts(user);
  if (left.length !== 0) throw new Error(`destroy left ${left.length} contracts: ${left.join(', ')}`);
  return rows;
}

const HEADER = '| W | N | step | waves | wall s | provider CPU s | chain tx | contract ops | blocks | chain reads | RMB calls | deploy/update calls | proxy requests | peak RSS MiB | heap MiB |';
const line = (r: Row) =>
  `| ${r.w} | ${r.n} | ${r.step} | ${r.step === 'noop' ? 0 : r.step === 'update' ? 1 : r.waves} | ${(r.ms / 1000).toFixed(1)} | ${(r.cpuMs / 1000).toFixed(1)} | ${r.tx} | ${r.chainOps} | ${r.blocks} | ${r.chainReads} | ${r.rmb} | ${r.deploys}/${r.updates} | ${r.proxy} | ${r.peakRssMiB.toFixed(0)} | ${r.heapUsedMiB.toFixed(0)} |`;

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '100,300,1000').split(',').map(Number);
  const nodes = Number(process.argv[3] ?? 50);
  const t0 = Date.now();
  const g = await startProviderGrid({ nodes });
  const rows: Row[] = [];
  try {
    await proxyIndexed(g);
    process.stdout.write(`grid of ${nodes} sim nodes up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n${HEADER}\n`);
    for (const w of sizes) rows.push(...(await runStack(g, w)));
    process.stdout.write(
      `\n${HEADER}\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n${rows.map(line).join('\n')}\n` +
        '(provider methods driven per dependency wave as the engine calls them, not the Pulumi CLI; provider in its own process; waves: dependency waves that change)\n' +
        `Per step: wall time of each dependency wave, RMB calls by node command:\n${rows
          .map(
            (r) =>
              `  W=${r.w} ${r.step}: waves ${r.waveMs.map((m) => (m / 1000).toFixed(1)).join(' + ')} s, tx ${r.waveTx.join(' + ')}; RMB ${Object.entries(r.rmbByMethod)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}`,
          )
          .join('\n')}\n`,
    );
  } finally {
    await g.close();
    await stopTestRun();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
