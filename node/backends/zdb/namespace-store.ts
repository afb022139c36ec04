/**
 * One 0-db namespace on disk: settings in `settings.json`, data in an append-only log `data.log` that is
 * replayed at open (zos-protocol.md §6.6; 0-db semantics from threefoldtech/0-db zdbd/commands_*.c).
 *
 * Log record (little-endian): `op u8 (1 set, 2 del) | keylen u8 | vallen u32 | ts u32 | key | value`.
 * A torn record at the tail (crash mid-write) is cut off at open. When more than half of the log (and over
 * 1 MiB) is dead (overwritten or deleted values), open rewrites it with the live records only, in write
 * order, then renames it into place. Format is persisted: add ops, never change existing ones. Values are read back from the file on GET, so memory holds only the index.
 * @module
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ZdbMode } from './zdb';

const OP_SET = 1;
const OP_DEL = 2;
const HEADER = 10;
export const MAX_KEY_LENGTH = 255;
const COMPACT_MIN_DEAD = 1 << 20;

/** Persisted namespace settings; add fields, never rename. */
export interface NamespaceSettings {
  name: string;
  mode: ZdbMode;
  /** Empty: no password. */
  password: string;
  public: boolean;
  /** Bytes of values allowed; 0 = unlimited (0-db `maxsize`). */
  maxsize: number;
  locked: boolean;
  /** Seq mode: the next id, saved at compaction so ids of deleted values are never handed out again. */
  seqNext?: number;
}

interface Entry {
  /** Offset of the value in data.log. */
  offset: number;
  length: number;
  timestamp: number;
  /** Position in write order; SCAN cursors are built from it. */
  seq: number;
}

export class NamespaceStore {
  readonly dir: string;
  settings: NamespaceSettings;
  private fd: number;
  private size: number;
  private readonly index = new Map<string, Entry>();
  private datasize = 0;
  private nextSeq = 1;
  private nextId = 0;

  private constructor(dir: string, settings: NamespaceSettings) {
    this.dir = dir;
    this.settings = settings;
    const file = path.join(dir, 'data.log');
    this.nextId = settings.seqNext ?? 0;
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    this.size = fs.fstatSync(this.fd).size;
    this.replay();
    const live = this.liveLogBytes();
    if (this.size - live > COMPACT_MIN_DEAD && this.size - live > live) this.compact();
  }

  /** Bytes of the log that live records occupy. */
  liveLogBytes(): number {
    let n = 0;
    for (const [k, e] of this.index) n += HEADER + k.length / 2 + e.length;
    return n;
  }

  get logBytes(): number {
    return this.size;
  }

  /** Rewrites the log with live records only (write order and timestamps kept). */
  compact(): void {
    const file = path.join(this.dir, 'data.log');
    const tmp = path.join(this.dir, 'data.log.compact');
    if (this.settings.mode === 'seq') {
      this.settings.seqNext = this.nextId;
      this.saveSettings();
    }
    const out = fs.openSync(tmp, 'w');
    try {
      let pos = 0;
      for (const [k, e] of this.index) {
        const key = Buffer.from(k, 'hex');
        const value = Buffer.allocUnsafe(e.length);
        if (e.length > 0) fs.readSync(this.fd, value, 0, e.length, e.offset);
        const header = Buffer.allocUnsafe(HEADER);
        header.writeUInt8(OP_SET, 0);
        header.writeUInt8(key.length, 1);
        header.writeUInt32LE(value.length, 2);
        header.writeUInt32LE(e.timestamp >>> 0, 6);
        const rec = Buffer.concat([header, key, value]);
        fs.writeSync(out, rec, 0, rec.length, pos);
        pos += rec.length;
      }
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    fs.closeSync(this.fd);
    fs.renameSync(tmp, file);
    this.fd = fs.openSync(file, 'r+');
    this.size = fs.fstatSync(this.fd).size;
    this.index.clear();
    this.datasize = 0;
    this.nextSeq = 1;
    this.replay();
  }

  /** Opens an existing namespace directory. */
  static open(dir: string): NamespaceStore {
    const settings = JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')) as NamespaceSettings;
    return new NamespaceStore(dir, settings);
  }

  /** Creates the directory and settings, then opens it. */
  static create(dir: string, settings: NamespaceSettings): NamespaceStore {
    fs.mkdirSync(dir, { recursive: true });
    writeSettings(dir, settings);
    return new NamespaceStore(dir, settings);
  }

  get entries(): number {
    return this.index.size;
  }
  get dataSize(): number {
    return this.datasize;
  }
  get indexSize(): number {
    let n = 0;
    for (const k of this.index.keys()) n += k.length / 2 + 16;
    return n;
  }

  saveSettings(): void {
    writeSettings(this.dir, this.settings);
  }

  /** Would writing `valueLength` bytes under `key` exceed the size limit? (0-db's check, `floating` included) */
  wouldOverflow(key: Buffer, valueLength: number): boolean {
    if (this.settings.maxsize === 0) return false;
    const floating = key.length ? (this.index.get(key.toString('hex'))?.length ?? 0) : 0;
    return this.datasize + valueLength > this.settings.maxsize + floating;
  }

  get(key: Buffer): Buffer | undefined {
    const e = this.index.get(key.toString('hex'));
    if (!e) return undefined;
    const buf = Buffer.allocUnsafe(e.length);
    if (e.length > 0) fs.readSync(this.fd, buf, 0, e.length, e.offset);
    return buf;
  }

  has(key: Buffer): boolean {
    return this.index.has(key.toString('hex'));
  }

  /** Next key a seq-mode SET with an empty key gets (4 bytes, little-endian id). */
  nextSeqKey(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(this.nextId);
    return b;
  }

  set(key: Buffer, value: Buffer, timestamp = Math.floor(Date.now() / 1000)): void {
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt8(OP_SET, 0);
    header.writeUInt8(key.length, 1);
    header.writeUInt32LE(value.length, 2);
    header.writeUInt32LE(timestamp >>> 0, 6);
    const rec = Buffer.concat([header, key, value]);
    fs.writeSync(this.fd, rec, 0, rec.length, this.size);
    this.apply(OP_SET, key, this.size + HEADER + key.length, value.length, timestamp);
    this.size += rec.length;
  }

  del(key: Buffer): boolean {
    if (!this.has(key)) return false;
    const header = Buffer.alloc(HEADER);
    header.writeUInt8(OP_DEL, 0);
    header.writeUInt8(key.length, 1);
    header.writeUInt32LE(Math.floor(Date.now() / 1000) >>> 0, 6);
    const rec = Buffer.concat([header, key]);
    fs.writeSync(this.fd, rec, 0, rec.length, this.size);
    this.size += rec.length;
    this.apply(OP_DEL, key, 0, 0, 0);
    return true;
  }

  /** Cursor (8 bytes) that SCAN continues after; undefined for unknown keys. */
  cursorOf(key: Buffer): Buffer | undefined {
    const e = this.index.get(key.toString('hex'));
    if (!e) return undefined;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(e.seq));
    return b;
  }

