/**
 * examples/qsfs-shards on the shared local grid (zos-protocol.md §1.5 qsfs, §4 result; issue 9 "Done when"):
 * the machine on node 1 writes files through its `/qsfs` mount; node 1's qsfs daemon stores them, erasure-coded,
 * in the 4 data + 4 metadata zdb namespaces on node 2 (reached at the addresses their results list, from node 1's
 * namespace), and the workload's metrics endpoint counts it. Then (expected − minimal) = 2 data backends and
 * 2 of the 4 metadata backends are taken offline, node 1 drops its qsfs cache (SIGUSR2 to the node: every
 * mount's local copy and block cache are emptied and rebuilt from zdb), and the *same machine* reads every file
 * back through its mount, byte for byte. A control with a third data backend offline loses the files until the
 * backends come back.
 *
 * How backends go offline: all eight namespaces live in node 2's one 0-db server, shared with other tests, so
 * the node's operator locks each namespace (`AUTH <admin password>`, `NSSET <ns> lock 1`): every read and write
 * of it is then refused, as from a stopped backend. On the sim backend (no daemon, no store) only the
 * deployment is checked.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Redis from 'ioredis';
import { nodePrefix } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';
import { machineNames } from '../../node/backends/machine/linux';
import { ZDB_ADMIN_PASSWORD_FILE } from '../../node/backends/zdb/linux';
import { ensureE2eGrid, runE2eExample } from './shared-grid';

jest.setTimeout(300_000);
// Pinned (the example picks through the grid proxy otherwise): the qsfs on node 1, its zdbs on node 2, as checked below.
const CONFIG = { node: '1', zdbNode: '2', zdbPassword: randomBytes(12).toString('hex'), dataKey: randomBytes(32).toString('hex'), metaKey: randomBytes(32).toString('hex') };
let grid: GridState;
beforeAll(async () => {
  grid = await ensureE2eGrid();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `runc exec` in the machine `machineId` on grid node `index` (1-based); stdin from `input`. */
function machineOn(g: GridState, index: number, machineId: string) {
  const node = g.nodes[index - 1];
  const root = path.join(node.dataDir, 'machines', 'runc');
  const container = machineNames(nodePrefix(g.prefix, node.index)).container(machineId);
  return (cmd: string[], input?: Buffer): Buffer => execFileSync('runc', ['--root', root, 'exec', container, ...cmd], { input, stdio: 'pipe', timeout: 60_000, maxBuffer: 64 << 20 });
}

async function metrics(url: string): Promise<string> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  return r.text();
}

function gauge(text: string, name: string): number {
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
}

/** Polls the metrics endpoint until `done` holds (the daemon syncs every 2 s); returns the last text. */
async function metricsUntil(url: string, what: string, done: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 120; i++) {
    text = await metrics(url).catch(() => '');
    if (done(text)) return text;
    await sleep(500);
  }
  throw new Error(`metrics never showed ${what}:\n${text}`);
}

/** The node's operator on node `index`'s 0-db (its local listener, admin password from the data dir). */
async function operatorOf(g: GridState, index: number): Promise<{ lock(ns: string, on: boolean): Promise<void>; close(): void }> {
  const node = g.nodes[index - 1];
  const cfg = JSON.parse(fs.readFileSync(node.configFile, 'utf8')) as { zdb: { port: number } };
  const password = fs.readFileSync(path.join(node.dataDir, 'zdb', ZDB_ADMIN_PASSWORD_FILE), 'utf8').trim();
  const r = new Redis({ host: '127.0.0.1', port: cfg.zdb.port, lazyConnect: true, maxRetriesPerRequest: 0, enableReadyCheck: false, retryStrategy: () => null });
  await r.connect();
  expect(await r.call('AUTH', password)).toBe('OK');
  return {
    async lock(ns, on) {
      expect(await r.call('NSSET', ns, 'lock', on ? '1' : '0')).toBe('OK');
    },
    close: () => r.disconnect(),
  };
}

