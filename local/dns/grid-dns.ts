/**
 * The local grid's authoritative DNS (zos-protocol.md §6.5: FQDN proxies need the name to resolve to the
 * gateway node; name proxies live under the node's domain). Serves A/AAAA over UDP and TCP for
 * `*.<gateway domain>` → the gateway node's public IPs and for FQDNs the grid registers; everything
 * else is NXDOMAIN. `createGridDnsResolver` is the client the gateway's FQDN check and tests use; it goes
 * through Node's real resolver (`dns.promises.Resolver`) pointed at this server.
 *
 * ```ts
 * const dns = await startGridDns({ log }, { host: '127.0.0.1', port: 0 });
 * dns.setDomain('gw1.grid.local', ['10.100.0.11']);      // *.gw1.grid.local and gw1.grid.local
 * dns.setHost('app.example.test', ['10.100.0.11']);       // a user's FQDN
 * const resolve = createGridDnsResolver(dns.address);     // (fqdn) => Promise<string[]>
 * ```
 * @module
 */
import * as dgram from 'dgram';
import * as net from 'net';
import * as packet from 'dns-packet';
import type { Logger } from '../../protocol/common/log';
import { createDnsResolver } from '../../node/backends/gateway/dns-resolver';

export interface GridDnsOptions {
  host?: string;
  /** 53 in a node namespace; 0 = any free port (tests). UDP and TCP use the same port. */
  port?: number;
  /** Record TTL in seconds; short, because tests change records. */
  ttl?: number;
}

export interface GridDns {
  /** `host:port`, as `Resolver.setServers` takes it. */
  readonly address: string;
  readonly port: number;
  /** Serves `domain` and every name under it with these IPs (a gateway node's domain). */
  setDomain(domain: string, ips: string[]): void;
  removeDomain(domain: string): void;
  /** Serves exactly `fqdn` with these IPs (wins over a wildcard). */
  setHost(fqdn: string, ips: string[]): void;
  removeHost(fqdn: string): void;
  /** The answer the server gives, without the network (for debugging and `tfgrid local status`). */
  lookup(fqdn: string): string[];
  close(): Promise<void>;
}

export async function startGridDns(deps: { log: Logger }, opts: GridDnsOptions = {}): Promise<GridDns> {
  const host = opts.host ?? '127.0.0.1';
  const ttl = opts.ttl ?? 5;
  const domains = new Map<string, string[]>();
  const hosts = new Map<string, string[]>();
  const log = deps.log.child({ component: 'grid-dns' });

  const lookup = (fqdn: string): string[] => {
    const name = norm(fqdn);
    const exact = hosts.get(name);
    if (exact) return [...exact];
    // the longest matching domain wins
    let best: string | undefined;
    for (const d of domains.keys()) {
      if ((name === d || name.endsWith('.' + d)) && (!best || d.length > best.length)) best = d;
    }
    return best ? [...(domains.get(best) ?? [])] : [];
  };

  const answer = (query: Buffer): Buffer => {
    let req: packet.Packet;
    try {
      req = packet.decode(query);
    } catch {
      return Buffer.alloc(0);
    }
    const answers: packet.Answer[] = [];
    let known = false;
    for (const q of req.questions ?? []) {
      const ips = lookup(q.name);
      if (ips.length) known = true;
      for (const ip of ips) {
        if (q.type === 'A' && net.isIPv4(ip)) answers.push({ type: 'A', name: q.name, ttl, class: 'IN', data: ip });
        if (q.type === 'AAAA' && net.isIPv6(ip)) answers.push({ type: 'AAAA', name: q.name, ttl, class: 'IN', data: ip });
      }
    }
    // NXDOMAIN (rcode 3) for names we do not serve; NOERROR with no answers for a missing type
    const flags = packet.AUTHORITATIVE_ANSWER | (known ? 0 : 3);
    return packet.encode({ id: req.id, type: 'response', flags, questions: req.questions, answers });
  };

  const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    const out = answer(msg);
    if (out.length) udp.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(opts.port ?? 53, host, () => resolve());
  });
  const port = udp.address().port;

  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const out = answer(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        const head = Buffer.alloc(2);
        head.writeUInt16BE(out.length);
        sock.write(Buffer.concat([head, out]));
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => resolve());
  }).catch((e: unknown) => {
    udp.close();
    throw e;
  });
  const address = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  log.info('grid dns listening', { address });

  return {
    address,
    port,
    setDomain: (d, ips) => void domains.set(norm(d), [...ips]),
    removeDomain: (d) => void domains.delete(norm(d)),
    setHost: (h, ips) => void hosts.set(norm(h), [...ips]),
    removeHost: (h) => void hosts.delete(norm(h)),
    lookup,
    async close() {
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

/** A/AAAA lookup against one DNS server (`host:port`); unknown names give []. */
/** The grid DNS's client (the node's resolver pointed at `address`). */
export const createGridDnsResolver = createDnsResolver;

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
