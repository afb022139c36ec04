/**
 * A small 0-db client over RESP for the node's own use (qsfs writes its shards through it;
 * zos-protocol.md §1.5 qsfs backends `{address, namespace, password}`). Pipelined: replies are matched to
 * commands in order. `ioredis` stays a test-only dependency.
 *
 * ```ts
 * const c = await connectZdb({ address: '[fd00::2]:9900', namespace: '7-12-db', password: 'pw' });
 * const key = await c.set(Buffer.alloc(0), data);  // seq namespace: the server picks the key
 * const back = await c.get(key);
 * c.close();
 * ```
 * @module
 */
import * as net from 'net';

export type RespValue = Buffer | string | number | null | RespValue[];

export class ZdbReplyError extends Error {}

export interface ZdbClient {
  command(...args: Array<Buffer | string>): Promise<RespValue>;
  /** SET; returns the key the server stored the value under (seq namespaces pick it). */
  set(key: Buffer, value: Buffer): Promise<Buffer>;
  get(key: Buffer): Promise<Buffer | null>;
  del(key: Buffer): Promise<void>;
  close(): void;
  readonly closed: boolean;
}

export interface ZdbTarget {
  /** `ip:port` or `[ip6]:port`. */
  address: string;
  namespace: string;
  password: string;
}

/**
 * Opens the TCP connection to `host:port`; default `net.connect`. A node whose daemon runs outside the
 * namespace that reaches the backends passes one that dials there (`createNetnsBridge(...).dial`).
 */
export type ZdbDialer = (host: string, port: number) => net.Socket | Promise<net.Socket>;

export function parseAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`invalid zdb address ${JSON.stringify(address)}: want ip:port or [ip6]:port`);
  return { host: m[1], port: Number(m[2]) };
}

export async function connectZdb(target: ZdbTarget, opts: { timeoutMs?: number; dial?: ZdbDialer } = {}): Promise<ZdbClient> {
  const { host, port } = parseAddress(target.address);
  const timeoutMs = opts.timeoutMs ?? 3000;
  const s = await (opts.dial ?? ((h: string, p: number) => net.connect(p, h)))(host, port);
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    if (s.destroyed) return reject(new Error(`zdb ${target.address}: connection closed`));
    if (!s.connecting) return resolve(s);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`zdb ${target.address}: connect timeout after ${timeoutMs}ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(new Error(`zdb ${target.address}: ${e.message}`));
    });
  });
  socket.setNoDelay(true);
  const pending: Array<{ resolve: (v: RespValue) => void; reject: (e: Error) => void }> = [];
  let buf = Buffer.alloc(0);
  let closed = false;
  const failAll = (e: Error) => {
    closed = true;
    for (const p of pending.splice(0)) p.reject(e);
  };
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      const r = parseReply(buf, 0);
      if (!r) break;
      buf = buf.subarray(r.next);
      const p = pending.shift();
      if (!p) continue;
      if (r.value instanceof ZdbReplyError) p.reject(r.value);
      else p.resolve(r.value);
    }
  });
  socket.on('error', (e) => failAll(new Error(`zdb ${target.address}: ${e.message}`)));
  socket.on('close', () => failAll(new Error(`zdb ${target.address}: connection closed`)));

  const command = (...args: Array<Buffer | string>): Promise<RespValue> => {
    if (closed) return Promise.reject(new Error(`zdb ${target.address}: connection closed`));
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = typeof a === 'string' ? Buffer.from(a) : a;
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
    return new Promise((resolve, reject) => {
      pending.push({ resolve, reject });
      socket.write(Buffer.concat(parts));
    });
  };

  const client: ZdbClient = {
    command,
    async set(key, value) {
      const r = await command('SET', key, value);
      // nil: the value was already stored under this key (0-db skips identical data)
      return r === null ? key : (r as Buffer);
    },
    async get(key) {
      return (await command('GET', key)) as Buffer | null;
    },
    async del(key) {
      await command('DEL', key);
    },
    close() {
      closed = true;
      socket.destroy();
    },
    get closed() {
      return closed;
    },
  };
  try {
    if (target.namespace) {
      await (target.password ? command('SELECT', target.namespace, target.password) : command('SELECT', target.namespace));
    }
  } catch (e) {
    client.close();
    throw new Error(`zdb ${target.address}: select ${target.namespace}: ${(e as Error).message}`);
  }
  return client;
}

function parseReply(b: Buffer, pos: number): { value: RespValue | ZdbReplyError; next: number } | undefined {
  if (pos >= b.length) return undefined;
  const eol = b.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(b[pos]);
  const line = b.subarray(pos + 1, eol).toString();
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      return { value: new ZdbReplyError(line), next: eol + 2 };
    case ':':
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: eol + 2 };
      if (eol + 2 + len + 2 > b.length) return undefined;
      return { value: Buffer.from(b.subarray(eol + 2, eol + 2 + len)), next: eol + 2 + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      const items: RespValue[] = [];
      let p = eol + 2;
      for (let i = 0; i < n; i++) {
        const r = parseReply(b, p);
        if (!r) return undefined;
        items.push(r.value instanceof ZdbReplyError ? r.value.message : r.value);
        p = r.next;
      }
      return { value: items, next: p };
    }
    default:
      throw new Error(`zdb: unexpected reply type ${JSON.stringify(type)}`);
  }
}
