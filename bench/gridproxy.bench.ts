/**
 * Node discovery through the grid proxy vs the chain + RMB scan (issue 14): for a grid of 3 and of 20 sim nodes
 * (the provider grid: local chain, our relay, in-process node runtimes and the grid proxy of local/gridproxy),
 * one `findNodes` with a filter through each path — RMB round trips made by the provider, proxy HTTP queries,
 * wall time. The chain path's cost grows with the grid (a chain read per farm and node, an RMB call per node);
 * the proxy path's does not. The proxy's own polling of the nodes is in the background and not counted.
 * Run: node -r @swc-node/register bench/gridproxy.bench.ts [sizes, default 3,20]
 * @module
 */
import { findNodes, nodePickerInputsSchema, pickBest } from '../provider/resources/node-picker';
import type { GridProxyApi } from '../provider/grid-proxy';
import { startProviderGrid } from '../test/provider/provider-grid';
import { stopTestRun } from '../test/helpers/test-chain-run';

async function measure(size: number): Promise<void> {
  const g = await startProviderGrid({ nodes: size });
  try {
    const user = await g.user();
    const conn = await g.connect(user);
    // wait until the proxy has heard every node of this grid
    const farm = g.testGrid.farmId;
    for (let i = 0; i < 120; i++) {
      const up = await fetch(`${g.gridProxy.url}/nodes?farm_ids=${farm}&status=up&size=100`).then((r) => r.json() as Promise<unknown[]>);
      if (up.length === size) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const f = nodePickerInputsSchema.parse({ farmId: farm, memory: '1GiB', domain: true });
    const proxy = conn.deps.gridProxy as GridProxyApi;
    let queries = 0;
    const counted: GridProxyApi = { ...proxy, nodes: (q) => (queries++, proxy.nodes(q)), node: (id) => (queries++, proxy.node(id)), contracts: (q) => (queries++, proxy.contracts(q)) };
    const rows: string[] = [];
    for (const [label, deps] of [
      ['proxy', { ...conn.deps, gridProxy: counted }],
      ['chain+RMB', { ...conn.deps, gridProxy: undefined }],
    ] as const) {
      const rmb0 = conn.counters.rmbCalls;
      queries = 0;
      const t0 = process.hrtime.bigint();
      const cands = await findNodes(deps, f);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const best = pickBest(cands, f)?.node.nodeId;
      rows.push(
        `nodes ${String(size).padStart(3)}  ${label.padEnd(10)} RMB calls ${String(conn.counters.rmbCalls - rmb0).padStart(4)}  proxy queries ${String(queries).padStart(2)}  ${ms.toFixed(0).padStart(6)} ms  picked node ${best}`,
      );
    }
    for (const r of rows) console.log(r);
  } finally {
    await g.close();
  }
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '3,20').split(',').map(Number);
  try {
    for (const s of sizes) await measure(s);
  } finally {
    await stopTestRun();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
