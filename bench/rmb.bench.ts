/**
 * RMB through our relay on loopback (rmb-tfchain.md §A): round trips per second and latency percentiles
 * between two peers, sequential and with 64 requests in flight, plain and end-to-end encrypted. Peers and
 * relay share this one process (and, here, two cores with everything else), so the figures are a floor.
 * Run: node -r @swc-node/register bench/rmb.bench.ts [--n 2000]
 * @module
 */
import { cryptoReady, identityFromSecret } from '../protocol/common/identity';
import { e2ePublicKey } from '../protocol/rmb/e2e';
import { createRmbPeer, type RmbPeer } from '../protocol/rmb/peer';
import { createRelay } from '../protocol/rmb/relay';
import { createStaticTwinDirectory } from '../protocol/rmb/twin-directory';

const N = Number(process.argv[process.argv.indexOf('--n') + 1]) || 2000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label: string, a: RmbPeer, n: number, concurrency: number, encrypt: boolean): Promise<void> {
  const lat: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      const r = await a.call<{ i: number }>(2, 'bench.echo', { i }, { encrypt, timeoutMs: 60_000 });
      if (r.i !== i) throw new Error(`reply ${r.i} matched to request ${i}`);
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  lat.sort((x, y) => x - y);
  const f = (v: number) => v.toFixed(2).padStart(8);
  console.log(
    `${label.padEnd(34)} ${String(n).padStart(6)} calls ${(n / secs).toFixed(0).padStart(7)} rt/s   p50 ${f(percentile(lat, 50))} ms  p95 ${f(percentile(lat, 95))} ms  p99 ${f(percentile(lat, 99))} ms`,
  );
}

async function main(): Promise<void> {
  await cryptoReady();
  const directory = createStaticTwinDirectory();
  const ids = [
    identityFromSecret('bottom drive obey lake curtain smoke basket hold race lonely fit walk', 'sr25519'),
    identityFromSecret('legal winner thank year wave sausage worth useful legal winner thank yellow', 'ed25519'),
    identityFromSecret('letter advice cage absurd amount doctor acoustic avoid letter advice cage above', 'ed25519'),
  ];
  ids.forEach((id, i) => directory.set({ id: i + 1, publicKey: id.publicKey, relay: 'relay.local', pk: e2ePublicKey(id.seed) }));
  const relay = await createRelay({ directory, domain: 'relay.local' });
  const node = createRmbPeer({ identity: ids[1], twinId: 2, relayUrls: [relay.url], directory, session: '' });
  node.handle('bench.echo', (p) => p);
  const sr = createRmbPeer({ identity: ids[0], twinId: 1, relayUrls: [relay.url], directory });
  const ed = createRmbPeer({ identity: ids[2], twinId: 3, relayUrls: [relay.url], directory });
  await Promise.all([node.ready(), sr.ready(), ed.ready()]);
  await measure('warm-up', ed, 200, 8, false);
  console.log(`rmb through relay on loopback, node signs ed25519; ${N} calls per row`);
  await measure('ed25519 client, sequential', ed, Math.min(N, 1000), 1, false);
  await measure('ed25519 client, 64 in flight', ed, N, 64, false);
  await measure('ed25519 client, 64 in flight, e2e', ed, N, 64, true);
  await measure('sr25519 client, sequential', sr, Math.min(N, 1000), 1, false);
  await measure('sr25519 client, 64 in flight', sr, N, 64, false);
  const stats = relay.stats();
  console.log(`relay routed ${stats.routed} envelopes, rejected ${stats.rejected}, held ${stats.held}`);
  await Promise.all([node.close(), sr.close(), ed.close()]);
  await relay.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
