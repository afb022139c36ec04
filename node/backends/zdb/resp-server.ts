/**
 * A 0-db compatible server over RESP (zos-protocol.md §6.6; command set and reply texts follow
 * threefoldtech/0-db zdbd/commands*.c): PING, TIME, AUTH, SET/SETX, GET, DEL, EXISTS, SCAN, RSCAN,
 * KEYCUR, INFO, DBSIZE, NSNEW, NSDEL, NSLIST, NSSET, NSINFO, SELECT, FLUSH. Namespaces are per-namespace
 * `user` or `seq` (0-db decides the mode per server; ZOS runs one zdb per mode, we keep one server).
 * Data lives in `NamespaceStore`s under `dataDir` and survives restarts.
 * @module
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { Logger } from '../../../protocol/common/log';
import { MAX_KEY_LENGTH, NamespaceStore, type NamespaceSettings } from './namespace-store';
import type { ZdbMode } from './zdb';

export const DEFAULT_NAMESPACE = 'default';
const SCAN_BATCH = 1000;

export interface ZdbServerOptions {
  dataDir: string;
  /** Addresses to listen on; default `['127.0.0.1']`. */
  addresses?: string[];
  /** 9900 by default; 0 picks a free port (the same one on every address). */
  port?: number;
  /** Admin password for AUTH; without it every client is admin (0-db's behaviour). */
  adminPassword?: string;
}

export interface ZdbServer {
  readonly port: number;
  readonly addresses: string[];
  /** Admin operations without a connection (what the node's zdb backend uses). */
  createNamespace(settings: NamespaceSettings): void;
  namespace(name: string): NamespaceStore | undefined;
  namespaces(): NamespaceStore[];
  updateNamespace(name: string, change: Partial<Omit<NamespaceSettings, 'name' | 'mode'>>): void;
  deleteNamespace(name: string): void;
  close(): Promise<void>;
}

type Reply = Buffer | string;

interface Client {
  socket: net.Socket;
  ns: NamespaceStore | null;
  writable: boolean;
  admin: boolean;
}

