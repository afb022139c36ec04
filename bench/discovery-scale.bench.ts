/**
 * Discovery cost against grid size (issue 14: "the number of chain reads and RMB calls of `up`/`destroy` must not
 * grow with the number of nodes and contracts on the grid"). For N = 3 and 50 sim nodes on one farm, with 2·N
 * contracts of another twin on them, one stack through the provider methods (`provider/dynamic-entry`): a
 * `NodePicker` in the farm, a `Zdb` on the picked node and a `NameProxy` (own name contract) on the gateway node;
 * then `destroy` of all three. Counted on the provider's connection (test/provider/grid-faults.ts `instrument`):
 * chain reads per method, chain transactions, RMB calls, grid proxy requests per endpoint.
 * Run: `node -r @swc-node/register bench/discovery-scale.bench.ts [N,N,…]` (default 3,50).
 */
import * as entry from '../provider/dynamic-entry';
import { getRuntime, resetRuntime, setGridFactory } from '../provider/runtime';
import type { GridCounters, InstrumentedConnection } from '../test/provider/grid-faults';
import { startProviderGrid, uniqueTag, type ProviderGrid } from '../test/provider/provider-grid';
import { stopTestRun } from '../test/helpers/test-chain-run';

type Props = Record<string, unknown>;

interface Counts {
  chainReads: number;
  reads: Record<string, number>;
  tx: number;
  rmb: number;
  proxy: number;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const snapshot = (c: GridCounters) => ({ ...c, chainReads: { ...c.chainReads }, proxyCalls: { ...c.proxyCalls } });
function delta(after: GridCounters, before: GridCounters): Counts {
  const reads: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.chainReads)) if (v - (before.chainReads[k] ?? 0) > 0) reads[k] = v - (before.chainReads[k] ?? 0);
  return { chainReads: sum(reads), reads, tx: after.transactions - before.transactions, rmb: after.rmbCalls - before.rmbCalls, proxy: sum(after.proxyCalls) - sum(before.proxyCalls) };
}

/** Contracts of another twin on the grid's nodes: what a busy grid holds and a scan would walk through. */
async function unrelatedContracts(g: ProviderGrid, count: number): Promise<void> {
  const other = await g.connect(await g.user());
  await other.deps.chain.twinId();
  const ops = Array.from({ length: count }, (_, i) => ({ kind: 'createNode' as const, nodeId: g.nodeIds[i % g.nodeIds.length], hash: i.toString(16).padStart(32, '0'), data: '', publicIps: 0 }));
  for (let i = 0; i < ops.length; i += 50) await other.deps.chain.submit(ops.slice(i, i + 50));
}

/** Until the grid proxy lists every node of the farm (it polls the chain). */
async function proxyIndexed(g: ProviderGrid): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const res = await fetch(`${g.gridProxy.url}/nodes?farm_ids=${g.testGrid.farmId}&size=100`);
    if (res.ok && ((await res.json()) as unknown[]).length === g.nodeIds.length) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the grid proxy did not index every node within 60 s');
}

async function run(g: ProviderGrid): Promise<{ up: Counts; destroy: Counts }> {
  await resetRuntime();
  const user = await g.user();
  let conn: InstrumentedConnection | undefined;
  setGridFactory(async () => (conn = await g.connect(user)));
  const cfg = g.providerConfig(user);
  entry.configure((k) => cfg[k]);
  await getRuntime(); // twin creation is not part of an up
  const checked = async (type: string, raw: Props) => {
    const c = await entry.check(type, {}, raw);
    if (c.failures?.length) throw new Error(`${type}: ${JSON.stringify(c.failures)}`);
    return c.inputs as Props;
  };
  const c0 = snapshot(conn!.counters);
  const picker = await entry.create('NodePicker', await checked('NodePicker', { cpu: 1, memory: '1GiB', farmId: g.testGrid.farmId }));
  const node = (picker.outs as Props).nodeId as number;
  const zdb = await entry.create('Zdb', await checked('Zdb', { name: 'db', node, size: '1GiB', deployment: 'stack' }));
  const gw = await entry.create('NameProxy', await checked('NameProxy', { name: 'gw', node: g.nodeIds[0], deployment: 'gw', subdomain: `scale${uniqueTag()}`, backends: ['http://185.69.0.9:80'] }));
  const c1 = snapshot(conn!.counters);
  await entry.delete('NameProxy', gw.id, gw.outs as Props);
  await entry.delete('Zdb', zdb.id, zdb.outs as Props);
  await entry.delete('NodePicker', picker.id, picker.outs as Props);
  const c2 = snapshot(conn!.counters);
  if ((await g.activeContracts(user)).length !== 0) throw new Error('destroy left contracts');
  return { up: delta(c1, c0), destroy: delta(c2, c1) };
}

const pad = (v: string | number, w: number) => String(v).padStart(w);
const line = (n: number, phase: string, c: Counts) =>
  `${pad(n, 5)} | ${phase.padEnd(7)} | ${pad(c.chainReads, 10)} | ${pad(c.tx, 8)} | ${pad(c.rmb, 9)} | ${pad(c.proxy, 11)} | ${Object.entries(c.reads)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`;

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '3,50').split(',').map(Number);
  const rows = ['nodes | phase   | chain reads | chain tx | rmb calls | proxy calls | reads by method'];
  try {
    for (const n of sizes) {
      const g = await startProviderGrid({ nodes: n });
      try {
        await unrelatedContracts(g, 2 * n);
        await proxyIndexed(g);
        const r = await run(g);
        rows.push(line(n, 'up', r.up), line(n, 'destroy', r.destroy));
        process.stdout.write(`${rows.slice(-2).join('\n')}\n`);
      } finally {
        await resetRuntime();
        setGridFactory(undefined);
        await g.close();
      }
    }
    process.stdout.write(`\n${rows.join('\n')}\n(N sim nodes on one farm, 2·N contracts of another twin; one NodePicker, Zdb and NameProxy)\n`);
  } finally {
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
