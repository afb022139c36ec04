/** The grid DNS answers through Node's real resolver and dig-style TCP queries (zos-protocol.md §6.5). */
import * as net from 'net';
import * as packet from 'dns-packet';
import { silentLogger } from '../../protocol/common/log';
import { createGridDnsResolver, startGridDns, type GridDns } from './grid-dns';

describe('grid dns', () => {
  let dns: GridDns;
  let resolve: (fqdn: string) => Promise<string[]>;
  beforeAll(async () => {
    dns = await startGridDns({ log: silentLogger }, { host: '127.0.0.1', port: 0 });
    resolve = createGridDnsResolver(dns.address);
  });
  afterAll(() => dns.close());

  it('answers every name under a gateway domain with the node IPs, v4 and v6', async () => {
    dns.setDomain('gw1.grid.local', ['10.100.0.11', 'fd00::11']);
    expect(await resolve('web.gw1.grid.local')).toEqual(['10.100.0.11', 'fd00::11']);
    expect(await resolve('GW1.grid.local')).toEqual(['10.100.0.11', 'fd00::11']);
    expect(await resolve('a.b.gw1.grid.local')).toEqual(['10.100.0.11', 'fd00::11']);
  });

  it('prefers an exact host over a wildcard and the longest domain', async () => {
    dns.setDomain('grid.local', ['10.100.0.1']);
    dns.setDomain('gw2.grid.local', ['10.100.0.12']);
    dns.setHost('special.gw2.grid.local', ['10.100.0.99']);
    expect(await resolve('x.gw2.grid.local')).toEqual(['10.100.0.12']);
    expect(await resolve('special.gw2.grid.local')).toEqual(['10.100.0.99']);
    expect(await resolve('other.grid.local')).toEqual(['10.100.0.1']);
  });

  it('serves registered FQDNs and forgets removed ones', async () => {
    dns.setHost('app.example.test', ['10.100.0.11']);
    expect(await resolve('app.example.test')).toEqual(['10.100.0.11']);
    dns.removeHost('app.example.test');
    expect(await resolve('app.example.test')).toEqual([]);
    expect(await resolve('never.example.test')).toEqual([]);
  });

  it('answers over TCP with length-prefixed messages and NXDOMAIN for unknown names', async () => {
    dns.setHost('tcp.example.test', ['10.9.9.9']);
    const ask = (name: string) =>
      new Promise<packet.Packet>((done, fail) => {
        const q = packet.encode({ id: 7, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
        const head = Buffer.alloc(2);
        head.writeUInt16BE(q.length);
        const s = net.connect(dns.port, '127.0.0.1', () => s.write(Buffer.concat([head, q])));
        let buf = Buffer.alloc(0);
        s.on('data', (c: Buffer) => {
          buf = Buffer.concat([buf, c]);
          if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            s.end();
            done(packet.decode(buf.subarray(2)));
          }
        });
        s.on('error', fail);
      });
    const ok = await ask('tcp.example.test');
    expect(ok.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['10.9.9.9']);
    expect((ok.flags ?? 0) & 0xf).toBe(0);
    const nx = await ask('nope.example.test');
    expect((nx.flags ?? 0) & 0xf).toBe(3);
  });
});
