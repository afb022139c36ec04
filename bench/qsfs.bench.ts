/**
 * qsfs throughput (issue 9; zos-protocol.md §1.5 qsfs): MB/s of files written into a mount and synced into
 * zdb (compress + encrypt + 2-of-4 Reed-Solomon + 4 zdb writes per block), read back by a cache drop
 * (restore from zdb) with all backends up, and with 2 of 4 data backends stopped (parity decode).
 * Each data backend is its own zdb server in this process, so figures include the servers' work.
 *
 *     node -r @swc-node/register bench/qsfs.bench.ts
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../protocol/common/log';
import { createQsfsDaemon } from '../node/backends/qsfs/daemon';
import { testQsfsConfig } from '../node/backends/qsfs/test-config';
import { createReedSolomon } from '../node/backends/qsfs/reed-solomon';
import { createLinuxZdbBackend, type LinuxZdbBackend } from '../node/backends/zdb/linux';

const MB = 1024 * 1024;

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-qsfs-bench-'));
  const zdbs: LinuxZdbBackend[] = [];
  const out: Array<[string, string]> = [];
  try {
    // the codec alone, for scale
    const rs = createReedSolomon(2, 4);
    const block = randomBytes(MB);
    const codec = await timed(async () => {
      for (let i = 0; i < 32; i++) rs.decode([undefined, rs.encode(block)[1], undefined, rs.encode(block)[3]], MB);
    });
    out.push(['reed-solomon 2/4 encode x2 + parity decode', `${(32 / codec).toFixed(1)} MB/s`]);

    for (let i = 0; i < 5; i++) {
      const z = await createLinuxZdbBackend({ log: silentLogger }, { dataDir: path.join(dir, `zdb${i}`), addresses: ['127.0.0.1'], port: 0 });
      await z.create({ name: `qs-data-${i}`, size: 1n << 34n, mode: 'seq', password: 'qs-pass', public: false });
      await z.create({ name: 'qs-meta', size: 1n << 28n, mode: 'user', password: 'qs-pass', public: false });
      zdbs.push(z);
    }
    const config = testQsfsConfig(
      zdbs.slice(0, 4).map((z) => `127.0.0.1:${z.server.port}`),
      {
        minimal: 2,
        expected: 4,
        metaAddresses: [`127.0.0.1:${zdbs[4].server.port}`],
      },
    );
    const qsfs = await createQsfsDaemon({ log: silentLogger }, { rootDir: path.join(dir, 'node'), metricsPort: 0, syncIntervalMs: 3_600_000 });
    const res = await qsfs.create({ workloadId: 'bench', cache: BigInt(8 * MB), config });
    const FILES = 16;
    const SIZE = 4 * MB;
    for (let i = 0; i < FILES; i++) {
      // half random (incompressible), half text-like (compressible)
      const content = i % 2 ? randomBytes(SIZE) : Buffer.from('tfgrid qsfs benchmark line\n'.repeat(SIZE / 27 + 1)).subarray(0, SIZE);
      fs.writeFileSync(path.join(res.path, `f${i}`), content);
    }
    const total = (FILES * SIZE) / MB;
    const w = await timed(() => qsfs.flush('bench'));
    out.push([`write+sync ${total} MiB (2/4 shards)`, `${(total / w).toFixed(1)} MB/s`]);
    const r = await timed(() => qsfs.dropCache('bench'));
    out.push([`read (restore after cache drop), all up`, `${(total / r).toFixed(1)} MB/s`]);
    await zdbs[0].close();
    await zdbs[1].close();
    const d = await timed(() => qsfs.dropCache('bench'));
    out.push([`read with 2 of 4 data zdbs down`, `${(total / d).toFixed(1)} MB/s`]);
    out.push(['degraded / healthy read ratio', `${(r / d).toFixed(2)}x`]);
    await qsfs.close();
  } finally {
    for (const z of zdbs) await z.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const width = Math.max(...out.map((o) => o[0].length));
  for (const [k, v] of out) console.log(`${k.padEnd(width)}  ${v}`);
}

void main();
