/**
 * examples/qsfs-shards on the shared local grid (zos-protocol.md §1.5 qsfs, §4 result; issue 9 "Done when"):
 * files written to the qsfs mount on node 1 are stored by the node's qsfs daemon in the zdb backends on node 2
 * (seen through the workload's metrics endpoint), then read back by a second mount of the same qsfs config
 * that starts with no local state at all (local cache dropped: nothing but the zdbs to read from) while
 * (expected − minimal) = 2 data backends and 2 of the 4 metadata backends are stopped.
 *
 * How backends are "stopped": the grid runs one zdb server per node (all eight namespaces live on node 2's),
 * and stopping it would break every other test on that node. So the recovering mount reaches each backend
 * through its own TCP forwarder in this test, and a stopped backend is a forwarder that is closed (connections
 * refused). A control run with 3 data backends stopped must fail, so the recovery really used the shards.
 * On the sim backend (no daemon, no store) only the deployment is checked.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { createQsfsDaemon } from '../../node/backends/qsfs/daemon';
import type { QsfsConfig, QsfsZdbBackend } from '../../node/backends/qsfs/qsfs';
import { silentLogger } from '../../protocol/common/log';
import type { GridState } from '../../local/grid/state';
import { ensureE2eGrid, runE2eExample } from './shared-grid';

jest.setTimeout(300_000);
const CONFIG = { zdbPassword: randomBytes(12).toString('hex'), dataKey: randomBytes(32).toString('hex'), metaKey: randomBytes(32).toString('hex') };
let grid: GridState;
beforeAll(async () => {
  grid = await ensureE2eGrid();
});

interface Forwarder {
  address: string;
  stop(): Promise<void>;
}

/** A TCP forwarder to `target` (`ip:port`) on an ephemeral 127.0.0.1 port; `stop` refuses further connections. */
async function forwarder(target: string): Promise<Forwarder> {
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(target.slice(i + 1));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as net.AddressInfo;
  let stopped = false;
  return {
    address: `127.0.0.1:${addr.port}`,
    stop: () => {
      if (stopped) return Promise.resolve();
      stopped = true;
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function metrics(url: string): Promise<string> {
  const r = await fetch(url);
  return r.ok ? r.text() : '';
}

function gauge(text: string, name: string): number {
  const m = new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
}

/** Mounts `config` afresh in an empty directory, as a node that lost its local state; returns the files it restored. */
async function recover(config: QsfsConfig, workloadId: string, expectFiles: string[]): Promise<Map<string, Buffer>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-qsfs-recover-'));
  const daemon = await createQsfsDaemon({ log: silentLogger }, { rootDir: root, metricsHost: '127.0.0.1', metricsPort: 0, syncIntervalMs: 3_600_000 });
  try {
    const r = await daemon.create({ workloadId, cache: 64n * 1024n * 1024n, config });
    return new Map(expectFiles.map((f) => [f, fs.readFileSync(path.join(r.path, f))]));
  } finally {
    await daemon.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('services: qsfs through examples/qsfs-shards', () => {
  it('files come back from the zdbs with the local cache dropped and 2 of 4 data backends stopped', async () => {
    const up = await runE2eExample(grid, 'qsfs-shards', 'up', CONFIG);
    const forwarders: Forwarder[] = [];
    try {
      const mnt = String(up.outputs.path);
      const metricsUrl = String(up.outputs.metricsEndpoint);
      const data = up.outputs.dataBackends as { address: string; namespace: string }[];
      const meta = up.outputs.metaBackends as { address: string; namespace: string }[];
      expect(data).toHaveLength(4);
      expect(meta).toHaveLength(4);
      if (grid.backend !== 'linux') return; // the sim backend keeps state only: no daemon, no store
      expect(fs.statSync(mnt).isDirectory()).toBe(true);

      // What a machine writes to /qsfs lands in this directory (bind-mounted into it).
      const files = new Map<string, Buffer>([
        ['hello.txt', Buffer.from('hello from qsfs\n')],
        ['big.bin', randomBytes(3 * 1024 * 1024 + 12345)],
        ['docs/nested/notes.md', Buffer.from('# notes\n'.repeat(5000))],
      ]);
      for (const [f, body] of files) {
        fs.mkdirSync(path.dirname(path.join(mnt, f)), { recursive: true });
        fs.writeFileSync(path.join(mnt, f), body);
      }

      // The node's daemon syncs every few seconds; its metrics endpoint says when all three files are stored.
      let text = '';
      for (let i = 0; i < 60; i++) {
        text = await metrics(metricsUrl).catch(() => '');
        if (gauge(text, 'qsfs_files') === files.size && gauge(text, 'qsfs_stored_bytes') === [...files.values()].reduce((a, b) => a + b.length, 0)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(gauge(text, 'qsfs_files')).toBe(files.size);
      expect(gauge(text, 'qsfs_blocks_written_total')).toBeGreaterThanOrEqual(4);
      expect(gauge(text, 'qsfs_sync_errors_total')).toBe(0);

      for (const b of [...data, ...meta]) forwarders.push(await forwarder(b.address));
      const backend = (i: number, b: { namespace: string }): QsfsZdbBackend => ({ address: forwarders[i].address, namespace: b.namespace, password: CONFIG.zdbPassword });
      const config: QsfsConfig = {
        minimal_shards: 2, expected_shards: 4, redundant_groups: 0, redundant_nodes: 0, max_zdb_data_dir_size: 0,
        encryption: { algorithm: 'AES', key: CONFIG.dataKey },
        meta: { type: 'zdb', config: { prefix: 'shards', encryption: { algorithm: 'AES', key: CONFIG.metaKey }, backends: meta.map((b, i) => backend(4 + i, b)) } },
        groups: [{ backends: data.map((b, i) => backend(i, b)) }],
        compression: { algorithm: 'snappy' },
      };
      const workloadId = path.basename(path.dirname(mnt));

      // Stop data backends 1 and 3 and metadata backends 2 and 4: every file still comes back, byte for byte.
      await Promise.all([0, 2, 5, 7].map((i) => forwarders[i].stop()));
      const back = await recover(config, workloadId, [...files.keys()]);
      for (const [f, body] of files) expect(back.get(f)?.equals(body)).toBe(true);

      // Control: with a third data backend stopped (fewer than minimal_shards left) the data is gone.
      await forwarders[1].stop();
      await expect(recover(config, workloadId, [...files.keys()])).rejects.toThrow();
    } finally {
      await Promise.all(forwarders.map((f) => f.stop()));
      await runE2eExample(grid, 'qsfs-shards', 'destroy', CONFIG);
    }
  });
});
