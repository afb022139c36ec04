/**
 * What dialling backends from the node's namespaces costs the gateway (issue 18.2, 18.3): requests/s of the real
 * proxy (HTTP, a new backend connection per request, as the proxy does) to a backend it dials from this
 * process's namespace (`net.connect`, the old way; a server on 127.0.0.1) versus one it dials through the
 * netns bridge into another namespace (`createNetnsBridge`: the namespace's identity checked on every dial, then a
 * unix socket to the forwarder inside it), sequential and 20 at a time; and how long a forwarder takes to start
 * (the first dial into a namespace, again after the namespace is created anew). Root with `ip` and `nsenter`.
 *
 *     node -r @swc-node/register bench/gateway.bench.ts
 *
 * At load 14-16 on 2 cores (3 runs): bridge / here 1.04-2.33 sequential (noise: both ~300 req/s), 0.67-1.14 with
 * 20 at a time; a forwarder starts in 115-460 ms (once per namespace, and once more after it is made again).
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../protocol/common/log';
import { createGridCa } from '../node/backends/gateway/grid-ca';
import { createNetnsBridge } from '../node/backends/gateway/netns-bridge';
import { createGatewayProxy } from '../node/backends/gateway/proxy';

const NS = `tfgb${process.pid}`;
const ADDR = '198.18.79.9';
/** A loopback backend is refused (§1.5), so the route to the server on 127.0.0.2 names this address instead. */
const LOCAL_STANDIN = '10.9.9.9';
const PAGE = "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[2]), process.argv[1], () => console.log('ready'))";

function serve(argv: string[]): Promise<ChildProcess> {
  const child = spawn(argv[0], argv.slice(1));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

function get(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

async function load(port: number, host: string, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const status = await get(port, host);
        if (status !== 200) throw new Error(`${host}: ${status}`);
      }
    }),
  );
  return total / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/gateway.bench.ts needs root (namespaces)');
  execFileSync('ip', ['netns', 'add', NS]);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['-n', NS, 'addr', 'add', `${ADDR}/32`, 'dev', 'lo']);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-gwb-'));
  const servers: ChildProcess[] = [];
  const bridge = createNetnsBridge({ log: silentLogger }, { runDir, hostNetns: NS, netnsFor: async () => undefined });
  try {
    servers.push(await serve([process.execPath, '-e', PAGE, '127.0.0.2', '18080']));
    servers.push(await serve(['nsenter', `--net=/run/netns/${NS}`, process.execPath, '-e', PAGE, ADDR, '8080']));
    const gw = await createGatewayProxy(
      {
        log: silentLogger,
        checkNameContract: async (_n, twinId) => ({ exists: true, twinId, state: 'Created' }),
        resolveHost: async () => [],
        // `local` is dialled from here, as every backend outside a network was before; `inet` through the bridge.
        dial: (t) => (t.host === LOCAL_STANDIN ? net.connect(18080, '127.0.0.2') : bridge.dial(t)),
      },
      { node: { domain: 'gw.bench', publicIPs: ['10.100.0.1'] }, ca: createGridCa(), listen: { host: '127.0.0.1', httpPort: 0, httpsPort: 0 } },
    );
    await gw.addNameProxy({ workloadId: '1-1-local', twinId: 1, name: 'local', tlsPassthrough: false, backends: [`http://${LOCAL_STANDIN}:18080`] });
    await gw.addNameProxy({ workloadId: '1-1-inet', twinId: 1, name: 'inet', tlsPassthrough: false, backends: [`http://${ADDR}:8080`] });

    const firstStart = process.hrtime.bigint();
    await get(gw.httpPort, 'inet.gw.bench');
    const firstMs = Number(process.hrtime.bigint() - firstStart) / 1e6;

    const rows: [string, number][] = [];
    for (const [label, c] of [
      ['sequential', 1],
      ['20 at a time', 20],
    ] as const) {
      await load(gw.httpPort, 'local.gw.bench', 100, c); // warm up
      const direct = await load(gw.httpPort, 'local.gw.bench', 1000, c);
      const bridged = await load(gw.httpPort, 'inet.gw.bench', 1000, c);
      rows.push([`${label}: dialled from here, req/s`, direct], [`${label}: through the bridge, req/s`, bridged], [`${label}: bridge / here`, bridged / direct]);
    }

    // The namespace made again: the first request after it pays a new forwarder.
    servers.pop()?.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', NS]);
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    execFileSync('ip', ['-n', NS, 'addr', 'add', `${ADDR}/32`, 'dev', 'lo']);
    servers.push(await serve(['nsenter', `--net=/run/netns/${NS}`, process.execPath, '-e', PAGE, ADDR, '8080']));
    const againStart = process.hrtime.bigint();
    const status = await get(gw.httpPort, 'inet.gw.bench');
    const againMs = Number(process.hrtime.bigint() - againStart) / 1e6;
    rows.push(['first request into the namespace (forwarder start), ms', firstMs], [`first request after the namespace was made again (status ${status}), ms`, againMs]);
    rows.push(['forwarders running at the end', bridge.forwarders().length]);
    await gw.close();
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(70)} ${v.toFixed(2)}\n`);
    process.stdout.write(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} cpus\n`,
    );
  } finally {
    await bridge.close();
    for (const s of servers) s.kill('SIGKILL');
    execFileSync('ip', ['netns', 'del', NS]);
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
