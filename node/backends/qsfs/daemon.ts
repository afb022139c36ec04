/**
 * The real qsfs backend (zos-protocol.md §1.5 qsfs, §3.5 re-mount on update, §4 result, §6.6).
 *
 * Design, and why: ZOS runs zstor behind a FUSE file system (0-db-fs). This machine has `/dev/fuse` but
 * no FUSE library, and a hand-written FUSE protocol server was more risk than this issue could carry. So a
 * qsfs here is a **directory synced by a daemon**:
 * - `path` (`<rootDir>/<workload>/mnt`) is a plain directory; machines bind-mount it (containers) or get
 *   it over virtio-fs (VMs), as they would the ZOS mount.
 * - Every `syncIntervalMs` (and on `flush`/`close`) the daemon walks it; each new or changed regular file
 *   is cut into blocks that `QsfsStore` compresses, encrypts and erasure-codes into the zdb data backends;
 *   removed files drop out of the index (and their shards are deleted). The index goes to the meta backends.
 * - At mount time the directory is rebuilt from the index: files missing locally are restored from zdb.
 *   A node that lost its disk (or a cache drop: `dropCache`, `dropCaches`) gets every file back, with up to
 *   (expected − minimal) data backends down. A file that cannot be restored yet (too few shards reachable)
 *   stays in the index as *pending*: it is not deleted by the next sync, and every sync tries it again, so
 *   it reappears in the mount once enough backends are back.
 * - The local **block cache** (`<rootDir>/<workload>/cache`) holds decoded blocks, bounded by `cache`
 *   bytes (least recently used evicted). The mount directory itself is the machine's view and is not
 *   evicted: without FUSE a file cannot be fetched lazily on open.
 * - One metrics server per node (default port 9100) serves Prometheus text at `/metrics/<workload>`
 *   (ZOS serves `/metrics` from a per-qsfs container address; we share one listener).
 * Writes are eventually durable: a file is safe in zdb after the next sync, not at `close(2)`.
 * @module
 */
