/**
 * A machine uses the qsfs path as a disk (zos-protocol.md §6.6: "the result path is mounted into VMs"):
 * the path is bind-mounted into a container root the way the machine backend does it; files the machine
 * writes there reach zdb, survive a cache drop under the live mount, and a re-mount with a new cache size.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../protocol/common/log';
import { createQsfsDaemon, type QsfsDaemon } from '../../node/backends/qsfs/daemon';
import { testQsfsConfig } from '../../node/backends/qsfs/test-config';
import { createLinuxZdbBackend, type LinuxZdbBackend } from '../../node/backends/zdb/linux';
import { describeWithTools } from '../helpers/require-tools';

describeWithTools(['mount', 'umount', 'sh'], { root: true })('qsfs mounted into a machine', () => {
  let dir: string;
  let zdb: LinuxZdbBackend;
  let qsfs: QsfsDaemon;
  let machineData: string;
  let config: ReturnType<typeof testQsfsConfig>;
  let mounted = false;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-qsmnt-'));
    zdb = await createLinuxZdbBackend({ log: silentLogger }, { dataDir: path.join(dir, 'zdb'), addresses: ['127.0.0.1'], port: 0 });
    for (let i = 0; i < 3; i++) await zdb.create({ name: `qs-data-${i}`, size: 1n << 30n, mode: 'seq', password: 'qs-pass', public: false });
    await zdb.create({ name: 'qs-meta', size: 1n << 26n, mode: 'user', password: 'qs-pass', public: false });
    const addr = `127.0.0.1:${zdb.server.port}`;
    config = testQsfsConfig([addr, addr, addr], { minimal: 2, expected: 3 });
    qsfs = await createQsfsDaemon({ log: silentLogger }, { rootDir: path.join(dir, 'node'), metricsPort: 0, syncIntervalMs: 60_000 });
    const res = await qsfs.create({ workloadId: '7-12-qs', cache: 1n << 20n, config });
    machineData = path.join(dir, 'machine-rootfs', 'data');
    fs.mkdirSync(machineData, { recursive: true });
    execFileSync('mount', ['--bind', res.path, machineData]);
    mounted = true;
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [machineData]);
    await qsfs.close();
    await zdb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores what the machine writes and gives it back under the live mount after a cache drop', async () => {
    execFileSync('sh', ['-c', `mkdir -p ${machineData}/app && seq 1 50000 > ${machineData}/app/numbers.txt && echo ok > ${machineData}/flag`]);
    await qsfs.flush('7-12-qs');
    expect(qsfs.metrics('7-12-qs')).toContain('qsfs_files{workload="7-12-qs"} 2\n');
    const expected = fs.readFileSync(path.join(machineData, 'app', 'numbers.txt'));
    await qsfs.dropCache('7-12-qs');
    // the machine's view is the same directory, refilled from zdb
    expect(fs.readFileSync(path.join(machineData, 'app', 'numbers.txt')).equals(expected)).toBe(true);
    expect(execFileSync('sh', ['-c', `cat ${machineData}/flag`]).toString()).toBe('ok\n');
  });

  it('keeps the data when re-mounted with a new cache size', async () => {
    const res = await qsfs.update({ workloadId: '7-12-qs', cache: 2n << 20n, config });
    expect(fs.readFileSync(path.join(res.path, 'flag'), 'utf8')).toBe('ok\n');
    expect(qsfs.metrics('7-12-qs')).toContain('qsfs_cache_limit_bytes{workload="7-12-qs"} 2097152\n');
    expect(fs.readFileSync(path.join(machineData, 'flag'), 'utf8')).toBe('ok\n');
  });
});
