/**
 * A 0-db compatible server over RESP (zos-protocol.md §6.6; command set and reply texts follow
 * threefoldtech/0-db zdbd/commands*.c): PING, TIME, AUTH, SET/SETX, GET, DEL, EXISTS, SCAN, RSCAN,
 * KEYCUR, INFO, DBSIZE, NSNEW, NSDEL, NSLIST, NSSET, NSINFO, SELECT, FLUSH. Namespaces are per-namespace
 * `user` or `seq` (0-db decides the mode per server; ZOS runs one zdb per mode, we keep one server).
 * Data lives in `NamespaceStore`s under `dataDir` and survives restarts.
 * Parts: RESP parsing/encoding (`resp.ts`), the command table (`commands.ts`, `namespace-commands.ts`), the
 * namespaces and client sessions (`namespaces.ts`); this file listens and feeds each connection's commands through.
 * @module
 */
import * as net from 'net';
import type { Logger } from '../../../protocol/common/log';
import { handleCommand } from './commands';
import type { NamespaceSettings, NamespaceStore } from './namespace-store';
import { DEFAULT_NAMESPACE, openNamespaces } from './namespaces';
import type { Client, ZdbNamespaces } from './namespaces';
import { RespParser, err } from './resp';
import type { Reply } from './resp';

export { DEFAULT_NAMESPACE } from './namespaces';
export { RespParser } from './resp';

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

/** One connection: parse its bytes into commands, answer them in order in one write. */
function serveConnection(socket: net.Socket, namespaces: ZdbNamespaces, adminPassword: string | undefined, log: Logger): void {
  const c: Client = { socket, ns: namespaces.stores.get(DEFAULT_NAMESPACE) ?? null, writable: true, admin: adminPassword === undefined };
  namespaces.clients.add(c);
  socket.setNoDelay(true);
  const parser = new RespParser();
  const server = { namespaces, adminPassword };
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
        r = handleCommand(server, c, argv);
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
  socket.on('close', () => namespaces.clients.delete(c));
}

export async function startZdbServer(deps: { log: Logger }, opts: ZdbServerOptions): Promise<ZdbServer> {
  const namespaces = openNamespaces(opts.dataDir);
  const { stores, clients } = namespaces;
  const log = deps.log.child({ component: 'zdb' });

  const addresses = opts.addresses ?? ['127.0.0.1'];
  const servers: net.Server[] = [];
  let port = opts.port ?? 9900;
  try {
    for (const addr of addresses) {
      const srv = net.createServer((socket) => serveConnection(socket, namespaces, opts.adminPassword, log));
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
    createNamespace: namespaces.create,
    namespace: (name) => stores.get(name),
    namespaces: () => [...stores.values()],
    updateNamespace(name, change) {
      const s = stores.get(name);
      if (!s) throw new Error(`namespace ${name} not found`);
      Object.assign(s.settings, change);
      s.saveSettings();
    },
    deleteNamespace: namespaces.delete,
    async close() {
      for (const c of clients) c.socket.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      for (const s of stores.values()) s.close();
    },
  };
}