export async function startZdbServer(deps: { log: Logger }, opts: ZdbServerOptions): Promise<ZdbServer> {
  const dataDir = opts.dataDir;
  const nsDir = path.join(dataDir, 'namespaces');
  fs.mkdirSync(nsDir, { recursive: true });
  const stores = new Map<string, NamespaceStore>();
  for (const name of fs.readdirSync(nsDir)) {
    const dir = path.join(nsDir, name);
    if (fs.existsSync(path.join(dir, 'settings.json'))) stores.set(decodeName(name), NamespaceStore.open(dir));
  }
  if (!stores.has(DEFAULT_NAMESPACE)) {
    stores.set(
      DEFAULT_NAMESPACE,
      NamespaceStore.create(path.join(nsDir, encodeName(DEFAULT_NAMESPACE)), {
        name: DEFAULT_NAMESPACE, mode: 'user', password: '', public: true, maxsize: 0, locked: false,
      }),
    );
  }
  const clients = new Set<Client>();
  const log = deps.log.child({ component: 'zdb' });

  const createNamespace = (settings: NamespaceSettings) => {
    if (stores.has(settings.name)) throw new Error(`namespace ${settings.name} exists`);
    stores.set(settings.name, NamespaceStore.create(path.join(nsDir, encodeName(settings.name)), settings));
  };
  const deleteNamespace = (name: string) => {
    const s = stores.get(name);
    if (!s || name === DEFAULT_NAMESPACE) return;
    stores.delete(name);
    for (const c of clients) {
      if (c.ns === s) c.ns = null;
    }
    s.destroy();
  };

  const handle = (c: Client, argv: Buffer[]): Reply | null => {
    if (argv.length === 0) return null;
    if (c.ns === null) {
      c.socket.end(err('Your active namespace is not available anymore (probably removed).'));
      return null;
    }
    const cmd = argv[0].toString().toUpperCase();
    const ns = c.ns;
    const a = (i: number) => argv[i].toString();
    const adminOnly = () => (c.admin ? undefined : err('Permission denied'));
    const expect = (n: number, allowEmpty = false) => {
      if (argv.length !== n) return err('Unexpected arguments');
      if (!allowEmpty && argv.some((x) => x.length === 0)) return err('Invalid argument');
      return undefined;
    };
    const nsArg = () => (argv[1].length > 128 ? err('Namespace too long') : undefined);
    switch (cmd) {
      case 'PING':
        return argv.length > 1 ? bulk(argv[1]) : '+PONG\r\n';
      case 'TIME': {
        const now = Date.now();
        return array([bulk(String(Math.floor(now / 1000))), bulk(String((now % 1000) * 1000))]);
      }
      case 'AUTH': {
        if (argv.length < 2) return err('Invalid argument');
        if (opts.adminPassword === undefined || a(argv.length - 1) === opts.adminPassword) {
          c.admin = true;
          return '+OK\r\n';
        }
        return err('Access denied');
      }
      case 'INFO':
        return bulk(
          [
            '# server', 'server_name: 0-db (zdb)', 'server_revision: tfgrid-node', `server_mode: per-namespace`,
            `namespaces: ${stores.size}`, `clients: ${clients.size}`, '',
          ].join('\n'),
        );
      case 'SET':
      case 'SETX': {
        if (argv.length === 4) {
          const denied = adminOnly();
          if (denied) return denied;
        } else {
          const bad = expect(3, true);
          if (bad) return bad;
        }
        if (argv[1].length > MAX_KEY_LENGTH) return err('Key too large');
        if (!c.writable) return err('Namespace is in read-only mode');
        if (ns.settings.locked) return err('Namespace is temporarily locked');
        if (ns.wouldOverflow(argv[1], argv[2].length)) return err('No space left on this namespace');
        const ts = argv.length === 4 ? Number(a(3)) : undefined;
        let key = argv[1];
        if (ns.settings.mode === 'user') {
          if (key.length === 0) return err('Invalid argument, key needed');
        } else {
          if (key.length > 0 && !ns.has(key)) return err('Invalid key, only update authorized');
          if (key.length === 0) key = ns.nextSeqKey();
        }
        const old = ns.get(key);
        if (old && old.equals(argv[2])) return '$-1\r\n'; // unchanged data: 0-db answers nil
        ns.set(key, argv[2], ts);
        return bulk(key);
      }
      case 'GET': {
        const bad = expect(2);
        if (bad) return bad;
        if (ns.settings.locked) return err('Namespace is temporarily locked');
        const v = ns.get(argv[1]);
        return v ? bulk(v) : '$-1\r\n';
      }
      case 'EXISTS': {
        const bad = expect(2);
        if (bad) return bad;
        if (argv[1].length > MAX_KEY_LENGTH) return err('Invalid key');
        return `:${ns.has(argv[1]) ? 1 : 0}\r\n`;
      }
      case 'DEL': {
        const bad = expect(2);
        if (bad) return bad;
        if (argv[1].length > MAX_KEY_LENGTH) return err('Invalid key');
        if (!c.writable) return err('Namespace is in read-only mode');
        if (ns.settings.locked) return err('Namespace is temporarily locked');
        return ns.del(argv[1]) ? '+OK\r\n' : err('Key not found');
      }
      case 'KEYCUR': {
        const bad = expect(2);
        if (bad) return bad;
        const cur = ns.cursorOf(argv[1]);
        return cur ? bulk(cur) : err('Key not found');
      }
      case 'SCAN':
      case 'SCANX':
      case 'RSCAN': {
        let cursor: Buffer | undefined;
        if (argv.length > 1) {
          if (argv[1].length !== 8) return err('Invalid key format');
          cursor = argv[1];
        }
        let items = ns.scan(cursor, cmd === 'RSCAN' ? Number.MAX_SAFE_INTEGER : SCAN_BATCH);
        if (cmd === 'RSCAN') items = items.reverse().slice(0, SCAN_BATCH);
        if (items.length === 0) return err('No more data');
        const last = items[items.length - 1];
        return array([
          bulk(last.cursor),
          array(items.map((it) => array([bulk(it.key), `:${it.length}\r\n`, `:${it.timestamp}\r\n`]))),
        ]);
      }
      case 'DBSIZE':
        return `:${ns.entries}\r\n`;
      case 'NSLIST':
        return array([...stores.keys()].map((n) => bulk(n)));
      case 'NSINFO': {
        const bad = expect(2) ?? nsArg();
        if (bad) return bad;
        const t = stores.get(a(1));
        if (!t) return err('Namespace not found');
        return bulk(nsInfo(t, c.admin));
      }
      case 'NSNEW': {
        const bad = adminOnly() ?? expect(2) ?? nsArg();
        if (bad) return bad;
        const name = a(1);
        if (!isValidName(name)) return err('This name is not allowed');
        if (stores.has(name)) return err('This namespace is not available');
        createNamespace({ name, mode: 'user', password: '', public: true, maxsize: 0, locked: false });
        return '+OK\r\n';
      }
      case 'NSDEL': {
        const bad = adminOnly() ?? expect(2) ?? nsArg();
        if (bad) return bad;
        const name = a(1);
        if (name === DEFAULT_NAMESPACE) return err('Cannot remove default namespace');
        const t = stores.get(name);
        if (!t) return err("This namespace doesn't exists");
        if (c.ns === t) return err("Cannot remove namespace you're currently using.");
        deleteNamespace(name);
        return '+OK\r\n';
      }
      case 'NSSET': {
        const bad = adminOnly() ?? expect(4) ?? nsArg();
        if (bad) return bad;
        if (argv[3].length > 63) return err('Invalid value');
        const [name, prop, value] = [a(1), a(2), a(3)];
        if (name === DEFAULT_NAMESPACE) return err('Cannot update default namespace');
        const t = stores.get(name);
        if (!t) return err('Namespace not found');
        if (prop === 'maxsize') t.settings.maxsize = Number.parseInt(value, 10) || 0;
        else if (prop === 'password') t.settings.password = value === '*' ? '' : value;
        else if (prop === 'public') t.settings.public = value.startsWith('1');
        else if (prop === 'lock') t.settings.locked = value.startsWith('1');
        else if (prop === 'mode') {
          if (value !== 'user' && value !== 'seq') return err('Invalid value');
          if (t.entries > 0) return err('Cannot change mode of a non-empty namespace');
          t.settings.mode = value as ZdbMode;
        } else return err('Invalid property');
        t.saveSettings();
        return '+OK\r\n';
      }
      case 'SELECT': {
        if (argv.length < 2) return err('Invalid argument');
        if (argv[1].length > 128) return err('Namespace too long');
        const t = stores.get(a(1));
        if (!t) return err('Namespace not found');
        let writable = true;
        if (t.settings.password) {
          if (argv.length < 3) {
            if (!t.settings.public) return err('Namespace protected and private');
            writable = false;
          } else if (a(2) !== t.settings.password) {
            return err('Access denied');
          }
        }
        c.ns = t;
        c.writable = writable;
        return '+OK\r\n';
      }
      case 'FLUSH': {
        if (ns.settings.public || !ns.settings.password) return err('Flushing public namespace denied');
        for (const it of ns.scan(undefined, Number.MAX_SAFE_INTEGER)) ns.del(it.key);
        return '+OK\r\n';
      }
      default:
        return err('Command not supported');
    }
  };

  const onConnection = (socket: net.Socket) => {
    const c: Client = { socket, ns: stores.get(DEFAULT_NAMESPACE) ?? null, writable: true, admin: opts.adminPassword === undefined };
    clients.add(c);
    socket.setNoDelay(true);
    const parser = new RespParser();
    socket.on('data', (chunk: Buffer) => {
      let commands: Buffer[][];
      try {
        commands = parser.push(chunk);
      } catch (e) {
        socket.end(err(`Protocol error: ${(e as Error).message}`));
        return;
      }
      const out: Reply[] = [];
      for (const argv of commands) {
        let r: Reply | null;
        try {
          r = handle(c, argv);
        } catch (e) {
          log.error('zdb command failed', { err: e as Error });
          r = err('Internal Error');
        }
        if (r !== null) out.push(r);
        if (socket.destroyed || socket.writableEnded) return;
      }
      if (out.length) socket.write(Buffer.concat(out.map((r) => (typeof r === 'string' ? Buffer.from(r) : r))));
    });
    socket.on('error', () => {});
    socket.on('close', () => clients.delete(c));
  };

  const addresses = opts.addresses ?? ['127.0.0.1'];
  const servers: net.Server[] = [];
  let port = opts.port ?? 9900;
  try {
    for (const addr of addresses) {
      const srv = net.createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, addr, () => resolve());
      });
      servers.push(srv);
      port = (srv.address() as net.AddressInfo).port;
    }
  } catch (e) {
    for (const s of servers) s.close();
    for (const s of stores.values()) s.close();
    throw e;
  }
  log.info('zdb listening', { addresses, port });

  return {
    port,
    addresses: [...addresses],
    createNamespace,
    namespace: (name) => stores.get(name),
    namespaces: () => [...stores.values()],
    updateNamespace(name, change) {
      const s = stores.get(name);
      if (!s) throw new Error(`namespace ${name} not found`);
      Object.assign(s.settings, change);
      s.saveSettings();
    },
    deleteNamespace,
    async close() {
      for (const c of clients) c.socket.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      for (const s of stores.values()) s.close();
    },
  };
}

