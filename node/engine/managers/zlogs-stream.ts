/**
 * The zlogs stream (zos-protocol.md §1.5 zlogs, §6.2): follows a machine's captured console file (the machine
 * backend's `logPath`) like `tail -f` and sends every new chunk to the workload's `output`, as ZOS's
 * `tailstream` does:
 * - `ws://` / `wss://` — each chunk is one WebSocket text message;
 * - `redis://[user][:password@]host[:port][/db]/<channel>` — each chunk is `PUBLISH`ed to `<channel>`.
 * The file is read from its start (lines written before the stream began are delivered too), chunks are
 * split on line ends, and the sink is only dialled once there is a first chunk to send. A sink that is down is retried; while it is down chunks queue up to a bound and the
 * oldest are dropped (a log stream must never block or grow the node without limit).
 * @module
 */
import * as fs from 'fs';
import * as net from 'net';
import WebSocket from 'ws';
import type { Logger } from '../../../protocol/common/log';

export interface LogStream {
  /** Stops following and closes the sink. */
  close(): Promise<void>;
}

export interface LogStreamOptions {
  /** File the machine's console is appended to; it may not exist yet. */
  file: string;
  /** The workload's `output` URL (scheme `ws`, `wss` or `redis`). */
  output: string;
  /** How often the file is checked for new bytes (default 200 ms). */
  pollMs?: number;
  /** Chunks kept while the sink is unreachable (default 1000). */
  maxQueued?: number;
}

/** A place chunks go to. */
interface Sink {
  send(chunk: string): void;
  close(): Promise<void>;
}

const RETRY_MS = 500;

/** Starts streaming `file` to `output`; throws for an unsupported URL (the manager validated it already). */
export function startLogStream(deps: { log: Logger }, opts: LogStreamOptions): LogStream {
  const url = new URL(opts.output);
  const max = opts.maxQueued ?? 1000;
  const log = deps.log.child({ component: 'zlogs', output: redactUrl(url) });
  const makeSink = url.protocol === 'redis:' ? () => redisSink(url, max, log) : url.protocol === 'ws:' || url.protocol === 'wss:' ? () => wsSink(url, max, log) : undefined;
  if (!makeSink) throw new Error(`invalid output schema '${url.protocol.replace(/:$/, '')}' not supported`);
  if (url.protocol === 'redis:') parseRedisOutput(url);
  // The sink connects on the first chunk: a machine that never writes (the sim) never opens a connection.
  let sink: Sink | undefined;

  let offset = 0;
  let partial = '';
  let reading = false;
  const poll = () => {
    if (reading) return;
    reading = true;
    readNew()
      .catch((err: unknown) => log.debug('log file read failed', { err: String(err) }))
      .finally(() => (reading = false));
  };
  const readNew = async () => {
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(opts.file, 'r');
    } catch {
      return; // not there yet
    }
    try {
      const { size } = await fh.stat();
      if (size < offset) offset = 0; // truncated or replaced: start over
      while (offset < size) {
        const buf = Buffer.alloc(Math.min(64 * 1024, size - offset));
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        partial += buf.subarray(0, bytesRead).toString('utf8');
        const end = partial.lastIndexOf('\n');
        if (end >= 0) {
          (sink ??= makeSink()).send(partial.slice(0, end + 1));
          partial = partial.slice(end + 1);
        }
      }
    } finally {
      await fh.close();
    }
  };
  const timer = setInterval(poll, opts.pollMs ?? 200);
  timer.unref();
  poll();
  return {
    async close() {
      clearInterval(timer);
      await sink?.close();
    },
  };
}

function redactUrl(url: URL): string {
  const u = new URL(url.toString());
  if (u.password) u.password = '***';
  return u.toString();
}

/** A bounded FIFO: the oldest chunks go first when full. */
function queue(max: number) {
  const items: string[] = [];
  return {
    push(c: string) {
      items.push(c);
      if (items.length > max) items.splice(0, items.length - max);
    },
    drain(): string[] {
      return items.splice(0, items.length);
    },
    unshift(cs: string[]) {
      items.unshift(...cs);
      if (items.length > max) items.splice(0, items.length - max);
    },
  };
}

function wsSink(url: URL, max: number, log: Logger): Sink {
  const pending = queue(max);
  let ws: WebSocket | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = () => {
    if (closed) return;
    const sock = new WebSocket(url.toString());
    ws = sock;
    sock.on('open', () => {
      for (const c of pending.drain()) sock.send(c);
    });
    sock.on('error', (err) => log.debug('ws sink error', { err: err.message }));
    sock.on('close', () => {
      if (ws === sock) ws = undefined;
      if (!closed) {
        retry = setTimeout(connect, RETRY_MS);
        retry.unref();
      }
    });
  };
  connect();
  return {
    send(chunk) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(chunk);
      else pending.push(chunk);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const sock = ws;
      if (!sock || sock.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          sock.terminate();
          resolve();
        }, 1000);
        sock.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        if (sock.readyState === WebSocket.CONNECTING) sock.terminate();
        else sock.close();
      });
    },
  };
}

/** RESP array of bulk strings. */
function resp(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

/** `redis://[user][:password@]host[:port][/db]/<channel>` → connection facts; the channel is required. */
export function parseRedisOutput(url: URL): { host: string; port: number; username?: string; password?: string; db?: number; channel: string } {
  const segs = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  if (segs.length === 0 || segs.length > 2) throw new Error(`redis output ${redactUrl(url)}: expected /[<db>/]<channel>`);
  const channel = segs[segs.length - 1];
  const db = segs.length === 2 ? Number(segs[0]) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new Error(`redis output ${redactUrl(url)}: db '${segs[0]}' is not a number`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    channel,
  };
}

function redisSink(url: URL, max: number, log: Logger): Sink {
  const target = parseRedisOutput(url);
  const pending = queue(max);
  let sock: net.Socket | undefined;
  let ready = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = () => {
    if (closed) return;
    const s = net.connect(target.port, target.host);
    sock = s;
    s.on('connect', () => {
      if (target.password !== undefined) {
        s.write(resp(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]));
      }
      if (target.db !== undefined) s.write(resp(['SELECT', String(target.db)]));
      ready = true;
      for (const c of pending.drain()) s.write(resp(['PUBLISH', target.channel, c]));
    });
    s.on('data', (d: Buffer) => {
      // Replies are integers (subscriber counts) or +OK; an error reply is logged, the stream goes on.
      if (d[0] === 0x2d) log.warn('redis sink refused a command', { reply: d.toString().trim().slice(0, 200) });
    });
    s.on('error', (err) => log.debug('redis sink error', { err: err.message }));
    s.on('close', () => {
      if (sock === s) {
        sock = undefined;
        ready = false;
      }
      if (!closed) {
        retry = setTimeout(connect, RETRY_MS);
        retry.unref();
      }
    });
  };
  connect();
  return {
    send(chunk) {
      if (sock && ready) sock.write(resp(['PUBLISH', target.channel, chunk]));
      else pending.push(chunk);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const s = sock;
      if (!s || s.destroyed) return;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    },
  };
}
