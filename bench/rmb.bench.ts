/**
 * RMB through our relay on loopback (rmb-tfchain.md §A): round trips per second and latency percentiles between
 * two peers, sequential and with 64 requests in flight, plain and end-to-end encrypted, next to a bare `ws` echo
 * measured in the same run (the ceiling: no envelopes, no signatures). Two layouts:
 * - `procs` (as deployed): the relay and the serving node peer each in a process of their own, the calling peer
 *   in this one; the bare baseline goes client → `ws` forwarder process → `ws` echo process (same hops).
 * - `one`: relay, node peer and caller share this process (the layout of the first figures in bench/README.md);
 *   every signature of a round trip is made and checked on one event loop.
 * Run: node -r @swc-node/register bench/rmb.bench.ts [--n 2000] [--layout both|procs|one]
 * Add --cpu-prof --cpu-prof-dir=DIR before -r to get one profile per process.
 * @module
 */
import { fork, type ChildProcess } from 'child_process';
import { loadavg } from 'os';
import WebSocket from 'ws';
import { createRmbPeer, type RmbPeer } from '../protocol/rmb/peer';
import { createRelay } from '../protocol/rmb/relay';
import { benchTwins, startEcho, startNodePeer } from './rmb-bench-roles';

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const N = Number(arg('--n')) || 2000;
const LAYOUT = arg('--layout') ?? 'both';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CPU microseconds (user + system) used so far by this process and each bench child, by role. */
async function cpuByRole(): Promise<Map<string, number>> {
  const own = process.cpuUsage();
  const out = new Map<string, number>([['client', own.user + own.system]]);
  await Promise.all(
    [...children].map(
      ([role, child]) =>
        new Promise<void>((resolve) => {
          child.once('message', (m: { cpu: NodeJS.CpuUsage }) => {
            out.set(role, m.cpu.user + m.cpu.system);
            resolve();
          });
          child.send('cpu');
        }),
    ),
  );
  return out;
}

/**
 * Runs `n` calls of `call`, `concurrency` at a time, and prints the rate, latency percentiles and the CPU time
 * each process spent per round trip (load-independent where the rate is not: 8 engineers share 2 cores).
 */
async function measure(label: string, n: number, concurrency: number, call: (i: number) => Promise<void>): Promise<void> {
  const cpu0 = await cpuByRole();
  const lat: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      await call(i);
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  lat.sort((x, y) => x - y);
  const cpu1 = await cpuByRole();
  const perRt = [...cpu1].map(([role, us]) => `${role} ${((us - (cpu0.get(role) ?? 0)) / n).toFixed(0)}`).join(' ');
  const f = (v: number) => v.toFixed(2).padStart(7);
  console.log(
    `${label.padEnd(40)} ${String(n).padStart(6)} calls ${(n / secs).toFixed(0).padStart(6)} rt/s  p50 ${f(percentile(lat, 50))} p95 ${f(percentile(lat, 95))} p99 ${f(percentile(lat, 99))} ms  cpu µs/rt: ${perRt}`,
  );
}

function rmbCall(peer: RmbPeer, encrypt: boolean): (i: number) => Promise<void> {
  return async (i) => {
    const r = await peer.call<{ i: number }>(2, 'bench.echo', { i }, { encrypt, timeoutMs: 60_000 });
    if (r.i !== i) throw new Error(`reply ${r.i} matched to request ${i}`);
  };
}

/** A bare ws client: 4-byte id + 200 bytes (about an envelope's size), replies matched by id. */
async function bareClient(url: string): Promise<{ call(i: number): Promise<void>; close(): void }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const waiting = new Map<number, () => void>();
  ws.on('message', (d: Buffer) => {
    const id = d.readUInt32BE(0);
    waiting.get(id)?.();
    waiting.delete(id);
  });
  const body = Buffer.alloc(204, 7);
  return {
    call: (i) =>
      new Promise<void>((resolve) => {
        waiting.set(i, resolve);
        const frame = Buffer.from(body);
        frame.writeUInt32BE(i, 0);
        ws.send(frame);
      }),
    close: () => ws.close(),
  };
}

