/**
 * The qsfs object store (zos-protocol.md §1.5 qsfs config): blocks are snappy-compressed, encrypted with
 * AES-256-GCM under the config's key, split by Reed-Solomon into `expected_shards` shards of which any
 * `minimal_shards` rebuild the block, and written one shard per zdb data backend. The file index (paths,
 * sizes, block references) is compressed, encrypted with the meta key and written to every meta backend
 * under `<prefix>:index`, with a version so the newest copy wins.
 *
 * Persisted shapes (`BlockRef`, `FileMeta`, `QsfsIndex`) live in zdb: add fields, never rename.
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'crypto';
import * as snappy from 'snappyjs';
import type { Logger } from '../../../protocol/common/log';
import { connectZdb, type ZdbClient, type ZdbDialer, type ZdbTarget } from '../zdb/client';
import { createReedSolomon, type ReedSolomon } from './reed-solomon';
import type { QsfsConfig, QsfsZdbBackend } from './qsfs';

/** Where one shard of a block lives: data backend index and the zdb key (hex). */
export interface ShardRef {
  b: number;
  k: string;
}
export interface BlockRef {
  /** Content id: sha256 of the encrypted block, hex (also the local cache file name). */
  id: string;
  /** Length of the encrypted block before sharding. */
  len: number;
  /** Length of the plain block. */
  plain: number;
  shards: Array<ShardRef | null>;
}
export interface FileMeta {
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  blocks: BlockRef[];
}
export interface QsfsIndex {
  version: number;
  files: Record<string, FileMeta>;
}

/** Counters the metrics endpoint serves. */
export interface StoreStats {
  blocksWritten: number;
  blocksRead: number;
  bytesWritten: number;
  bytesRead: number;
  shardWriteErrors: number;
  shardReadErrors: number;
  degradedReads: number;
  metaWrites: number;
}

const GCM_NONCE = 12;
const GCM_TAG = 16;

export class QsfsStore {
  readonly stats: StoreStats = {
    blocksWritten: 0,
    blocksRead: 0,
    bytesWritten: 0,
    bytesRead: 0,
    shardWriteErrors: 0,
    shardReadErrors: 0,
    degradedReads: 0,
    metaWrites: 0,
  };
  private readonly rs: ReedSolomon;
  private readonly key: Buffer;
  private readonly metaKey: Buffer;
  private readonly data: QsfsZdbBackend[];
  private readonly meta: QsfsZdbBackend[];
  private readonly clients = new Map<string, Promise<ZdbClient>>();
  /** Per data backend: true once we know it is a seq namespace (server picks keys). */
  private readonly seq = new Map<number, boolean>();
  /** Last known reachability per backend address, for metrics. */
  readonly up = new Map<string, boolean>();

  private readonly timeoutMs: number;
  private readonly dial: ZdbDialer | undefined;

  /** `opts.dial` opens the backend connections (default `net.connect`; the node's namespace in the local grid). */
  constructor(
    private readonly config: QsfsConfig,
    private readonly log: Logger,
    opts: { timeoutMs?: number; dial?: ZdbDialer } = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.dial = opts.dial;
    this.rs = createReedSolomon(config.minimal_shards, config.expected_shards);
    this.key = Buffer.from(config.encryption.key, 'hex');
    this.metaKey = Buffer.from(config.meta.config.encryption.key || config.encryption.key, 'hex');
    this.data = config.groups.flatMap((g) => g.backends);
    this.meta = config.meta.config.backends;
  }

  /** Compresses, encrypts, shards and writes one block; every expected shard must land somewhere. */
  async putBlock(plain: Buffer): Promise<BlockRef> {
    const enc = seal(this.key, Buffer.from(snappy.compress(plain)));
    const id = createHash('sha256').update(enc).digest('hex');
    const shards = this.rs.encode(enc);
    const refs: Array<ShardRef | null> = shards.map(() => null);
    const spare = Array.from({ length: this.data.length - shards.length }, (_, i) => shards.length + i);
    await Promise.all(
      shards.map(async (shard, i) => {
        const candidates = [i];
        for (;;) {
          const b = candidates.shift() ?? spare.shift();
          if (b === undefined) return;
          try {
            refs[i] = { b, k: (await this.writeShard(b, `${id.slice(0, 32)}.${i}`, shard)).toString('hex') };
            return;
          } catch (e) {
            this.stats.shardWriteErrors++;
            this.log.warn('qsfs shard write failed', { backend: this.data[b].address, namespace: this.data[b].namespace, err: e as Error });
          }
        }
      }),
    );
    const missing = refs.filter((r) => r === null).length;
    if (missing > 0) {
      throw new Error(`qsfs: could not place ${missing} of ${shards.length} shards (not enough reachable data backends)`);
    }
    this.stats.blocksWritten++;
    this.stats.bytesWritten += plain.length;
    return { id, len: enc.length, plain: plain.length, shards: refs };
  }

  /** Reads the shards, rebuilds from any `minimal_shards` of them, decrypts and decompresses. */
  async getBlock(ref: BlockRef): Promise<Buffer> {
    const got = await Promise.all(
      ref.shards.map(async (s) => {
        if (!s) return undefined;
        try {
          const v = await (await this.client(this.data[s.b])).get(Buffer.from(s.k, 'hex'));
          return v ?? undefined;
        } catch (e) {
          this.stats.shardReadErrors++;
          this.dropClient(this.data[s.b]);
          this.log.debug('qsfs shard read failed', { backend: this.data[s.b]?.address, err: e as Error });
          return undefined;
        }
      }),
    );
    const present = got.filter(Boolean).length;
    if (present < ref.shards.length) this.stats.degradedReads++;
    if (present < this.rs.dataShards) {
      throw new Error(`qsfs: block ${ref.id} has ${present} reachable shards, needs ${this.rs.dataShards}`);
    }
    const enc = this.rs.decode(got, ref.len);
    const plain = Buffer.from(snappy.uncompress(open(this.key, enc)));
    this.stats.blocksRead++;
    this.stats.bytesRead += plain.length;
    return plain;
  }