  /** Entries in write order after `cursor` (or from the start), at most `limit`. */
  scan(cursor: Buffer | undefined, limit: number): Array<{ key: Buffer; length: number; timestamp: number; cursor: Buffer }> {
    const after = cursor ? Number(cursor.readBigUInt64BE(0)) : 0;
    const out: Array<{ key: Buffer; length: number; timestamp: number; cursor: Buffer }> = [];
    for (const [k, e] of this.index) {
      if (e.seq <= after) continue;
      const c = Buffer.alloc(8);
      c.writeBigUInt64BE(BigInt(e.seq));
      out.push({ key: Buffer.from(k, 'hex'), length: e.length, timestamp: e.timestamp, cursor: c });
      if (out.length >= limit) break;
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Closes and deletes the directory. */
  destroy(): void {
    this.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private apply(op: number, key: Buffer, offset: number, length: number, timestamp: number): void {
    const k = key.toString('hex');
    const old = this.index.get(k);
    if (old) {
      this.datasize -= old.length;
      this.index.delete(k); // re-inserted below: Map order is write order, as 0-db's index walk
    }
    if (op === OP_SET) {
      this.index.set(k, { offset, length, timestamp, seq: this.nextSeq++ });
      this.datasize += length;
      if (this.settings.mode === 'seq' && key.length === 4) this.nextId = Math.max(this.nextId, key.readUInt32LE(0) + 1);
    }
  }

  private replay(): void {
    const header = Buffer.allocUnsafe(HEADER);
    let pos = 0;
    while (pos + HEADER <= this.size) {
      fs.readSync(this.fd, header, 0, HEADER, pos);
      const op = header.readUInt8(0);
      const klen = header.readUInt8(1);
      const vlen = header.readUInt32LE(2);
      const ts = header.readUInt32LE(6);
      const recLen = HEADER + klen + (op === OP_SET ? vlen : 0);
      if ((op !== OP_SET && op !== OP_DEL) || pos + recLen > this.size) break;
      const key = Buffer.allocUnsafe(klen);
      fs.readSync(this.fd, key, 0, klen, pos + HEADER);
      this.apply(op, key, pos + HEADER + klen, vlen, ts);
      pos += recLen;
    }
    if (pos !== this.size) {
      // A torn tail from a crash: drop it so the next append starts on a record boundary.
      fs.ftruncateSync(this.fd, pos);
      this.size = pos;
    }
  }
}

function writeSettings(dir: string, settings: NamespaceSettings): void {
  const tmp = path.join(dir, 'settings.json.tmp');
  fs.writeFileSync(tmp, JSON.stringify(settings));
  fs.renameSync(tmp, path.join(dir, 'settings.json'));
}
