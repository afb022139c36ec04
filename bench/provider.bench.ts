/**
 * Provider benchmark (issue 6, DESIGN.md §4 coalescing): chain transactions, RMB calls and wall time per `up` of a
 * network on 3 nodes plus N machines, through the provider methods (`provider/dynamic-entry`) on the real pieces:
 * the local TFChain (chopsticks, started for this run and stopped at the end), our relay and 3 sim node runtimes
 * (test/provider/provider-grid.ts). Two modes side by side: the coalescing coordinator (one deployment per node
 * group) and the peers' one-deployment-per-workload baseline without coalescing (one contract and one transaction
 * per resource). Chain transactions are read from the chain (the user's account nonce), RMB calls counted on the
 * connection; each mode runs with a fresh user, connected before the clock starts.
 * Run: node -r @swc-node/register bench/provider.bench.ts [sizes, default 3,12,30]
 */
import * as entry from '../provider/dynamic-entry';
import { getRuntime, resetRuntime, setGridFactory } from '../provider/runtime';
import type { InstrumentedConnection } from '../test/provider/grid-faults';
import { startProviderGrid, type ProviderGrid } from '../test/provider/provider-grid';
import { stopTestRun } from '../test/helpers/test-chain-run';

type Props = Record<string, unknown>;

interface Row {
  tx: number;
  rmb: number;
  contracts: number;
  ms: number;
}

async function upMachines(g: ProviderGrid, n: number, perWorkloadDeployment: boolean): Promise<Row> {
  await resetRuntime();
  const user = await g.user();
  let conn: InstrumentedConnection | undefined;
  setGridFactory(async () => (conn = await g.connect(user)));
  const cfg = g.providerConfig(user, { 'tfgrid:coalesceMs': perWorkloadDeployment ? '0' : '50' });
  entry.configure((k) => cfg[k]);
  await getRuntime(); // twin creation is not part of an up
  const tx0 = await g.transactions(user);
  const rmb0 = conn!.counters.rmbCalls;
  const t0 = process.hrtime.bigint();
  const net = await entry.create('Network', (await entry.check('Network', {}, { name: 'net', nodes: g.nodeIds })).inputs as Props);
  const subnets = (net.outs as Props).nodeSubnets;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const raw = {
        node: g.nodeIds[i % 3],
        deployment: perWorkloadDeployment ? `vm${i}` : 'stack',
        name: `vm${i}`,
        flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
        network: { name: 'net', subnets },
        cpu: 1,
        memory: '256MiB',
      };
      const c = await entry.check('ZMachine', {}, raw);
      if (c.failures?.length) throw new Error(JSON.stringify(c.failures));
      await entry.create('ZMachine', c.inputs as Props);
    }),
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { tx: (await g.transactions(user)) - tx0, rmb: conn!.counters.rmbCalls - rmb0, contracts: (await g.activeContracts(user)).length, ms };
}

const pad = (v: string | number, w: number) => String(v).padStart(w);

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '3,12,30').split(',').map(Number);
  const g = await startProviderGrid();
  try {
    const rows: string[] = ['workloads | mode             | chain tx | contracts | rmb calls | wall ms | ms/workload'];
    for (const n of sizes) {
      const co = await upMachines(g, n, false);
      const base = await upMachines(g, n, true);
      const line = (mode: string, r: Row) =>
        `${pad(n, 9)} | ${mode.padEnd(16)} | ${pad(r.tx, 8)} | ${pad(r.contracts, 9)} | ${pad(r.rmb, 9)} | ${pad(r.ms.toFixed(0), 7)} | ${pad((r.ms / n).toFixed(0), 11)}`;
      rows.push(line('coalesced', co), line('one-per-workload', base));
      rows.push(
        `${' '.repeat(9)} | ratio base/co    | ${pad((base.tx / co.tx).toFixed(1), 8)} | ${pad((base.contracts / co.contracts).toFixed(1), 9)} | ${pad((base.rmb / co.rmb).toFixed(1), 9)} | ${pad((base.ms / co.ms).toFixed(1), 7)} |`,
      );
      process.stdout.write(`${rows.slice(-3).join('\n')}\n`);
    }
    process.stdout.write(`\n${rows.join('\n')}\n(network on 3 nodes included; machines spread over 3 nodes; grid = local TFChain + our relay + 3 sim node runtimes)\n`);
  } finally {
    await resetRuntime();
    setGridFactory(undefined);
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