describe('services: qsfs through examples/qsfs-shards', () => {
  it('the machine reads its files back through its own mount after a cache drop with 2 of 4 data backends offline', async () => {
    const up = await runE2eExample(grid, 'qsfs-shards', 'up', CONFIG);
    let operator: Awaited<ReturnType<typeof operatorOf>> | undefined;
    const locked = new Set<string>();
    try {
      const metricsUrl = String(up.outputs.metricsEndpoint);
      const data = up.outputs.dataBackends as { address: string; namespace: string }[];
      const meta = up.outputs.metaBackends as { address: string; namespace: string }[];
      expect(data).toHaveLength(4);
      expect(meta).toHaveLength(4);
      if (grid.backend !== 'linux') return; // the sim backend keeps state only: no daemon, no store

      // Every backend is node 2's zdb at its own address and port 9900.
      const node2Address = grid.nodes[1].address.split('/')[0];
      for (const b of [...data, ...meta]) expect(b.address).toBe(`${node2Address}:9900`);

      const exec = machineOn(grid, 1, String(up.outputs.machineId));
      const before = await metrics(metricsUrl);
      expect(gauge(before, 'qsfs_files')).toBe(0);
      expect(gauge(before, 'qsfs_blocks_written_total')).toBe(0);

      // The machine writes three files through its mount.
      const files = new Map<string, Buffer>([
        ['hello.txt', Buffer.from('hello from qsfs\n')],
        ['big.bin', randomBytes(3 * 1024 * 1024 + 12345)],
        ['docs/nested/notes.md', Buffer.from('# notes\n'.repeat(5000))],
      ]);
      exec(['/bin/mkdir', '-p', '/qsfs/docs/nested']);
      for (const [f, body] of files) exec(['/bin/sh', '-c', `cat > /qsfs/${f}`], body);
      const total = [...files.values()].reduce((a, b) => a + b.length, 0);

      // The metrics endpoint serves real numbers, and they moved with the writes.
      const stored = await metricsUntil(metricsUrl, `${files.size} files of ${total} bytes stored`, (t) => gauge(t, 'qsfs_files') === files.size && gauge(t, 'qsfs_stored_bytes') === total);
      expect(gauge(stored, 'qsfs_blocks_written_total')).toBeGreaterThanOrEqual(4); // big.bin alone is 4 blocks of 1 MiB
      expect(gauge(stored, 'qsfs_written_bytes_total')).toBeGreaterThanOrEqual(total);
      expect(gauge(stored, 'qsfs_sync_errors_total')).toBe(0);
      expect(gauge(stored, 'qsfs_index_version')).toBeGreaterThan(gauge(before, 'qsfs_index_version'));

      // Data backends 1 and 3 and metadata backends 2 and 4 go offline.
      operator = await operatorOf(grid, 2);
      for (const ns of [data[0], data[2], meta[1], meta[3]].map((b) => b.namespace)) {
        await operator.lock(ns, true);
        locked.add(ns);
      }

      // Node 1 drops its qsfs cache; the mount is rebuilt from the 2 remaining data shards of every block.
      const nodePid = grid.nodes[0].process?.pid;
      if (!nodePid) throw new Error('the grid state has no process for node 1');
      const restoredBefore = gauge(stored, 'qsfs_restored_files_total');
      process.kill(nodePid, 'SIGUSR2');
      const rebuilt = await metricsUntil(metricsUrl, 'one cache drop with every file rebuilt', (t) => gauge(t, 'qsfs_cache_drops_total') === 1 && gauge(t, 'qsfs_restore_pending_files') === 0);
      expect(gauge(rebuilt, 'qsfs_restored_files_total')).toBe(restoredBefore + files.size);
      expect(gauge(rebuilt, 'qsfs_degraded_reads_total')).toBeGreaterThan(0); // the shards on the offline backends were missed
      expect(gauge(rebuilt, 'qsfs_files')).toBe(files.size);

      // The same machine reads every file back through its mount, byte for byte.
      for (const [f, body] of files) expect(exec(['/bin/cat', `/qsfs/${f}`]).equals(body)).toBe(true);

      // Control: a third data backend offline leaves 1 shard per block, fewer than minimal_shards = 2.
      await operator.lock(data[1].namespace, true);
      locked.add(data[1].namespace);
      process.kill(nodePid, 'SIGUSR2');
      const lost = await metricsUntil(
        metricsUrl,
        'a second cache drop with every file pending',
        (t) => gauge(t, 'qsfs_cache_drops_total') === 2 && gauge(t, 'qsfs_restore_pending_files') === files.size,
      );
      expect(gauge(lost, 'qsfs_files')).toBe(files.size); // still indexed: nothing is forgotten
      for (const f of files.keys()) expect(() => exec(['/bin/cat', `/qsfs/${f}`])).toThrow(/No such file or directory/);

      // The backends come back: the next sync rebuilds the files in the mount.
      for (const ns of locked) await operator.lock(ns, false);
      locked.clear();
      await metricsUntil(metricsUrl, 'no file pending', (t) => gauge(t, 'qsfs_restore_pending_files') === 0);
      for (const [f, body] of files) expect(exec(['/bin/cat', `/qsfs/${f}`]).equals(body)).toBe(true);
    } finally {
      for (const ns of locked) await operator?.lock(ns, false).catch(() => undefined);
      operator?.close();
      await runE2eExample(grid, 'qsfs-shards', 'destroy', CONFIG);
    }
  });
});
