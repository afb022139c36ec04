/**
 * The real gateway: a reverse proxy on the node's public address (zos-protocol.md §6.5), doing what
 * traefik does on ZOS. Port 80 serves HTTP by `Host`; port 443 reads the TLS ClientHello's SNI and either
 * pipes the raw connection to the backend (`tls_passthrough`) or terminates TLS with a certificate from
 * the grid CA (a `*.<domain>` wildcard for name proxies, one certificate per FQDN for FQDN proxies) and
 * proxies to `http://ip:port`. Backends are reached through the injected dialer, which is how the node
 * dials from a twin's private network (`network` set) or from its host namespace (every other backend;
 * node/backends/gateway/netns-bridge.ts); several backends are used round-robin.
 * @module
 */
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import { Duplex } from 'stream';
import * as tls from 'tls';
import type { Logger } from '../../../protocol/common/log';
import { parseBackend, proxyAdders, type BackendTarget, type GatewayBackend, type GatewayDeps, type GatewayNodeConfig, type GatewayRoute } from './gateway';
import type { GridCa, IssuedCert } from './grid-ca';

export interface GatewayProxyOptions {
  node: GatewayNodeConfig;
  /** Where to listen; ports 80/443 on a node, 0 = any free port (tests). */
  listen: { host: string; httpPort?: number; httpsPort?: number };
  /** Signs the certificates of terminated domains. */
  ca: GridCa;
}

export interface GatewayProxy extends GatewayBackend {
  readonly httpPort: number;
  readonly httpsPort: number;
}

interface ActiveRoute extends GatewayRoute {
  targets: BackendTarget[];
  next: number;
}

/** How long a client may take to send its ClientHello before we drop it. */
const HELLO_TIMEOUT_MS = 10_000;

