/**
 * Files written to a qsfs mount survive losing the local copy and (expected − minimal) zdb backends
 * (zos-protocol.md §1.5 qsfs, issue 9). Each data backend is its own zdb server, so stopping one is
 * losing a node's zdb.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../protocol/common/log';
import { createLinuxZdbBackend, type LinuxZdbBackend } from '../../node/backends/zdb/linux';
import { createQsfsDaemon, type QsfsDaemon } from '../../node/backends/qsfs/daemon';
import { testQsfsConfig } from '../../node/backends/qsfs/test-config';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('qsfs durability', () => {
  const MINIMAL = 2;
  const EXPECTED = 4;
  let dir: string;
  let zdbs: LinuxZdbBackend[];
  let qsfs: QsfsDaemon;
  let config: ReturnType<typeof testQsfsConfig>;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-qsdur-'));
    zdbs = [];
    // 4 data zdbs (one shard each) + 2 meta zdbs
    for (let i = 0; i < EXPECTED + 2; i++) {
      const z = await createLinuxZdbBackend({ log: silentLogger }, { dataDir: path.join(dir, `zdb${i}`), addresses: ['127.0.0.1'], port: 0 });
      await z.create({ name: `qs-data-${i}`, size: 1n << 30n, mode: 'seq', password: 'qs-pass', public: false });
      await z.create({ name: 'qs-meta', size: 1n << 26n, mode: 'user', password: 'qs-pass', public: false });
      zdbs.push(z);
    }
    const data = zdbs.slice(0, EXPECTED).map((z) => `127.0.0.1:${z.server.port}`);
    config = testQsfsConfig(data, {
      minimal: MINIMAL,
      expected: EXPECTED,
      metaAddresses: zdbs.slice(EXPECTED).map((z) => `127.0.0.1:${z.server.port}`),
    });
    // qs-data-<i> lives on zdb i
    qsfs = await createQsfsDaemon({ log: silentLogger }, { rootDir: path.join(dir, 'node'), metricsPort: 0, syncIntervalMs: 60_000, blockSize: 256 * 1024 });
  });
  afterAll(async () => {
    await qsfs.close();
    for (const z of zdbs) await z.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes files through the mount into the zdb backends', async () => {
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 512n * 1024n, config });
    files.set('db/table.dat', randomBytes(1024 * 1024 + 123));
    files.set('logs/app.log', Buffer.from('line\n'.repeat(20000)));
    files.set('empty', Buffer.alloc(0));
    for (const [rel, content] of files) {
      fs.mkdirSync(path.dirname(path.join(res.path, rel)), { recursive: true });
      fs.writeFileSync(path.join(res.path, rel), content);
    }
    await qsfs.flush('7-12-qs');
    for (let i = 0; i < EXPECTED; i++) expect((await zdbs[i].get(`qs-data-${i}`))?.entries).toBeGreaterThan(0);
    expect(qsfs.metrics('7-12-qs')).toContain('qsfs_files{workload="7-12-qs"} 3\n');
  });

  it(`reads every file back after the local cache is dropped and ${EXPECTED - MINIMAL} data backends are stopped`, async () => {
    await zdbs[0].close();
    await zdbs[2].close();
    await qsfs.dropCache('7-12-qs');
    const mnt = path.join(dir, 'node', '7-12-qs', 'mnt');
    for (const [rel, content] of files) expect(sha(fs.readFileSync(path.join(mnt, rel)))).toBe(sha(content));
    expect(qsfs.metrics('7-12-qs')).toMatch(/qsfs_degraded_reads_total\{workload="7-12-qs"\} [1-9]/);
  });

  it('restores the files on a fresh node (new daemon, empty disk) with one meta backend stopped too', async () => {
    await zdbs[EXPECTED].close();
    const fresh = await createQsfsDaemon({ log: silentLogger }, { rootDir: path.join(dir, 'node2'), metricsPort: 0, syncIntervalMs: 60_000 });
    try {
      const res = await fresh.create({ workloadId: '7-12-qs', cache: 512n * 1024n, config });
      for (const [rel, content] of files) expect(sha(fs.readFileSync(path.join(res.path, rel)))).toBe(sha(content));
    } finally {
      await fresh.close();
    }
  });

  it('keeps changes local and counts a sync error when too few backends are left to place every shard', async () => {
    const mnt = path.join(dir, 'node', '7-12-qs', 'mnt');
    fs.writeFileSync(path.join(mnt, 'late.txt'), 'written while degraded');
    await expect(qsfs.flush('7-12-qs')).rejects.toThrow(/could not place 2 of 4 shards/);
    expect(fs.readFileSync(path.join(mnt, 'late.txt'), 'utf8')).toBe('written while degraded');
    expect(qsfs.metrics('7-12-qs')).toMatch(/qsfs_sync_errors_total\{workload="7-12-qs"\} [1-9]/);
  });
});
