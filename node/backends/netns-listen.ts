/**
 * Listening inside another network namespace from a daemon that stays in its own (machine.md: "what works
 * here", `nsenter --net=/run/netns/<ns>` rather than `ip netns exec`, which remounts /sys).
 *
 * A socket keeps the namespace it was created in. So `listenInNetns` runs a bare `node` inside the namespace
 * through nsenter; it binds `host:port` there, hands the listening socket back over its IPC channel and exits.
 * `relayFromNetns` accepts on such a socket and pipes each connection to a target reachable from here. Used
 * for the gateway's public listeners (zos-protocol.md §6: 80/443 on the node's public address; node/runtime.ts)
 * and for 0-db on the node's address (zos-protocol.md §4 zdb result; node/backends/zdb/netns-listener.ts).
 *
 * ```ts
 * const http = await relayFromNetns({ log }, { netns: 'tfg-n2', host: '198.18.0.12', port: 80, to: { host: '127.0.0.1', port: proxy.httpPort } });
 * http.port;          // the bound port (the given one, or the one picked for 0)
 * await http.close(); // stops listening and drops the open connections
 * ```
 * @module
 */
import { spawn } from 'child_process';
import * as net from 'net';
import { ZosError } from '../../protocol/common/errors';
import type { Logger } from '../../protocol/common/log';

/** Run by a bare `node` inside the namespace (no TypeScript loader there): binds, hands the socket over IPC, exits. */
const NETNS_LISTENER = `
const net = require('net');
const srv = net.createServer();
srv.once('error', (e) => process.send({ error: e.message }, () => process.exit(1)));
srv.listen({ host: process.argv[1], port: Number(process.argv[2]) }, () =>
  process.send({ port: srv.address().port }, srv, () => { srv.close(); process.exit(0); }));
`;

/** A listening socket created inside another namespace, now owned by this process. */
export interface NetnsListener {
  server: net.Server;
  /** The bound port: the one asked for, or the one the kernel picked for 0. */
  port: number;
}

/**
 * A listening TCP socket on `host:port` inside network namespace `netns` (port 0 = any free port). The caller
 * adds `connection` listeners and closes it. Fails with ZosError `listen on <host>:<port> in <netns>: <cause>`,
 * the cause being the bind error (`EADDRINUSE`, `EADDRNOTAVAIL`) or nsenter's complaint (no such namespace).
 */
export function listenInNetns(netns: string, host: string, port: number): Promise<NetnsListener> {
  const fail = (cause: string) => new ZosError(`listen on ${host}:${port} in ${netns}: ${cause}`, { netns, host, port });
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', NETNS_LISTENER, host, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('message', (m: unknown, handle: unknown) => {
      const msg = (m ?? {}) as { port?: unknown; error?: unknown };
      if (typeof msg.error === 'string' || !(handle instanceof net.Server)) reject(fail(typeof msg.error === 'string' ? msg.error : 'no socket handed over'));
      else resolve({ server: handle, port: typeof msg.port === 'number' ? msg.port : port });
    });
    child.once('error', (e) => reject(fail(e.message)));
    // 'close' comes after the IPC channel and stderr are drained, so a handed-over socket always wins.
    child.once('close', (code) => reject(fail(`helper exited with ${code}: ${stderr.trim()}`)));
  });
}

export interface NetnsRelayOptions {
  /** The namespace to listen in. */
  netns: string;
  /** The address to bind there (it must exist in that namespace). */
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Where each connection is piped to, dialled from this process's namespace. */
  to: { host: string; port: number };
  /** What the listener is for, in log lines (default "netns listener"). */
  what?: string;
}

/** A running relay from a namespace; `close` stops listening and drops the connections it carries. */
export interface NetnsRelay {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on `opts.host:opts.port` inside `opts.netns` (`listenInNetns`) and pipes every connection to
 * `opts.to`; when either side ends or fails, both are destroyed. Fails as `listenInNetns` does.
 */
export async function relayFromNetns(deps: { log: Logger }, opts: NetnsRelayOptions): Promise<NetnsRelay> {
  const what = opts.what ?? 'netns listener';
  const { server, port } = await listenInNetns(opts.netns, opts.host, opts.port);
  const open = new Set<net.Socket>();
  server.on('connection', (sock: net.Socket) => {
    open.add(sock);
    const up = net.connect(opts.to.port, opts.to.host);
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
  server.on('error', (err) => deps.log.warn(`${what} failed`, { netns: opts.netns, host: opts.host, port, err: err.message }));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