  /** Best effort: shards on unreachable backends stay behind (0-db has no quota refund anyway). */
  async deleteBlock(ref: BlockRef): Promise<void> {
    await Promise.all(
      ref.shards.map(async (s) => {
        if (!s) return;
        try {
          await (await this.client(this.data[s.b])).del(Buffer.from(s.k, 'hex'));
        } catch {
          this.dropClient(this.data[s.b]);
        }
      }),
    );
  }

  /** Writes the index to every meta backend; at least one must take it. */
  async saveIndex(index: QsfsIndex): Promise<number> {
    const blob = seal(this.metaKey, Buffer.from(snappy.compress(Buffer.from(JSON.stringify(index)))));
    const key = Buffer.from(`${this.config.meta.config.prefix}:index`);
    let ok = 0;
    const failed: string[] = [];
    await Promise.all(
      this.meta.map(async (m) => {
        try {
          await (await this.client(m)).set(key, blob);
          ok++;
        } catch (e) {
          this.dropClient(m);
          failed.push(`${m.address}/${m.namespace}: ${(e as Error).message}`);
          this.log.warn('qsfs meta write failed', { backend: m.address, err: e as Error });
        }
      }),
    );
    if (ok === 0) throw new Error(`qsfs: no meta backend accepted the index (tried ${failed.sort().join('; ')})`);
    this.stats.metaWrites++;
    return ok;
  }

  /** The newest index any meta backend holds, or an empty one. */
  async loadIndex(): Promise<QsfsIndex> {
    const key = Buffer.from(`${this.config.meta.config.prefix}:index`);
    let best: QsfsIndex = { version: 0, files: {} };
    let reached = 0;
    const failed: string[] = [];
    await Promise.all(
      this.meta.map(async (m) => {
        try {
          const blob = await (await this.client(m)).get(key);
          reached++;
          if (!blob) return;
          const idx = JSON.parse(Buffer.from(snappy.uncompress(open(this.metaKey, blob))).toString()) as QsfsIndex;
          if (idx.version > best.version) best = idx;
        } catch (e) {
          this.dropClient(m);
          failed.push(`${m.address}/${m.namespace}: ${(e as Error).message}`);
          this.log.warn('qsfs meta read failed', { backend: m.address, err: e as Error });
        }
      }),
    );
    // Name every address tried and why it failed: the user's fix is a wrong address or a zdb that is down.
    if (reached === 0 && this.meta.length > 0) throw new Error(`qsfs: no meta backend reachable (tried ${failed.sort().join('; ')})`);
    return best;
  }

  /** Probes every backend (for the metrics endpoint's `up` gauge). */
  async probe(): Promise<void> {
    await Promise.all(
      [...this.data, ...this.meta].map(async (b) => {
        try {
          await (await this.client(b)).command('PING');
        } catch {
          this.dropClient(b);
        }
      }),
    );
  }

  close(): void {
    for (const p of this.clients.values())
      p.then(
        (c) => c.close(),
        () => {},
      );
    this.clients.clear();
  }

  private async writeShard(b: number, key: string, shard: Buffer): Promise<Buffer> {
    const c = await this.client(this.data[b]).catch((e: unknown) => {
      this.dropClient(this.data[b]);
      throw e;
    });
    try {
      if (this.seq.get(b)) return await c.set(Buffer.alloc(0), shard);
      try {
        return await c.set(Buffer.from(key), shard);
      } catch (e) {
        if (!/only update authorized/.test((e as Error).message)) throw e;
        this.seq.set(b, true); // seq namespace: the server numbers the values
        return await c.set(Buffer.alloc(0), shard);
      }
    } catch (e) {
      if (c.closed) this.dropClient(this.data[b]);
      throw e;
    }
  }

  private client(b: QsfsZdbBackend): Promise<ZdbClient> {
    const id = `${b.address}/${b.namespace}`;
    let p = this.clients.get(id);
    if (!p) {
      p = connectZdb(b as ZdbTarget, { timeoutMs: this.timeoutMs, dial: this.dial }).then(
        (c) => {
          this.up.set(id, true);
          return c;
        },
        (e: unknown) => {
          this.up.set(id, false);
          throw e;
        },
      );
      this.clients.set(id, p);
      p.catch(() => this.clients.delete(id));
    } else {
      p.then(
        (c) => {
          if (c.closed) this.clients.delete(id);
        },
        () => {},
      );
    }
    return p;
  }

  private dropClient(b: QsfsZdbBackend | undefined): void {
    if (!b) return;
    const id = `${b.address}/${b.namespace}`;
    const p = this.clients.get(id);
    this.clients.delete(id);
    this.up.set(id, false);
    p?.then(
      (c) => c.close(),
      () => {},
    );
  }
}

function seal(key: Buffer, plain: Buffer): Buffer {
  const nonce = randomBytes(GCM_NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, c.getAuthTag(), body]);
}

function open(key: Buffer, blob: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, blob.subarray(0, GCM_NONCE));
  d.setAuthTag(blob.subarray(GCM_NONCE, GCM_NONCE + GCM_TAG));
  return Buffer.concat([d.update(blob.subarray(GCM_NONCE + GCM_TAG)), d.final()]);
}