function nsInfo(t: NamespaceStore, admin: boolean): string {
  const s = t.settings;
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(2);
  const lines = [
    '# namespace',
    `name: ${s.name}`,
    `entries: ${t.entries}`,
    `public: ${s.public ? 'yes' : 'no'}`,
    'worm: no',
    `password: ${s.password ? 'yes' : 'no'}`,
    `data_size_bytes: ${t.dataSize}`,
    `data_size_mb: ${mb(t.dataSize)}`,
    `data_limits_bytes: ${s.maxsize}`,
    `index_size_bytes: ${t.indexSize}`,
    `index_size_kb: ${(t.indexSize / 1024).toFixed(2)}`,
    `mode: ${s.mode === 'user' ? 'userkey' : 'sequential'}`,
    `locked: ${s.locked ? 'yes' : 'no'}`,
  ];
  if (admin && s.password) lines.push(`password_raw: ${s.password}`);
  return lines.join('\n') + '\n';
}

/** 0-db refuses names that would escape its directory layout. */
function isValidName(name: string): boolean {
  return !name.includes('/') && !name.startsWith('.') && name.length > 0;
}

/** Directory names stay safe for any namespace name. */
function encodeName(name: string): string {
  return encodeURIComponent(name);
}
function decodeName(dir: string): string {
  return decodeURIComponent(dir);
}

