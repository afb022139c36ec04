/**
 * The qsfs behaviour suite against the real daemon over real zdb namespaces, and the daemon's own
 * behaviour: files synced into zdb, restored after a cache drop, block cache bounded, metrics served.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../../protocol/common/log';
import { createLinuxZdbBackend, type LinuxZdbBackend } from '../zdb/linux';
import { createQsfsDaemon, type QsfsDaemon } from './daemon';
import { describeQsfsBackend } from './qsfs.suite';
import { testQsfsConfig } from './test-config';

async function zdbWithNamespaces(dir: string, count: number): Promise<LinuxZdbBackend> {
  const zdb = await createLinuxZdbBackend({ log: silentLogger }, { dataDir: dir, addresses: ['127.0.0.1'], port: 0 });
  for (let i = 0; i < count; i++) await zdb.create({ name: `qs-data-${i}`, size: 1n << 30n, mode: i % 2 ? 'seq' : 'user', password: 'qs-pass', public: false });
  await zdb.create({ name: 'qs-meta', size: 1n << 30n, mode: 'user', password: 'qs-pass', public: false });
  return zdb;
}

describeQsfsBackend('daemon', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-qsfs-'));
  const zdb = await zdbWithNamespaces(path.join(dir, 'zdb'), 4);
  const addr = `127.0.0.1:${zdb.server.port}`;
  const backend = await createQsfsDaemon({ log: silentLogger }, { rootDir: path.join(dir, 'qsfs'), metricsPort: 0, syncIntervalMs: 60_000 });
  return {
    backend,
    config: testQsfsConfig([addr, addr, addr, addr]),
    cleanup: async () => {
      await zdb.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('qsfs daemon', () => {
  let dir: string;
  let zdb: LinuxZdbBackend;
  let qsfs: QsfsDaemon;
  let addr: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-qsfsd-'));
    zdb = await zdbWithNamespaces(path.join(dir, 'zdb'), 5);
    addr = `127.0.0.1:${zdb.server.port}`;
    qsfs = await createQsfsDaemon({ log: silentLogger }, { rootDir: path.join(dir, 'qsfs'), metricsPort: 0, syncIntervalMs: 60_000, blockSize: 64 * 1024 });
  });
  afterEach(async () => {
    await qsfs.close();
    await zdb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores files encrypted and sharded in zdb and restores them after the cache is dropped', async () => {
    const config = testQsfsConfig([addr, addr, addr, addr]);
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 20n, config });
    const big = Buffer.alloc(300 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    fs.writeFileSync(path.join(res.path, 'big.bin'), big);
    fs.mkdirSync(path.join(res.path, 'docs'));
    fs.writeFileSync(path.join(res.path, 'docs', 'readme.txt'), 'quantum safe '.repeat(100));
    await qsfs.flush('7-12-qs');

    // nothing readable lands in zdb: shards are ciphertext
    const used = (await zdb.list()).filter((n) => /^qs-data-[0-3]$/.test(n.name));
    expect(used).toHaveLength(4);
    expect(used.every((n) => n.entries > 0)).toBe(true);
    const raw = zdb.server.namespace('qs-data-0')!;
    for (const it of raw.scan(undefined, 1000)) expect(raw.get(it.key)!.includes(Buffer.from('quantum safe'))).toBe(false);

    await qsfs.dropCache('7-12-qs');
    expect(fs.readFileSync(path.join(res.path, 'big.bin')).equals(big)).toBe(true);
    expect(fs.readFileSync(path.join(res.path, 'docs', 'readme.txt'), 'utf8')).toBe('quantum safe '.repeat(100));
  });

  it('drops deleted files from the index and their shards from zdb', async () => {
    const config = testQsfsConfig([addr, addr, addr, addr]);
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 20n, config });
    fs.writeFileSync(path.join(res.path, 'a.txt'), 'A'.repeat(5000));
    fs.writeFileSync(path.join(res.path, 'b.txt'), 'B'.repeat(5000));
    await qsfs.flush('7-12-qs');
    const before = zdb.server.namespace('qs-data-0')!.entries;
    fs.rmSync(path.join(res.path, 'a.txt'));
    await qsfs.flush('7-12-qs');
    expect(zdb.server.namespace('qs-data-0')!.entries).toBe(before - 1);
    await qsfs.dropCache('7-12-qs');
    expect(fs.readdirSync(res.path)).toEqual(['b.txt']);
  });

  it('keeps the block cache within its bound', async () => {
    const config = testQsfsConfig([addr, addr, addr, addr]);
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 200n * 1024n, config });
    for (let i = 0; i < 6; i++) fs.writeFileSync(path.join(res.path, `f${i}`), Buffer.alloc(64 * 1024, i + 1));
    await qsfs.flush('7-12-qs');
    const cacheDir = path.join(dir, 'qsfs', '7-12-qs', 'cache');
    const size = () => fs.readdirSync(cacheDir).reduce((a, f) => a + fs.statSync(path.join(cacheDir, f)).size, 0);
    expect(size()).toBeLessThanOrEqual(200 * 1024);
    await qsfs.dropCache('7-12-qs');
    expect(size()).toBeLessThanOrEqual(200 * 1024);
    for (let i = 0; i < 6; i++) expect(fs.readFileSync(path.join(res.path, `f${i}`)).equals(Buffer.alloc(64 * 1024, i + 1))).toBe(true);
  });

  it('serves real numbers on its metrics endpoint', async () => {
    const config = testQsfsConfig([addr, addr, addr, addr, addr], { minimal: 3, expected: 5 });
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 20n, config });
    fs.writeFileSync(path.join(res.path, 'x'), Buffer.alloc(100 * 1024, 7));
    await qsfs.flush('7-12-qs');
    const text = await new Promise<string>((resolve, reject) => {
      http
        .get(res.metrics_endpoint, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    expect(text).toContain('qsfs_files{workload="7-12-qs"} 1\n');
    expect(text).toContain('qsfs_stored_bytes{workload="7-12-qs"} 102400\n');
    expect(text).toContain('qsfs_blocks_written_total{workload="7-12-qs"} 2\n');
    expect(text).toContain('qsfs_cache_limit_bytes{workload="7-12-qs"} 1048576\n');
    expect(text).toMatch(new RegExp(`qsfs_backend_up\\{workload="7-12-qs",backend="${addr}/qs-data-4"\\} 1`));
  });

  it('keeps files it cannot rebuild pending (not deleted by sync) and rebuilds them once backends are back', async () => {
    await qsfs.close();
    let dials = 0;
    qsfs = await createQsfsDaemon(
      { log: silentLogger },
      { rootDir: path.join(dir, 'qsfs'), metricsPort: 0, syncIntervalMs: 60_000, blockSize: 64 * 1024, dial: (h, p) => (dials++, net.connect(p, h)) },
    );
    const config = testQsfsConfig([addr, addr, addr, addr]); // any 2 of 4 shards rebuild a block
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 20n, config });
    const body = Buffer.alloc(200 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 253;
    fs.writeFileSync(path.join(res.path, 'keep.bin'), body);
    await qsfs.flush('7-12-qs');
    expect(dials).toBeGreaterThanOrEqual(5); // every backend connection went through the given dialer
    const lock = (i: number, locked: boolean) => zdb.server.updateNamespace(`qs-data-${i}`, { locked });

    // Two data backends offline: the drop rebuilds the file from the other two.
    lock(0, true);
    lock(2, true);
    expect(await qsfs.dropCaches()).toEqual([{ workloadId: '7-12-qs', restored: 1, pending: 0 }]);
    expect(fs.readFileSync(path.join(res.path, 'keep.bin')).equals(body)).toBe(true);

    // A third one offline: the file cannot come back, stays pending, and a sync does not forget it.
    lock(1, true);
    await expect(qsfs.dropCache('7-12-qs')).rejects.toThrow(/1 file\(s\) could not be restored: qsfs: block \w+ has 1 reachable shards, needs 2/);
    expect(fs.existsSync(path.join(res.path, 'keep.bin'))).toBe(false);
    expect(qsfs.metrics('7-12-qs')).toContain('qsfs_restore_pending_files{workload="7-12-qs"} 1\n');
    await qsfs.flush('7-12-qs');
    expect(fs.existsSync(path.join(res.path, 'keep.bin'))).toBe(false);
    expect(qsfs.metrics('7-12-qs')).toContain('qsfs_files{workload="7-12-qs"} 1\n');

    // Backends back: the next sync rebuilds it.
    lock(1, false);
    await qsfs.flush('7-12-qs');
    expect(fs.readFileSync(path.join(res.path, 'keep.bin')).equals(body)).toBe(true);
    const text = qsfs.metrics('7-12-qs');
    expect(text).toContain('qsfs_restore_pending_files{workload="7-12-qs"} 0\n');
    expect(text).toContain('qsfs_cache_drops_total{workload="7-12-qs"} 2\n');
    expect(text).toMatch(/qsfs_restore_errors_total\{workload="7-12-qs"\} [1-9]/);
  });

  it('mounts with files pending when too few data backends are reachable, and fills them in later', async () => {
    const config = testQsfsConfig([addr, addr, addr, addr]);
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 20n, config });
    fs.writeFileSync(path.join(res.path, 'a.txt'), 'A'.repeat(5000));
    await qsfs.flush('7-12-qs');
    await qsfs.remove('7-12-qs'); // local state gone, data stays in zdb
    for (const i of [0, 1, 2]) zdb.server.updateNamespace(`qs-data-${i}`, { locked: true });
    const again = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 20n, config });
    expect(fs.readdirSync(again.path)).toEqual([]);
    expect(qsfs.metrics('7-12-qs')).toContain('qsfs_restore_pending_files{workload="7-12-qs"} 1\n');
    for (const i of [0, 1, 2]) zdb.server.updateNamespace(`qs-data-${i}`, { locked: false });
    await qsfs.flush('7-12-qs');
    expect(fs.readFileSync(path.join(again.path, 'a.txt'), 'utf8')).toBe('A'.repeat(5000));
  });
});
