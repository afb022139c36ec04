/**
 * Provider benchmark (issue 6): chain transactions, RMB calls and wall time per `up` against the number of
 * workloads, for the coalescing coordinator (one deployment per node group) next to a one-deployment-per-workload
 * baseline without coalescing (what the peers do: one contract and one transaction per resource), through the provider methods (`provider/dynamic-entry`) against the in-memory grid double. Prints
 * counts and ratios; the absolute times only say how much the provider itself costs (the double answers at once).
 * Run: node -r @swc-node/register bench/provider.bench.ts
 */
import * as entry from '../provider/dynamic-entry';
import { resetRuntime, setGridFactory } from '../provider/runtime';
import { GridDouble } from '../test/provider/grid-double';

type Props = Record<string, unknown>;

async function upMachines(n: number, perWorkloadDeployment: boolean): Promise<{ tx: number; chainOps: number; rmb: number; ms: number; contracts: number }> {
  await resetRuntime();
  const grid = new GridDouble([{ id: 1, publicIpv4: '185.1.1.2/24' }, { id: 2 }, { id: 3 }]);
  setGridFactory(async () => ({ deps: grid.deps({ sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) }), close: () => {} }));
  entry.configure((k) => ({ 'tfgrid:coalesceMs': perWorkloadDeployment ? '0' : '5', 'tfgrid:mnemonic': 'bench' })[k]);
  const t0 = process.hrtime.bigint();
  const netIn = (await entry.check('Network', {}, { name: 'net', nodes: [1, 2, 3] })).inputs as Props;
  const net = await entry.create('Network', netIn);
  const subnets = (net.outs as Props).nodeSubnets;
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const node = (i % 3) + 1;
      const raw = {
        node,
        deployment: perWorkloadDeployment ? `vm${i}` : 'stack',
        name: `vm${i}`,
        flist: 'https://hub.grid.tf/x.flist',
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
  return { tx: grid.counters.transactions, chainOps: grid.counters.chainOps, rmb: grid.counters.rmbCalls, ms, contracts: grid.activeContracts().length };
}

async function main(): Promise<void> {
  const rows: string[] = ['workloads | mode            | chain tx | chain ops | contracts | rmb calls | wall ms'];
  for (const n of [3, 12, 30, 60]) {
    const co = await upMachines(n, false);
    const base = await upMachines(n, true);
    rows.push(`${String(n).padStart(9)} | coalesced       | ${String(co.tx).padStart(8)} | ${String(co.chainOps).padStart(9)} | ${String(co.contracts).padStart(9)} | ${String(co.rmb).padStart(9)} | ${co.ms.toFixed(0).padStart(7)}`);
    rows.push(`${String(n).padStart(9)} | one-per-workload| ${String(base.tx).padStart(8)} | ${String(base.chainOps).padStart(9)} | ${String(base.contracts).padStart(9)} | ${String(base.rmb).padStart(9)} | ${base.ms.toFixed(0).padStart(7)}`);
    rows.push(`${' '.repeat(9)} | ratio base/co   | ${(base.tx / co.tx).toFixed(1).padStart(8)} | ${(base.chainOps / co.chainOps).toFixed(1).padStart(9)} | ${(base.contracts / co.contracts).toFixed(1).padStart(9)} | ${(base.rmb / co.rmb).toFixed(1).padStart(9)} |`);
  }
  await resetRuntime();
  process.stdout.write(`${rows.join('\n')}\n(network on 3 nodes included; machines spread over 3 nodes; grid = in-memory double)\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