import * as fs from 'fs';
import * as http from 'http';
import type * as net from 'net';
import * as path from 'path';
import { ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { QSFS_METRICS_PORT, validateQsfsConfig, type QsfsBackend, type QsfsResult, type QsfsSpec } from './qsfs';
import type { ZdbDialer } from '../zdb/client';
import { QsfsStore, type BlockRef, type FileMeta, type QsfsIndex } from './store';

export interface QsfsDaemonOptions {
  rootDir: string;
  /** Address of the metrics listener (and the host in `metrics_endpoint`). */
  metricsHost?: string;
  /** 9100 by default; 0 = any free port (tests). */
  metricsPort?: number;
  syncIntervalMs?: number;
  /** Plain bytes per block; default 1 MiB. */
  blockSize?: number;
  /** Opens connections to the zdb backends (default `net.connect`); the local grid dials in the node's namespace. */
  dial?: ZdbDialer;
}

/** What one cache drop did to one mount. */
export interface QsfsDropReport {
  workloadId: string;
  /** Files rebuilt from the zdb backends. */
  restored: number;
  /** Files that could not be rebuilt yet (retried on every sync). */
  pending: number;
}

export interface QsfsDaemon extends QsfsBackend {
  /** Uploads every pending change of the workload now. */
  flush(workloadId: string): Promise<void>;
  /**
   * Forgets the local copy (mount directory and block cache) and rebuilds it from zdb. Rejects when some
   * file could not be rebuilt; those stay pending (kept in the index, retried on every sync).
   */
  dropCache(workloadId: string): Promise<void>;
  /** `dropCache` for every mount (the node operator's "drop caches"); never rejects, reports per mount. */
  dropCaches(): Promise<QsfsDropReport[]>;
  /** Prometheus text for one workload (what the endpoint serves). */
  metrics(workloadId: string): string;
  readonly metricsPort: number;
}

interface CacheEntry {
  size: number;
}

class Mount {
  readonly dir: string;
  readonly mnt: string;
  readonly cacheDir: string;
  store: QsfsStore;
  index: QsfsIndex = { version: 0, files: {} };
  cacheLimit: number;
  private readonly cache = new Map<string, CacheEntry>(); // LRU: Map order, oldest first
  private cacheBytes = 0;
  private syncing: Promise<void> | undefined;
  syncErrors = 0;
  lastSync = 0;
  lastError = '';
  restoredFiles = 0;
  restoreErrors = 0;
  cacheDrops = 0;
  /** Indexed files not (yet) rebuilt locally: kept in the index by sync, retried by it. */
  readonly pending = new Set<string>();

  constructor(
    readonly spec: QsfsSpec,
    rootDir: string,
    private readonly log: Logger,
    private readonly blockSize: number,
    dial?: ZdbDialer,
  ) {
    this.dir = path.join(rootDir, spec.workloadId);
    this.mnt = path.join(this.dir, 'mnt');
    this.cacheDir = path.join(this.dir, 'cache');
    this.store = new QsfsStore(spec.config, log, { dial });
    this.cacheLimit = Number(spec.cache);
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.mnt, { recursive: true });
    fs.mkdirSync(this.cacheDir, { recursive: true });
    this.loadCacheTable();
    this.index = await this.store.loadIndex();
    // Without the index nothing can be mounted (above); files whose shards are out of reach stay pending and
    // come back on a later sync, as a reboot with some backends down should not refuse the whole mount.
    await this.restore().catch((e: unknown) => this.log.warn('qsfs mounted with files pending', { workload: this.spec.workloadId, err: e as Error }));
  }

  /**
   * Puts back every indexed file that is missing locally. Every file is tried; the ones that fail stay
   * pending and the call rejects naming how many, after the others are in place.
   */
  async restore(): Promise<number> {
    this.restoring ??= this.restoreMissing().finally(() => (this.restoring = undefined));
    const r = await this.restoring;
    if (r.failed > 0) throw new Error(`qsfs ${this.spec.workloadId}: ${r.failed} file(s) could not be restored: ${r.error}`);
    return r.restored;
  }

  private restoring: Promise<{ restored: number; failed: number; error: string }> | undefined;

  private async restoreMissing(): Promise<{ restored: number; failed: number; error: string }> {
    let restored = 0;
    let failed = 0;
    let firstError = '';
    for (const meta of Object.values(this.index.files)) {
      const file = path.join(this.mnt, meta.path);
      if (fs.existsSync(file)) {
        this.pending.delete(meta.path);
        continue;
      }
      this.pending.add(meta.path);
      const tmp = `${file}.qsfs-restore`;
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const fd = fs.openSync(tmp, 'w', meta.mode & 0o7777);
        try {
          for (const b of meta.blocks) fs.writeSync(fd, await this.readBlock(b));
        } finally {
          fs.closeSync(fd);
        }
        fs.utimesSync(tmp, new Date(), new Date(meta.mtimeMs));
        fs.renameSync(tmp, file);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        failed++;
        this.restoreErrors++;
        firstError ||= (e as Error).message;
        continue;
      }
      this.pending.delete(meta.path);
      this.restoredFiles++;
      restored++;
    }
    if (failed > 0) this.lastError = firstError;
    return { restored, failed, error: firstError };
  }

  /** Empties the local copy and rebuilds it from zdb (waits for a running sync and restore first). */
  async dropAndRestore(): Promise<number> {
    await this.syncing?.catch(() => undefined);
    await this.restoring;
    // Pending before the files go, so that a sync running meanwhile cannot drop them from the index.
    for (const rel of Object.keys(this.index.files)) this.pending.add(rel);
    this.dropLocal();
    this.cacheDrops++;
    this.index = await this.store.loadIndex();
    return this.restore();
  }

  sync(): Promise<void> {
    if (this.syncing) {
      return this.syncing.then(() => this.sync());
    }
    this.syncing = this.syncOnce()
      .catch((e: unknown) => {
        this.syncErrors++;
        this.lastError = (e as Error).message;
        this.log.warn('qsfs sync failed', { workload: this.spec.workloadId, err: e as Error });
        throw e;
      })
      .finally(() => {
        this.syncing = undefined;
      });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    if (this.pending.size > 0) await this.restore().catch(() => undefined);
    const seen = new Set<string>();
    const stale: BlockRef[] = [];
    let changed = false;
    for (const rel of walk(this.mnt)) {
      seen.add(rel);
      this.pending.delete(rel);
      const file = path.join(this.mnt, rel);
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue; // removed while walking
      }
      const old = this.index.files[rel];
      // Index mtimes are whole ms; a restored file's mtime comes back from utimes as e.g. 217.999 for 217.
      if (old && old.size === st.size && Math.abs(old.mtimeMs - st.mtimeMs) < 1) continue;
      const blocks: BlockRef[] = [];
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.allocUnsafe(this.blockSize);
        for (;;) {
          const n = fs.readSync(fd, buf, 0, this.blockSize, null);
          if (n <= 0) break;
          const plain = Buffer.from(buf.subarray(0, n));
          const ref = await this.store.putBlock(plain);
          this.cachePut(ref.id, plain);
          blocks.push(ref);
        }
      } finally {
        fs.closeSync(fd);
      }
      if (old) stale.push(...old.blocks);
      const meta: FileMeta = { path: rel, size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode, blocks };
      this.index.files[rel] = meta;
      changed = true;
    }
    for (const rel of Object.keys(this.index.files)) {
      if (seen.has(rel) || this.pending.has(rel)) continue;
      stale.push(...this.index.files[rel].blocks);
      delete this.index.files[rel];
      changed = true;
    }
    if (changed) {
      this.index.version++;
      await this.store.saveIndex(this.index);
      // old blocks go only after the new index is stored, so a crash never points at deleted shards
      const live = new Set(Object.values(this.index.files).flatMap((f) => f.blocks.map((b) => b.id)));
      for (const b of stale) if (!live.has(b.id)) await this.store.deleteBlock(b);
    }
    this.lastSync = Date.now();
  }

  async readBlock(ref: BlockRef): Promise<Buffer> {
    const cached = this.cacheGet(ref.id);
    if (cached) return cached;
    const plain = await this.store.getBlock(ref);
    this.cachePut(ref.id, plain);
    return plain;
  }

  dropLocal(): void {
    // Empty the mount directory but keep its inode: machines hold bind mounts of it.
    for (const e of fs.readdirSync(this.mnt)) fs.rmSync(path.join(this.mnt, e), { recursive: true, force: true });
    fs.rmSync(this.cacheDir, { recursive: true, force: true });
    this.cache.clear();
    this.cacheBytes = 0;
    fs.mkdirSync(this.mnt, { recursive: true });
    fs.mkdirSync(this.cacheDir, { recursive: true });
  }

  get cacheUsed(): number {
    return this.cacheBytes;
  }

  private cacheGet(id: string): Buffer | undefined {
    const e = this.cache.get(id);
    if (!e) return undefined;
    try {
      const b = fs.readFileSync(path.join(this.cacheDir, id));
      this.cache.delete(id);
      this.cache.set(id, e); // most recently used goes last
      return b;
    } catch {
      this.cache.delete(id);
      this.cacheBytes -= e.size;
      return undefined;
    }
  }

  private cachePut(id: string, plain: Buffer): void {
    if (plain.length > this.cacheLimit || this.cache.has(id)) return;
    fs.writeFileSync(path.join(this.cacheDir, id), plain);
    this.cache.set(id, { size: plain.length });
    this.cacheBytes += plain.length;
    this.evictToLimit();
  }

  private loadCacheTable(): void {
    const entries = fs
      .readdirSync(this.cacheDir)
      .map((name) => ({ name, st: fs.statSync(path.join(this.cacheDir, name)) }))
      .sort((a, b) => a.st.atimeMs - b.st.atimeMs);
    for (const { name, st } of entries) {
      this.cache.set(name, { size: st.size });
      this.cacheBytes += st.size;
    }
    // a smaller cache after an update: evict down to the new bound
    this.evictToLimit();
  }

  /** Drops least recently used blocks (first in the table) until the cache fits its limit. */
  private evictToLimit(): void {
    for (const [old, e] of this.cache) {
      if (this.cacheBytes <= this.cacheLimit) break;
      this.cache.delete(old);
      this.cacheBytes -= e.size;
      fs.rmSync(path.join(this.cacheDir, old), { force: true });
    }
  }
}

