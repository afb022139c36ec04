/**
 * Replacing every machine of one deployment group (issue 18.1): what a delete-before-replace of N machines that
 * share a disk costs, through the provider methods (`provider/dynamic-entry`) as the Pulumi engine calls them
 * (per machine, in parallel: delete, then create), on the local TFChain, our relay and one sim node whose backend
 * calls take 100 ms each (removal and provisioning as slow as on a real node). Counted: deployment versions the
 * node saw, chain transactions (account nonce), RMB calls, and wall time of the round. The provider waits until the
 * node has removed the old machines before it sends the new ones, so a round is one version that removes them and
 * at least one that adds them back.
 * Run: node -r @swc-node/register bench/replace.bench.ts [sizes, default 3,10]
 */
import * as entry from '../provider/dynamic-entry';
import { getRuntime, resetRuntime, setGridFactory } from '../provider/runtime';
import type { InstrumentedConnection } from '../test/provider/grid-faults';
import { startProviderGrid, type ProviderGrid } from '../test/provider/provider-grid';
import { stopTestRun } from '../test/helpers/test-chain-run';

type Props = Record<string, unknown>;

async function checked(type: string, olds: Props, raw: Props): Promise<Props> {
  const c = await entry.check(type, olds, raw);
  if (c.failures?.length) throw new Error(JSON.stringify(c.failures));
  return c.inputs as Props;
}

async function round(g: ProviderGrid, n: number): Promise<string> {
  await resetRuntime();
  const user = await g.user();
  let conn: InstrumentedConnection | undefined;
  setGridFactory(async () => (conn = await g.connect(user)));
  const cfg = g.providerConfig(user);
  entry.configure((k) => cfg[k]);
  await getRuntime();
  const node = g.nodeIds[0];
  const group = `rep${n}`;
  const net = await entry.create('Network', await checked('Network', {}, { name: `net${n}`, nodes: [node] }));
  const disk = await entry.create('ZMount', await checked('ZMount', {}, { node, deployment: group, name: 'data', size: '1GiB' }));
  const raw = (i: number, memory: string): Props => ({
    node,
    deployment: group,
    name: `vm${i}`,
    flist: 'https://hub.grid.tf/tf-official-apps/base:latest.flist',
    network: { name: `net${n}`, subnets: (net.outs as Props).nodeSubnets },
    cpu: 1,
    memory,
    mounts: [{ name: 'data', node, deployment: group, mountpoint: '/data' }],
  });
  const vms = await Promise.all(Array.from({ length: n }, async (_, i) => entry.create('ZMachine', await checked('ZMachine', {}, raw(i, '256MiB')))));
  const contract = Number((disk.outs as Props).contractId);
  const version = async () => (await conn!.deps.node(node).then((api) => api.get(contract))).version;

  const v0 = await version();
  const tx0 = await g.transactions(user);
  const rmb0 = conn!.counters.rmbCalls;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    vms.map(async (vm, i) => {
      const news = await checked('ZMachine', vm.outs as Props, raw(i, '512MiB'));
      await entry.delete('ZMachine', vm.id, vm.outs as Props);
      await entry.create('ZMachine', news);
    }),
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rmb = conn!.counters.rmbCalls - rmb0;
  const tx = (await g.transactions(user)) - tx0;
  const versions = (await version()) - v0;
  return `${String(n).padStart(8)} | ${String(versions).padStart(8)} | ${String(tx).padStart(8)} | ${String(rmb).padStart(9)} | ${ms.toFixed(0).padStart(7)}`;
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '3,10').split(',').map(Number);
  const g = await startProviderGrid({ nodes: 1, simDelayMs: 100 });
  try {
    const rows = ['machines | versions | chain tx | rmb calls | wall ms'];
    for (const n of sizes) {
      rows.push(await round(g, n));
      process.stdout.write(`${rows[rows.length - 1]}\n`);
    }
    process.stdout.write(`\n${rows.join('\n')}\n(one replace round of N machines sharing a disk; sim node, 100 ms per backend call)\n`);
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