/** The bench's child processes by role. */
const children = new Map<string, ChildProcess>();

/** Forks a role of rmb-bench-roles.ts and resolves with the URL it reports. */
function spawnRole(role: string, extra?: string): Promise<string> {
  const child = fork(require.resolve('./rmb-bench-roles'), extra ? [role, extra] : [role], { stdio: 'inherit' });
  children.set(role, child);
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`bench ${role} process exited with ${code}`)));
  });
}

async function stopChildren(): Promise<void> {
  const all = [...children.values()];
  children.clear();
  await Promise.all(all.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.disconnect())))));
}

async function rmbRows(layout: string, relayUrl: string): Promise<RmbPeer[]> {
  const { ids, directory } = await benchTwins();
  const sr = createRmbPeer({ identity: ids[0], twinId: 1, relayUrls: [relayUrl], directory });
  const ed = createRmbPeer({ identity: ids[2], twinId: 3, relayUrls: [relayUrl], directory });
  await Promise.all([sr.ready(), ed.ready()]);
  await measure(`${layout}: warm-up`, 400, 8, rmbCall(ed, false));
  await measure(`${layout}: ed25519 client, sequential`, Math.min(N, 1000), 1, rmbCall(ed, false));
  await measure(`${layout}: ed25519 client, 64 in flight`, N, 64, rmbCall(ed, false));
  await measure(`${layout}: ed25519 client, 64 in flight, e2e`, N, 64, rmbCall(ed, true));
  await measure(`${layout}: sr25519 client, sequential`, Math.min(N, 1000), 1, rmbCall(sr, false));
  await measure(`${layout}: sr25519 client, 64 in flight`, N, 64, rmbCall(sr, false));
  return [sr, ed];
}

async function bareRows(layout: string, url: string): Promise<void> {
  const bare = await bareClient(url);
  await measure(`${layout}: bare ws echo, warm-up`, 2000, 8, bare.call);
  await measure(`${layout}: bare ws echo, sequential`, Math.min(N * 2, 5000), 1, bare.call);
  await measure(`${layout}: bare ws echo, 64 in flight`, N * 5, 64, bare.call);
  bare.close();
}

async function oneProcess(): Promise<void> {
  const echo = await startEcho();
  await bareRows('one', echo.url);
  echo.close();
  const { directory } = await benchTwins();
  const relay = await createRelay({ directory, domain: 'relay.local' });
  const node = await startNodePeer(relay.url);
  const peers = await rmbRows('one', relay.url);
  const stats = relay.stats();
  console.log(`one: relay routed ${stats.routed} envelopes, rejected ${stats.rejected}, held ${stats.held}`);
  await Promise.all([node.close(), ...peers.map((p) => p.close())]);
  await relay.close();
}

async function processes(): Promise<void> {
  const echoUrl = await spawnRole('echo');
  await bareRows('procs', await spawnRole('forward', echoUrl));
  await stopChildren();
  const relayUrl = await spawnRole('relay');
  await spawnRole('node', relayUrl);
  const peers = await rmbRows('procs', relayUrl);
  await Promise.all(peers.map((p) => p.close()));
  await stopChildren();
}

async function main(): Promise<void> {
  const load = loadavg();
  console.log(`rmb through relay on loopback, node signs ed25519; ${N} calls per 64-in-flight row; load ${load.map((l) => l.toFixed(2)).join(' ')}`);
  if (LAYOUT === 'both' || LAYOUT === 'procs') await processes();
  if (LAYOUT === 'both' || LAYOUT === 'one') await oneProcess();
}

main().catch(async (err) => {
  console.error(err);
  await stopChildren();
  process.exit(1);
});
