/**
 * examples/zdb-user on the shared local grid (zos-protocol.md §1.5 zdb, §4 result; issue 9 "Done when"): the
 * namespace lives on node 2, whose 0-db server listens on the node's own address, port 9900, inside its host
 * namespace, and the result lists exactly that address. Every client here runs in *node 1's* host namespace
 * (another node of the grid): `redis-cli` PINGs and SELECTs the namespace at the result's IP:Port, and a real
 * Redis client (ioredis, through a forwarder that dials inside node 1's namespace) selects it with its
 * password, writes and reads keys, is refused without the password, and runs into the size limit. The root
 * namespace (this test process) has no route to that address at all. On the sim backend (no server) only
 * the deployment is checked. examples/zdb-client then proves the same for a *machine*: a container with a
 * public IP on node 1 talks raw RESP to the namespace on node 2 with busybox `nc`, at the result's IP:Port.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import Redis from 'ioredis';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { nodePrefix } from '../../local/grid/grid';
import { machineNames } from '../../node/backends/machine/linux';
import { createNetnsBridge, type NetnsBridge } from '../../node/backends/gateway/netns-bridge';
import { silentLogger } from '../../protocol/common/log';
import type { GridState } from '../../local/grid/state';
import { ensureE2eGrid, runE2eExample } from './shared-grid';

jest.setTimeout(300_000);
const PASSWORD = 'e2e-zdb-s3cret';
const CONFIG = { password: PASSWORD, size: '1MiB', node: '2' };
let grid: GridState;
beforeAll(async () => {
  grid = await ensureE2eGrid();
});

function client(host: string, port: number): Redis {
  return new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, enableOfflineQueue: false, retryStrategy: () => null });
}

/** redis-cli run inside `netns` with one command per line on stdin; its non-empty reply lines. */
function redisCliIn(netns: string, host: string, port: number, lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = execFile('ip', ['netns', 'exec', netns, 'redis-cli', '-h', host, '-p', String(port)], { timeout: 20_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.split('\n').filter((l) => l.trim() !== '')),
    );
    p.stdin?.end(lines.join('\n') + '\n');
  });
}

