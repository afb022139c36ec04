/**
 * zdb throughput (issue 9; zos-protocol.md §6.6): SET/GET ops/s of the node's 0-db compatible server under
 * redis-benchmark-style load (50 clients, 100-byte values), unpipelined and with 16-deep pipelines: the
 * in-process client in a password-protected user namespace (it shares the event loop with the server, so
 * it under-reports), redis-benchmark in the default namespace (it cannot SELECT with a password).
 * `redis-benchmark` is used when installed; the in-process figure exists without it. As root with `ip`, it
 * also runs inside a namespace of its own against the server served on an address there (`exposeZdbInNetns`,
 * how a local-grid node serves port 9900 on its own address) and prints the relay's cost as a ratio.
 *
 *     node -r @swc-node/register bench/zdb.bench.ts
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../protocol/common/log';
import { connectZdb } from '../node/backends/zdb/client';
import { createLinuxZdbBackend } from '../node/backends/zdb/linux';
import { exposeZdbInNetns } from '../node/backends/zdb/netns-listener';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('close', () => resolve(out));
  });
}

async function hasTool(name: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${name} || true`])).trim() !== '';
}

async function clientLoad(port: number, op: 'SET' | 'GET', clients: number, perClient: number, depth: number): Promise<number> {
  const value = Buffer.alloc(100, 0x61);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const z = await connectZdb({ address: `127.0.0.1:${port}`, namespace: 'bench', password: 'pw' });
      for (let i = 0; i < perClient; i += depth) {
        const batch: Array<Promise<unknown>> = [];
        for (let j = 0; j < depth && i + j < perClient; j++) {
          const key = `key:${c}:${(i + j) % 1000}`;
          batch.push(op === 'SET' ? z.command('SET', key, value) : z.command('GET', key));
        }
        await Promise.all(batch);
      }
      z.close();
    }),
  );
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return (clients * perClient) / secs;
}

/** redis-benchmark run inside a fresh namespace against the server exposed on an address there. */
async function throughNamespace(zdb: Awaited<ReturnType<typeof createLinuxZdbBackend>>): Promise<Array<[string, number]>> {
  const ns = `tfzb${process.pid}`;
  const addr = '198.18.77.2';
  const rows: Array<[string, number]> = [];
  await run('ip', ['netns', 'add', ns]);
  try {
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
    const exposed = await exposeZdbInNetns({ log: silentLogger }, { ...zdb, close: async () => {} }, { netns: ns, host: addr, port: 0 });
    try {
      for (const depth of [1, 16]) {
        const out = await run('ip', [
          'netns',
          'exec',
          ns,
          'redis-benchmark',
          '-h',
          addr,
          '-p',
          String(exposed.endpoint().Port),
          '-t',
          'set,get',
          '-n',
          '50000',
          '-c',
          '50',
          '-d',
          '100',
          '-r',
          '1000',
          '-P',
          String(depth),
          '-q',
          '--csv',
        ]);
        for (const line of out.split('\n')) {
          const m = /^"(SET|GET)","([\d.]+)"/.exec(line);
          if (m) rows.push([`redis-benchmark  ${m[1]}  P=${depth} (node address, netns relay)`, Number(m[2])]);
        }
      }
    } finally {
      await exposed.close();
    }
  } finally {
    await run('ip', ['netns', 'del', ns]);
  }
  return rows;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-zdb-bench-'));
  const zdb = await createLinuxZdbBackend({ log: silentLogger }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
  await zdb.create({ name: 'bench', size: 1n << 32n, mode: 'user', password: 'pw', public: false });
  const port = zdb.server.port;
  const rows: Array<[string, number]> = [];
  try {
    for (const depth of [1, 16]) {
      rows.push([`in-process client SET  P=${depth}`, await clientLoad(port, 'SET', 50, 2000, depth)]);
      rows.push([`in-process client GET  P=${depth}`, await clientLoad(port, 'GET', 50, 2000, depth)]);
    }
    if (await hasTool('redis-benchmark')) {
      for (const depth of [1, 16]) {
        const out = await run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'set,get', '-n', '50000', '-c', '50', '-d', '100', '-r', '1000', '-P', String(depth), '-q', '--csv']);
        for (const line of out.split('\n')) {
          const m = /^"(SET|GET)","([\d.]+)"/.exec(line);
          if (m) rows.push([`redis-benchmark  ${m[1]}  P=${depth} (default ns)`, Number(m[2])]);
        }
      }
      if (process.getuid?.() === 0 && (await hasTool('ip'))) rows.push(...(await throughNamespace(zdb)));
    } else {
      rows.push(['redis-benchmark not installed (apt-get install redis-tools)', 0]);
    }
  } finally {
    await zdb.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [name, ops] of rows) console.log(`${name.padEnd(w)}  ${Math.round(ops).toString().padStart(8)} ops/s`);
  const get1 = rows.find((r) => r[0] === 'in-process client GET  P=1')?.[1] ?? 0;
  const get16 = rows.find((r) => r[0] === 'in-process client GET  P=16')?.[1] ?? 0;
  console.log(`pipelining gain (GET, P=16 / P=1): ${(get16 / get1).toFixed(2)}x`);
  for (const depth of [1, 16]) {
    const direct = rows.find((r) => r[0] === `redis-benchmark  GET  P=${depth} (default ns)`)?.[1];
    const relayed = rows.find((r) => r[0] === `redis-benchmark  GET  P=${depth} (node address, netns relay)`)?.[1];
    if (direct && relayed) console.log(`node-address relay (GET, P=${depth}, relayed / direct): ${(relayed / direct).toFixed(2)}x`);
  }
}

void main();
