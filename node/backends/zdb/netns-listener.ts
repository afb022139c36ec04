/**
 * The zdb server on the node's own addresses (zos-protocol.md §4 zdb result `{"Namespace","IPs","Port"}`:
 * "addresses reachable from other nodes' networks"; issue 9 "port 9900 on the node's addresses").
 *
 * A node daemon of the local grid stays in the root namespace (chain, relay and hub listen on 127.0.0.1
 * there), while the node's addresses live in its host namespace. A socket keeps the namespace it was created
 * in, so `listenInNetns` binds `host:port` inside that namespace with a bare `node` run through
 * `ip netns exec`, which hands the listening socket back over its IPC channel and exits. `exposeZdbInNetns`
 * accepts on that socket and relays each connection to the node's 0-db server, and the workload results
 * then list the namespace-side address and port.
 *
 * ```ts
 * const inner = await createZdbBackend({ log }, { dataDir, addresses: ['127.0.0.1'], port: 0 });
 * const zdb = await exposeZdbInNetns({ log }, inner, { netns: 'tfg-n2', host: '198.18.0.12', port: 9900 });
 * await zdb.create(spec);   // → { Namespace, IPs: ['198.18.0.12'], Port: 9900 }
 * ```
 * @module
 */
import { spawn } from 'child_process';
import * as net from 'net';
import type { Logger } from '../../../protocol/common/log';
import { ZDB_DEFAULT_PORT, type ZdbBackend, type ZdbResult } from './zdb';

/** Run by a bare `node` inside the namespace: binds there and hands the listening socket over IPC. */
const NETNS_LISTENER = `
const net = require('net');
const srv = net.createServer();
srv.once('error', (e) => process.send({ error: e.message }, () => process.exit(1)));
srv.listen({ host: process.argv[1], port: Number(process.argv[2]) }, () =>
  process.send({ port: srv.address().port }, srv, () => { srv.close(); process.exit(0); }));
`;

/**
 * A listening TCP socket on `host:port` inside network namespace `netns` (0 = any free port). The caller
 * adds `connection` listeners and closes it. Fails with the bind error (`EADDRINUSE`, `EADDRNOTAVAIL`).
 */
export async function listenInNetns(netns: string, host: string, port: number): Promise<{ server: net.Server; port: number }> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', NETNS_LISTENER, host, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('message', (m: unknown, handle: unknown) => {
      const msg = (m ?? {}) as { port?: number; error?: string };
      if (msg.error || !(handle instanceof net.Server)) reject(new Error(`listen on ${host}:${port} in ${netns}: ${msg.error ?? 'no socket handed over'}`));
      else resolve({ server: handle, port: msg.port ?? port });
    });
    child.once('error', (e) => reject(new Error(`listen on ${host}:${port} in ${netns}: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`listen on ${host}:${port} in ${netns}: helper exited with ${code}: ${stderr.trim()}`)));
  });
}

export interface ExposeZdbOptions {
  /** The node's host namespace, where its addresses live. */
  netns: string;
  /** The node's address there (no prefix length); what the results list. */
  host: string;
  /** Default 9900 (ZOS); 0 = any free port (tests). */
  port?: number;
}

/**
 * `inner` (listening on 127.0.0.1 in this namespace) served on `opts.host:opts.port` inside `opts.netns`:
 * every result and `endpoint()` name that address; `close` stops the listener, then `inner`.
 */
export async function exposeZdbInNetns(deps: { log: Logger }, inner: ZdbBackend, opts: ExposeZdbOptions): Promise<ZdbBackend> {
  const log = deps.log.child({ component: 'zdb-netns' });
  const target = inner.endpoint();
  const { server, port } = await listenInNetns(opts.netns, opts.host, opts.port ?? ZDB_DEFAULT_PORT);
  const open = new Set<net.Socket>();
  server.on('connection', (sock: net.Socket) => {
    open.add(sock);
    const up = net.connect(target.Port, target.IPs[0]);
    up.setNoDelay(true);
    sock.setNoDelay(true);
    const end = () => {
      open.delete(sock);
      sock.destroy();
      up.destroy();
    };
    sock.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    sock.pipe(up).pipe(sock);
  });
  server.on('error', (err) => log.warn('zdb listener failed', { netns: opts.netns, host: opts.host, port, err: err.message }));
  log.info('zdb listening on the node address', { netns: opts.netns, host: opts.host, port });
  const IPs = [opts.host];
  const advertise = (r: ZdbResult): ZdbResult => ({ Namespace: r.Namespace, IPs: [...IPs], Port: port });
  return {
    create: async (spec) => advertise(await inner.create(spec)),
    update: async (spec) => advertise(await inner.update(spec)),
    remove: (name) => inner.remove(name),
    pause: (name) => inner.pause(name),
    resume: (name) => inner.resume(name),
    get: (name) => inner.get(name),
    list: () => inner.list(),
    endpoint: () => ({ IPs: [...IPs], Port: port }),
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inner.close();
    },
  };
}