/** A 127.0.0.1 listener whose connections are opened to `host:port` from inside `netns`. */
async function forwarderFrom(netns: string, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-e2e-zdb-'));
  const bridge: NetnsBridge = createNetnsBridge({ log: silentLogger }, { runDir, netnsFor: async () => netns });
  await bridge.checkNetwork(0, 'node1');
  const open = new Set<net.Socket>();
  const server = net.createServer((c) => {
    open.add(c);
    c.on('error', () => c.destroy());
    void bridge.dial({ host, port, twinId: 0, network: 'node1' }).then(
      (up) => {
        open.add(up);
        c.pipe(up).pipe(c);
        const end = () => [c, up].forEach((s) => (s.destroy(), open.delete(s)));
        c.on('error', end).on('close', end);
        up.on('error', end).on('close', end);
      },
      () => c.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bridge.close();
      fs.rmSync(runDir, { recursive: true, force: true });
    },
  };
}

describe('services: zdb through examples/zdb-user', () => {
  it('user mode with a password: SELECT ns password, refused without it, size limit enforced', async () => {
    const up = await runE2eExample(grid, 'zdb-user', 'up', CONFIG);
    try {
      const ns = String(up.outputs.namespace);
      const ips = up.outputs.ips as string[];
      const port = Number(up.outputs.port);
      expect(ns).toMatch(/^\d+-\d+-db$/); // ZOS: <twin>-<contract>-<workload name>
      expect(ips.length).toBeGreaterThan(0);
      expect(port).toBeGreaterThan(0);
      if (grid.backend !== 'linux') return; // the sim backend keeps state only: no zdb server to talk to

      // The result names node 2's own address (in its host namespace, not in ours) and ZOS's port.
      const node1 = grid.nodes[0];
      const node2 = grid.nodes[1];
      expect(ips).toEqual([node2.address.split('/')[0]]);
      expect(port).toBe(9900);
      expect(execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' })).not.toContain(` ${ips[0]}/`);
      expect(execFileSync('ip', ['-n', node2.netns, '-o', 'addr'], { encoding: 'utf8' })).toContain(` ${node2.address} `);

      // From node 1's namespace, raw RESP with redis-cli: PING, SELECT refused without, accepted with the password.
      const replies = await redisCliIn(node1.netns, ips[0], port, ['PING', `SELECT ${ns}`, `SELECT ${ns} ${PASSWORD}`, 'SET from-node1 yes', 'GET from-node1', 'DEL from-node1']);
      expect(replies).toEqual(['PONG', 'Namespace protected and private', 'OK', 'from-node1', 'yes', 'OK']);

      // ioredis, its connections opened from node 1's namespace to the result's IP:Port.
      const fwd = await forwarderFrom(node1.netns, ips[0], port);
      try {
        await useNamespace(ns, fwd.port);
      } finally {
        await fwd.close();
      }
    } finally {
      await runE2eExample(grid, 'zdb-user', 'destroy', CONFIG);
    }
  });

  it('a machine on node 1 PINGs and SELECTs the namespace on node 2 at the result address (examples/zdb-client)', async () => {
    // Pinned: the checks below look for the namespace on node 2 and the machine on node 1.
    const config = { password: PASSWORD, zdbNode: '2', clientNode: '1' };
    const up = await runE2eExample(grid, 'zdb-client', 'up', config);
    try {
      const ns = String(up.outputs.namespace);
      const ips = up.outputs.ips as string[];
      const port = Number(up.outputs.port);
      expect(ns).toMatch(/^\d+-\d+-db$/);
      if (grid.backend !== 'linux') return; // the sim backend keeps state only: no zdb server, no machine
      expect(ips).toEqual([grid.nodes[1].address.split('/')[0]]);
      expect(port).toBe(9900);

      const node1 = grid.nodes[0];
      const container = machineNames(nodePrefix(grid.prefix, node1.index)).container(String(up.outputs.clientId));
      const script = `(printf 'PING\\r\\nSELECT ${ns}\\r\\nSELECT ${ns} ${PASSWORD}\\r\\nSET from-machine hello\\r\\nGET from-machine\\r\\n'; sleep 2) | nc ${ips[0]} ${port}`;
      let out = '';
      for (let i = 0; i < 10 && !out.includes('hello'); i++) {
        try {
          out = execFileSync('runc', ['--root', path.join(node1.dataDir, 'machines', 'runc'), 'exec', container, '/bin/sh', '-c', script], { encoding: 'utf8', stdio: 'pipe', timeout: 30_000 });
        } catch (e) {
          out = String((e as { stdout?: string }).stdout ?? '') + (e as Error).message;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      expect(out.split('\r\n')).toEqual(['+PONG', '-Namespace protected and private', '+OK', '$12', 'from-machine', '$5', 'hello', '']);
    } finally {
      await runE2eExample(grid, 'zdb-client', 'destroy', config);
    }
  });
});

/** The namespace through a Redis client on `127.0.0.1:localPort`: password, keys, size limit. */
async function useNamespace(ns: string, localPort: number): Promise<void> {
  const anon = client('127.0.0.1', localPort);
  await anon.connect();
  try {
    await expect(anon.call('SELECT', ns)).rejects.toThrow(/Namespace protected and private/);
    await expect(anon.call('SELECT', ns, 'wrong-password')).rejects.toThrow(/Access denied/);
  } finally {
    anon.disconnect();
  }

  const c = client('127.0.0.1', localPort);
  await c.connect();
  try {
    expect(await c.call('SELECT', ns, PASSWORD)).toBe('OK');
    expect(await c.set('greeting', 'hello zdb')).toBe('greeting'); // 0-db answers SET with the key
    expect(await c.set('answer', '42')).toBe('answer');
    expect(await c.get('greeting')).toBe('hello zdb');
    expect(await c.get('answer')).toBe('42');
    expect(await c.exists('greeting')).toBe(1);
    expect(await c.dbsize()).toBe(2);
    expect(await c.call('DEL', 'answer')).toBe('OK');
    expect(await c.get('answer')).toBeNull();

    // 1 MiB namespace: 64 KiB values fit ~15 times, then the server refuses.
    const chunk = 'x'.repeat(64 * 1024);
    let stored = 0;
    let refusal: Error | undefined;
    for (let i = 0; i < 40 && !refusal; i++) {
      try {
        await c.set(`blob${i}`, chunk);
        stored++;
      } catch (e) {
        refusal = e as Error;
      }
    }
    expect(refusal?.message).toMatch(/No space left on this namespace/);
    expect(stored).toBeGreaterThan(5);
    expect(stored).toBeLessThan(16);
    // What was stored before the limit is still readable.
    expect(await c.get('blob0')).toBe(chunk);
    expect(await c.get('greeting')).toBe('hello zdb');
  } finally {
    c.disconnect();
  }
}
