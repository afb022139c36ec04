/**
 * Node runtime benchmark (sim backends): deploy→ok latency and deployments per second, in process (engine +
 * API) and through our relay with a signed RMB round trip per call. Chain reads come from an in-memory view
 * (test/node/fixtures MemoryChain) so the figures are the node's own cost.
 * Run: node -r @swc-node/register bench/node.bench.ts [deployments]
 * @module
 */
import { cryptoReady } from '../protocol/common/identity';
import { createRmbPeer } from '../protocol/rmb/peer';
import { createRelay } from '../protocol/rmb/relay';
import { createStaticTwinDirectory } from '../protocol/rmb/twin-directory';
import { dispatch } from '../node/api/routes';
import { serveRoutes } from '../node/runtime';
import { buildDeployment, NODE_ID, SAMPLE, signedPayload, startSimNode, testIdentity } from '../test/node/fixtures';

const N = Number(process.argv[2] ?? 300);
const USER = 7;
const NODE_TWIN = 2;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  await cryptoReady();
  const user = testIdentity(1);
  const nodeKey = testIdentity(2);
  const node = await startSimNode('tfg-bench-node-', { [USER]: user }, { resources: { cru: 64, mru: '4TiB', sru: '100TiB', hru: '100TiB' } });
  const { chain, storage, routes, engine } = node;

  const payloads = (from: number) =>
    Array.from({ length: N }, (_, i) => {
      const d = buildDeployment(USER, BigInt(from + i), [SAMPLE.disk, SAMPLE.vol, SAMPLE.db], { metadata: `b${from + i}` });
      chain.contractFor(d, NODE_ID);
      return { contract: d.contract_id, text: signedPayload(d, user) };
    });
  const isOk = (c: bigint) => {
    const dl = storage.get(USER, c);
    return !!dl && dl.workloads.every((w) => w.result.state === 'ok');
  };
  const waitOk = async (c: bigint) => {
    while (!isOk(c)) await new Promise((r) => setTimeout(r, 1));
  };

  // 1. in process, one at a time: deploy → ok latency
  const seq = payloads(1_000);
  const lat: number[] = [];
  const t0 = performance.now();
  for (const p of seq) {
    const s = performance.now();
    const r = await dispatch(routes, 'zos.deployment.deploy', USER, p.text);
    if (!r.ok) throw new Error(r.error);
    await waitOk(p.contract);
    lat.push(performance.now() - s);
  }
  const seqS = (performance.now() - t0) / 1000;

  // 2. in process, all submitted at once: accepted/s and ok/s
  const burst = payloads(10_000);
  const t1 = performance.now();
  await Promise.all(burst.map((p) => dispatch(routes, 'zos.deployment.deploy', USER, p.text)));
  const accepted = (performance.now() - t1) / 1000;
  await engine.idle();
  const burstS = (performance.now() - t1) / 1000;
  if (!burst.every((p) => isOk(p.contract))) throw new Error('burst: not every deployment reached ok');

  // 3. through the relay: signed envelopes both ways, client polls `get` like grid_client (but without 1 s sleeps)
  const directory = createStaticTwinDirectory([
    { id: USER, publicKey: user.publicKey, relay: 'localhost' },
    { id: NODE_TWIN, publicKey: nodeKey.publicKey, relay: 'localhost' },
  ]);
  const relay = await createRelay({ port: 0, host: '127.0.0.1', directory, domain: 'localhost' });
  const nodePeer = createRmbPeer({ identity: nodeKey, twinId: NODE_TWIN, relayUrls: [relay.url], directory, session: '', e2e: false });
  serveRoutes(nodePeer, routes);
  const userPeer = createRmbPeer({ identity: user, twinId: USER, relayUrls: [relay.url], directory, e2e: false });
  await Promise.all([nodePeer.ready(), userPeer.ready()]);
  const viaRmb = payloads(100_000).slice(0, Math.min(N, 200));
  const rlat: number[] = [];
  const t2 = performance.now();
  for (const p of viaRmb) {
    const s = performance.now();
    await userPeer.callRaw(NODE_TWIN, 'zos.deployment.deploy', p.text);
    for (;;) {
      const got = JSON.parse(await userPeer.callRaw(NODE_TWIN, 'zos.deployment.get', JSON.stringify({ contract_id: Number(p.contract) }))) as {
        workloads: { result: { state: string } }[];
      };
      if (got.workloads.every((w) => w.result.state === 'ok')) break;
    }
    rlat.push(performance.now() - s);
  }
  const rmbS = (performance.now() - t2) / 1000;

  process.stdout.write(
    [
      `node bench (sim backends, 3 workloads per deployment, SQLite synchronous=FULL)`,
      `in process, sequential: ${N} deployments, deploy→ok p50 ${fmt(pct(lat, 50))} p95 ${fmt(pct(lat, 95))} p99 ${fmt(pct(lat, 99))}; ${(N / seqS).toFixed(0)} deployments/s`,
      `in process, burst:      ${N} deployments accepted in ${accepted.toFixed(2)} s (${(N / accepted).toFixed(0)}/s), all ok after ${burstS.toFixed(2)} s (${(N / burstS).toFixed(0)} deployments/s)`,
      `through relay:          ${viaRmb.length} deployments, deploy→ok p50 ${fmt(pct(rlat, 50))} p95 ${fmt(pct(rlat, 95))}; ${(viaRmb.length / rmbS).toFixed(0)} deployments/s`,
      '',
    ].join('\n'),
  );
  await userPeer.close();
  await nodePeer.close();
  await relay.close();
  await node.close();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