export async function createGatewayProxy(deps: GatewayDeps & { log: Logger }, opts: GatewayProxyOptions): Promise<GatewayProxy> {
  const log = deps.log.child({ component: 'gateway' });
  const dial = deps.dial ?? ((t) => net.connect(t.port, t.host));
  const routes = new Map<string, ActiveRoute>(); // by workload id
  const byHost = new Map<string, ActiveRoute>(); // by lowercase fqdn
  const certs = new Map<string, tls.SecureContext>(); // by cert name (`*.domain` or fqdn)

  const taken = (fqdn: string, id: string) => {
    const r = byHost.get(fqdn);
    return r !== undefined && r.workloadId !== id;
  };
  const install = (route: GatewayRoute) => {
    const old = routes.get(route.workloadId);
    if (old) byHost.delete(old.fqdn.toLowerCase());
    const targets = route.backends.map((b) => parseBackend(b, route.tlsPassthrough) as BackendTarget);
    const active: ActiveRoute = { ...route, targets, next: 0 };
    routes.set(route.workloadId, active);
    byHost.set(route.fqdn.toLowerCase(), active);
    log.info(`${route.kind} proxy added`, { workload: route.workloadId, fqdn: route.fqdn, passthrough: route.tlsPassthrough });
  };
  const pick = (r: ActiveRoute) => r.targets[r.next++ % r.targets.length];
  /** A socket to one of the route's backends; the dialer may need to start a forwarder first. */
  const connect = (r: ActiveRoute, t: BackendTarget = pick(r)): Promise<net.Socket> => Promise.resolve().then(() => dial({ host: t.host, port: t.port, twinId: r.twinId, network: r.network }));
  const dialFailed = (r: ActiveRoute, t: BackendTarget | undefined, e: unknown) =>
    log.warn('backend dial failed', { workload: r.workloadId, backend: t ? `${t.host}:${t.port}` : undefined, err: e instanceof Error ? e.message : String(e) });

  const contextFor = (host: string): tls.SecureContext | undefined => {
    const r = byHost.get(host);
    if (!r || r.tlsPassthrough) return undefined;
    const name = r.kind === 'name' && opts.node.domain ? `*.${opts.node.domain.toLowerCase()}` : r.fqdn.toLowerCase();
    let ctx = certs.get(name);
    if (!ctx) {
      const issued: IssuedCert = opts.ca.issue(r.kind === 'name' ? [name, opts.node.domain!.toLowerCase()] : [name]);
      ctx = tls.createSecureContext({ cert: issued.certPem + opts.ca.certPem, key: issued.keyPem });
      certs.set(name, ctx);
    }
    return ctx;
  };

  const proxyRequest = (proto: 'http' | 'https') => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = hostOf(req.headers.host);
    const r = host ? byHost.get(host) : undefined;
    if (!r || r.tlsPassthrough) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const t = pick(r);
    const headers = { ...req.headers };
    const peer = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${String(headers['x-forwarded-for'])}, ${peer}` : peer;
    headers['x-forwarded-proto'] = proto;
    headers['x-forwarded-host'] = req.headers.host ?? host;
    const badGateway = () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway\n');
      else res.destroy();
    };
    connect(r, t).then(
      (sock) => {
        const up = http.request({ host: t.host, port: t.port, method: req.method, path: req.url, headers, createConnection: () => sock });
        up.on('response', (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.statusMessage, ur.headers);
          ur.pipe(res);
        });
        up.on('error', (e) => {
          log.warn('backend request failed', { workload: r.workloadId, backend: `${t.host}:${t.port}`, err: e });
          badGateway();
        });
        req.pipe(up);
      },
      (e: unknown) => {
        dialFailed(r, t, e);
        badGateway();
      },
    );
  };

  // WebSocket and other upgrades: replay the request head to the backend, then pipe both ways.
  const proxyUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const host = hostOf(req.headers.host);
    const r = host ? byHost.get(host) : undefined;
    if (!r || r.tlsPassthrough) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    socket.on('error', () => undefined);
    connect(r).then(
      (up) => {
        up.on('error', () => socket.destroy());
        socket.on('error', () => up.destroy());
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        up.write(lines.join('\r\n') + '\r\n\r\n');
        if (head.length) up.write(head);
        up.pipe(socket).pipe(up);
      },
      (e: unknown) => {
        dialFailed(r, undefined, e);
        socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      },
    );
  };

  const httpServer = http.createServer(proxyRequest('http'));
  httpServer.on('upgrade', proxyUpgrade);
  const httpsServer = https.createServer(
    {
      SNICallback: (servername, cb) => {
        const ctx = contextFor(servername.toLowerCase());
        if (ctx) cb(null, ctx);
        else cb(new Error(`no certificate for ${servername}`));
      },
    },
    proxyRequest('https'),
  );
  httpsServer.on('upgrade', proxyUpgrade);
  httpsServer.on('tlsClientError', () => {});

  // Port 443: peek at the ClientHello, then pass through or hand the socket to the TLS server.
  const open = new Set<net.Socket>();
  const tlsFront = net.createServer((sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    let buf = Buffer.alloc(0);
    sock.setTimeout(HELLO_TIMEOUT_MS, () => sock.destroy());
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const sni = readSni(buf);
      if (sni === 'incomplete') {
        if (buf.length > 64 * 1024) sock.destroy();
        return;
      }
      sock.removeListener('data', onData);
      sock.setTimeout(0);
      sock.pause();
      const r = sni ? byHost.get(sni.toLowerCase()) : undefined;
      if (r && r.tlsPassthrough) {
        connect(r).then(
          (up) => {
            up.on('error', () => sock.destroy());
            sock.on('error', () => up.destroy());
            up.write(buf);
            sock.pipe(up).pipe(sock);
            sock.resume();
          },
          (e: unknown) => {
            dialFailed(r, undefined, e);
            sock.destroy();
          },
        );
        return;
      }
      // TLS on a net.Socket reads its native handle directly, so bytes already read (the hello) could not
      // be put back with unshift; a plain Duplex in front makes the TLS layer read through JS instead.
      httpsServer.emit('connection', replayDuplex(sock, buf));
    };
    sock.on('data', onData);
    sock.on('error', () => {});
  });

  const listen = (srv: net.Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, opts.listen.host, () => resolve((srv.address() as net.AddressInfo).port));
    });
  const httpPort = await listen(httpServer, opts.listen.httpPort ?? 80);
  const httpsPort = await listen(tlsFront, opts.listen.httpsPort ?? 443).catch((e: unknown) => {
    httpServer.close();
    throw e;
  });
  log.info('gateway listening', { host: opts.listen.host, httpPort, httpsPort, domain: opts.node.domain });

  return {
    httpPort,
    httpsPort,
    ...proxyAdders(deps, opts.node, taken, install),
    async remove(id) {
      const r = routes.get(id);
      if (!r) return;
      routes.delete(id);
      byHost.delete(r.fqdn.toLowerCase());
      if (r.kind === 'fqdn') certs.delete(r.fqdn.toLowerCase());
    },
    routes: () => [...routes.values()].map(({ targets: _t, next: _n, ...r }) => ({ ...r, backends: [...r.backends] })),
    async close() {
      routes.clear();
      byHost.clear();
      httpServer.closeAllConnections();
      for (const sock of open) sock.destroy();
      await Promise.all([new Promise<void>((r) => httpServer.close(() => r())), new Promise<void>((r) => tlsFront.close(() => r()))]);
      httpsServer.closeAllConnections();
    },
  };
}

/** A Duplex over `sock` that first yields `head` (bytes already read from it). */
function replayDuplex(sock: net.Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      sock.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      sock.write(chunk, cb);
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(err, cb) {
      sock.destroy();
      cb(err);
    },
  });
  d.push(head);
  sock.on('data', (c: Buffer) => {
    if (!d.push(c)) sock.pause();
  });
  sock.on('end', () => d.push(null));
  sock.on('close', () => d.destroy());
  sock.on('error', (e) => d.destroy(e));
  // what the HTTP layer reads for X-Forwarded-For
  Object.defineProperty(d, 'remoteAddress', { value: sock.remoteAddress });
  sock.resume();
  return d;
}

function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0];
  return h.toLowerCase().replace(/\.$/, '');
}

/**
 * The server name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3): the name, undefined when the hello
 * has none or is not TLS, or 'incomplete' when more bytes are needed.
 */
export function readSni(b: Buffer): string | undefined | 'incomplete' {
  if (b.length < 5) return 'incomplete';
  if (b[0] !== 0x16) return undefined; // not a handshake record
  const recLen = b.readUInt16BE(3);
  if (b.length < 5 + recLen) return 'incomplete';
  let p = 5;
  if (b[p] !== 0x01) return undefined; // not a ClientHello
  p += 4 + 2 + 32; // handshake header, legacy version, random
  if (p >= 5 + recLen) return undefined;
  p += 1 + b[p]; // session id
  if (p + 2 > 5 + recLen) return undefined;
  p += 2 + b.readUInt16BE(p); // cipher suites
  if (p + 1 > 5 + recLen) return undefined;
  p += 1 + b[p]; // compression methods
  if (p + 2 > 5 + recLen) return undefined;
  const extEnd = p + 2 + b.readUInt16BE(p);
  p += 2;
  while (p + 4 <= extEnd && p + 4 <= b.length) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    p += 4;
    if (type === 0x0000) {
      // server_name_list: u16 length, then entries of (u8 type, u16 length, name)
      let q = p + 2;
      while (q + 3 <= p + len) {
        const nameType = b[q];
        const nameLen = b.readUInt16BE(q + 1);
        if (nameType === 0) return b.subarray(q + 3, q + 3 + nameLen).toString('ascii');
        q += 3 + nameLen;
      }
      return undefined;
    }
    p += len;
  }
  return undefined;
}