/** Relative paths of regular files under `root`, skipping our own temporary files. */
function* walk(root: string, rel = ''): Generator<string> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) yield* walk(root, r);
    else if (e.isFile() && !e.name.endsWith('.qsfs-restore')) yield r;
  }
}

export async function createQsfsDaemon(deps: { log: Logger }, opts: QsfsDaemonOptions): Promise<QsfsDaemon> {
  const log = deps.log.child({ component: 'qsfs' });
  const mounts = new Map<string, Mount>();
  const blockSize = opts.blockSize ?? 1 << 20;
  const host = opts.metricsHost ?? '127.0.0.1';
  fs.mkdirSync(opts.rootDir, { recursive: true });

  const metricsText = (id: string): string => {
    const m = mounts.get(id);
    if (!m) return '';
    const s = m.store.stats;
    const files = Object.values(m.index.files);
    const lbl = `workload="${id}"`;
    const lines = [
      '# TYPE qsfs_files gauge',
      `qsfs_files{${lbl}} ${files.length}`,
      '# TYPE qsfs_stored_bytes gauge',
      `qsfs_stored_bytes{${lbl}} ${files.reduce((a, f) => a + f.size, 0)}`,
      '# TYPE qsfs_index_version gauge',
      `qsfs_index_version{${lbl}} ${m.index.version}`,
      '# TYPE qsfs_blocks_written_total counter',
      `qsfs_blocks_written_total{${lbl}} ${s.blocksWritten}`,
      '# TYPE qsfs_blocks_read_total counter',
      `qsfs_blocks_read_total{${lbl}} ${s.blocksRead}`,
      '# TYPE qsfs_written_bytes_total counter',
      `qsfs_written_bytes_total{${lbl}} ${s.bytesWritten}`,
      '# TYPE qsfs_read_bytes_total counter',
      `qsfs_read_bytes_total{${lbl}} ${s.bytesRead}`,
      '# TYPE qsfs_shard_write_errors_total counter',
      `qsfs_shard_write_errors_total{${lbl}} ${s.shardWriteErrors}`,
      '# TYPE qsfs_shard_read_errors_total counter',
      `qsfs_shard_read_errors_total{${lbl}} ${s.shardReadErrors}`,
      '# TYPE qsfs_degraded_reads_total counter',
      `qsfs_degraded_reads_total{${lbl}} ${s.degradedReads}`,
      '# TYPE qsfs_restored_files_total counter',
      `qsfs_restored_files_total{${lbl}} ${m.restoredFiles}`,
      '# TYPE qsfs_restore_errors_total counter',
      `qsfs_restore_errors_total{${lbl}} ${m.restoreErrors}`,
      '# TYPE qsfs_restore_pending_files gauge',
      `qsfs_restore_pending_files{${lbl}} ${m.pending.size}`,
      '# TYPE qsfs_cache_drops_total counter',
      `qsfs_cache_drops_total{${lbl}} ${m.cacheDrops}`,
      '# TYPE qsfs_sync_errors_total counter',
      `qsfs_sync_errors_total{${lbl}} ${m.syncErrors}`,
      '# TYPE qsfs_last_sync_timestamp_seconds gauge',
      `qsfs_last_sync_timestamp_seconds{${lbl}} ${Math.floor(m.lastSync / 1000)}`,
      '# TYPE qsfs_cache_bytes gauge',
      `qsfs_cache_bytes{${lbl}} ${m.cacheUsed}`,
      '# TYPE qsfs_cache_limit_bytes gauge',
      `qsfs_cache_limit_bytes{${lbl}} ${m.cacheLimit}`,
      '# TYPE qsfs_backend_up gauge',
      ...[...m.store.up].map(([b, up]) => `qsfs_backend_up{${lbl},backend="${b}"} ${up ? 1 : 0}`),
    ];
    return lines.join('\n') + '\n';
  };

  const server = http.createServer((req, res) => {
    const m = /^\/metrics(?:\/([^/?]+))?/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const ids = m[1] ? [decodeURIComponent(m[1])] : [...mounts.keys()];
    if (m[1] && !mounts.has(ids[0])) {
      res.writeHead(404).end();
      return;
    }
    const mount = m[1] ? mounts.get(ids[0]) : undefined;
    const probe = mount ? mount.store.probe() : Promise.resolve();
    void probe.then(() => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(ids.map(metricsText).join(''));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.metricsPort ?? QSFS_METRICS_PORT, host, () => resolve());
  });
  const metricsPort = (server.address() as net.AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;

  const timer = setInterval(() => {
    for (const m of mounts.values()) m.sync().catch(() => {});
  }, opts.syncIntervalMs ?? 2000);
  timer.unref();

  const result = (m: Mount): QsfsResult => ({
    path: m.mnt,
    metrics_endpoint: `http://${hostPart}:${metricsPort}/metrics/${encodeURIComponent(m.spec.workloadId)}`,
  });
  const check = (spec: QsfsSpec) => {
    const invalid = validateQsfsConfig(spec.config);
    if (invalid) throw new ZosError(invalid, { nodeMessage: invalid, workload: spec.workloadId });
  };
  const mountFor = (id: string) => {
    const m = mounts.get(id);
    if (!m) throw new ZosError(`qsfs ${id} is not mounted`, { workload: id });
    return m;
  };

  const daemon: QsfsDaemon = {
    metricsPort,
    async create(spec) {
      check(spec);
      const existing = mounts.get(spec.workloadId);
      if (existing) return result(existing);
      const m = new Mount(spec, opts.rootDir, log, blockSize, opts.dial);
      try {
        await m.start();
      } catch (e) {
        m.store.close();
        throw new ZosError(`failed to mount qsfs: ${(e as Error).message}`, { workload: spec.workloadId }, { cause: e });
      }
      mounts.set(spec.workloadId, m);
      log.info('qsfs mounted', { workload: spec.workloadId, files: Object.keys(m.index.files).length, restored: m.restoredFiles });
      return result(m);
    },
    async update(spec) {
      check(spec);
      const old = mounts.get(spec.workloadId);
      if (!old) return daemon.create(spec);
      await old.sync().catch(() => {});
      old.store.close();
      mounts.delete(spec.workloadId);
      return daemon.create(spec);
    },
    async remove(id) {
      const m = mounts.get(id);
      if (!m) return;
      mounts.delete(id);
      await m.sync().catch(() => {});
      m.store.close();
      fs.rmSync(m.dir, { recursive: true, force: true });
    },
    list: () => [...mounts.keys()],
    flush: (id) => mountFor(id).sync(),
    async dropCache(id) {
      await mountFor(id).dropAndRestore();
    },
    async dropCaches() {
      const out: QsfsDropReport[] = [];
      for (const [workloadId, m] of mounts) {
        const before = m.restoredFiles;
        await m.dropAndRestore().catch((e: unknown) => log.warn('qsfs cache drop left files pending', { workload: workloadId, err: e as Error }));
        out.push({ workloadId, restored: m.restoredFiles - before, pending: m.pending.size });
      }
      log.info('qsfs caches dropped', { mounts: out });
      return out;
    },
    metrics: metricsText,
    async close() {
      clearInterval(timer);
      for (const m of mounts.values()) {
        await m.sync().catch(() => {});
        m.store.close();
      }
      mounts.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return daemon;
}