function err(text: string): string {
  return `-${text}\r\n`;
}
function bulk(v: Buffer | string): Buffer {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
}
function array(items: Reply[]): Buffer {
  return Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items.map((r) => (typeof r === 'string' ? Buffer.from(r) : r))]);
}

/** Incremental RESP request parser: multibulk arrays (what clients send) and inline commands. */
export class RespParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[][] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[][] = [];
    let pos = 0;
    for (;;) {
      const r = this.parseOne(pos);
      if (!r) break;
      out.push(r.argv);
      pos = r.next;
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
    return out;
  }

  private parseOne(pos: number): { argv: Buffer[]; next: number } | undefined {
    const b = this.buf;
    if (pos >= b.length) return undefined;
    if (b[pos] !== 0x2a /* '*' */) {
      const eol = b.indexOf(0x0a, pos);
      if (eol < 0) {
        if (b.length - pos > 65536) throw new Error('inline command too long');
        return undefined;
      }
      const line = b.subarray(pos, eol).toString().replace(/\r$/, '');
      return { argv: splitInline(line).map((s) => Buffer.from(s)), next: eol + 1 };
    }
    const crlf = b.indexOf('\r\n', pos);
    if (crlf < 0) return undefined;
    const n = Number.parseInt(b.subarray(pos + 1, crlf).toString(), 10);
    if (!Number.isFinite(n) || n > 1024 * 1024) throw new Error('invalid multibulk length');
    let p = crlf + 2;
    const argv: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      if (p >= b.length) return undefined;
      if (b[p] !== 0x24 /* '$' */) throw new Error("expected '$'");
      const e = b.indexOf('\r\n', p);
      if (e < 0) return undefined;
      const len = Number.parseInt(b.subarray(p + 1, e).toString(), 10);
      if (!Number.isFinite(len) || len < 0 || len > 512 * 1024 * 1024) throw new Error('invalid bulk length');
      const start = e + 2;
      if (start + len + 2 > b.length) return undefined;
      argv.push(Buffer.from(b.subarray(start, start + len)));
      p = start + len + 2;
    }
    return { argv, next: p };
  }
}

/** Inline commands split on spaces, with double quotes grouping (enough for telnet use). */
function splitInline(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}
