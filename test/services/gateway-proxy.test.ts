/**
 * A web page on a machine served through the real gateway (zos-protocol.md §6.5, issue 9): a name proxy
 * and an FQDN proxy over HTTP, with TLS terminated by a grid-CA certificate, and with TLS passed through
 * by SNI to the machine's own TLS server; the FQDN check goes through the grid DNS; a name proxy is
 * refused until its name contract exists.
 *
 * Machines live at private addresses (10.20.2.x). The test's dialer plays the node's network bridge: it
 * connects to the backend servers this test runs on 127.0.0.1, the way the node's forwarder enters the
 * twin's network namespace. Everything else (listeners, TLS, SNI routing, DNS) is the shipped code.
 */
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import type * as tls from 'tls';
import { silentLogger } from '../../protocol/common/log';
import type { NameContractStatus } from '../../node/backends/gateway/gateway';
import { createGridCa } from '../../node/backends/gateway/grid-ca';
import { createGatewayProxy, type GatewayProxy } from '../../node/backends/gateway/proxy';
import { createGridDnsResolver, startGridDns, type GridDns } from '../../local/dns/grid-dns';

const ca = createGridCa();
const NODE_IP = '10.100.0.11';
const DOMAIN = 'gw1.grid.local';

function listen(server: net.Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port)));
}

function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}

function getTls(port: number, servername: string, trust: string): Promise<{ status: number; body: string; issuer: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, servername, path: '/', headers: { host: servername }, ca: trust, agent: false }, (res) => {
      const cert = (res.socket as tls.TLSSocket).getPeerCertificate();
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, issuer: String(cert.issuer.CN), subject: String(cert.subject.CN) }));
    });
    req.on('error', reject);
  });
}

describe('gateway proxy serving machines', () => {
  let dns: GridDns;
  let gw: GatewayProxy;
  let web: http.Server;
  let tlsSite: https.Server;
  const contracts = new Map<string, NameContractStatus>();
  const machines = new Map<string, number>(); // "10.20.2.2:80" → local port

  beforeAll(async () => {
    web = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<h1>hello from the machine</h1> host=${req.headers.host} proto=${req.headers['x-forwarded-proto']} path=${req.url}`);
    });
    machines.set('10.20.2.2:80', await listen(web));
    const own = createGridCa({ commonName: 'machine own CA' });
    const siteCert = own.issue(['secure.example.test', 'tls.gw1.grid.local']);
    tlsSite = https.createServer({ cert: siteCert.certPem, key: siteCert.keyPem }, (req, res) => res.end(`tls end-to-end ${req.headers.host}`));
    machines.set('10.20.2.3:443', await listen(tlsSite));
    (tlsSite as unknown as { ownCa: string }).ownCa = own.certPem;

    dns = await startGridDns({ log: silentLogger }, { port: 0 });
    dns.setDomain(DOMAIN, [NODE_IP]);
    const resolveHost = createGridDnsResolver(dns.address);
    gw = await createGatewayProxy(
      {
        log: silentLogger,
        checkNameContract: async (name) => contracts.get(name) ?? { exists: false },
        resolveHost,
        dial: ({ host, port }) => {
          const local = machines.get(`${host}:${port}`);
          if (local === undefined) throw new Error(`no machine at ${host}:${port}`);
          return net.connect(local, '127.0.0.1');
        },
      },
      { node: { domain: DOMAIN, publicIPs: [NODE_IP] }, ca, listen: { host: '127.0.0.1', httpPort: 0, httpsPort: 0 } },
    );
  });
  afterAll(async () => {
    await gw.close();
    await dns.close();
    web.closeAllConnections();
    web.close();
    tlsSite.closeAllConnections();
    tlsSite.close();
  });

  it('refuses a name proxy before its name contract exists, then serves the page over HTTP and HTTPS', async () => {
    const spec = { workloadId: '7-12-web', twinId: 7, name: 'web', tlsPassthrough: false, backends: ['http://10.20.2.2'] };
    await expect(gw.addNameProxy(spec)).rejects.toThrow('failed to verify name contract: a name contract with the given name must be reserved first');
    expect((await get(gw.httpPort, 'web.gw1.grid.local')).status).toBe(404);
    contracts.set('web', { exists: true, twinId: 7, state: 'Created' });
    expect(await gw.addNameProxy(spec)).toEqual({ fqdn: 'web.gw1.grid.local' });

    const plain = await get(gw.httpPort, 'web.gw1.grid.local', '/index.html');
    expect(plain.status).toBe(200);
    expect(plain.body).toBe('<h1>hello from the machine</h1> host=web.gw1.grid.local proto=http path=/index.html');

    const secure = await getTls(gw.httpsPort, 'web.gw1.grid.local', ca.certPem);
    expect(secure.status).toBe(200);
    expect(secure.body).toContain('proto=https');
    expect(secure.issuer).toBe('tfgrid local CA');
    expect(secure.subject).toBe('*.gw1.grid.local');
  });

  it('serves an FQDN proxy only once the grid DNS points the name at the node', async () => {
    const spec = { workloadId: '7-12-site', twinId: 7, fqdn: 'site.example.test', tlsPassthrough: false, backends: ['http://10.20.2.2:80'] };
    await expect(gw.addFqdnProxy(spec)).rejects.toThrow('failed to verify domain dns record: lookup site.example.test: no such host');
    dns.setHost('site.example.test', ['10.100.0.99']);
    await expect(gw.addFqdnProxy(spec)).rejects.toThrow("failed to verify domain dns record: host doesn't point to the gateway ip");
    dns.setHost('site.example.test', [NODE_IP]);
    expect(await gw.addFqdnProxy(spec)).toEqual({});

    expect((await get(gw.httpPort, 'site.example.test')).body).toContain('host=site.example.test proto=http');
    const secure = await getTls(gw.httpsPort, 'site.example.test', ca.certPem);
    expect(secure.body).toContain('proto=https');
    expect(secure.subject).toBe('site.example.test');
  });

  it('passes TLS through by SNI to the machine, which presents its own certificate', async () => {
    const ownCa = (tlsSite as unknown as { ownCa: string }).ownCa;
    dns.setHost('secure.example.test', [NODE_IP]);
    await gw.addFqdnProxy({ workloadId: '7-12-sec', twinId: 7, fqdn: 'secure.example.test', tlsPassthrough: true, backends: ['10.20.2.3:443'] });
    const res = await getTls(gw.httpsPort, 'secure.example.test', ownCa);
    expect(res.body).toBe('tls end-to-end secure.example.test');
    expect(res.issuer).toBe('machine own CA');

    contracts.set('tls', { exists: true, twinId: 7, state: 'Created' });
    await gw.addNameProxy({ workloadId: '7-12-tls', twinId: 7, name: 'tls', tlsPassthrough: true, backends: ['10.20.2.3:443'] });
    const named = await getTls(gw.httpsPort, 'tls.gw1.grid.local', ownCa);
    expect(named.body).toBe('tls end-to-end tls.gw1.grid.local');
    // the grid CA does not vouch for the machine's certificate: terminating clients would refuse it
    await expect(getTls(gw.httpsPort, 'tls.gw1.grid.local', ca.certPem)).rejects.toThrow();
  });

  it('stops serving a domain when its workload is removed', async () => {
    contracts.set('bye', { exists: true, twinId: 7, state: 'Created' });
    await gw.addNameProxy({ workloadId: '7-12-bye', twinId: 7, name: 'bye', tlsPassthrough: false, backends: ['http://10.20.2.2'] });
    expect((await get(gw.httpPort, 'bye.gw1.grid.local')).status).toBe(200);
    await gw.remove('7-12-bye');
    expect((await get(gw.httpPort, 'bye.gw1.grid.local')).status).toBe(404);
    await expect(getTls(gw.httpsPort, 'bye.gw1.grid.local', ca.certPem)).rejects.toThrow();
  });

  it('answers 502 when the machine is down', async () => {
    contracts.set('down', { exists: true, twinId: 7, state: 'Created' });
    machines.set('10.20.2.9:80', 1); // nothing listens on port 1
    await gw.addNameProxy({ workloadId: '7-12-down', twinId: 7, name: 'down', tlsPassthrough: false, backends: ['http://10.20.2.9'] });
    expect((await get(gw.httpPort, 'down.gw1.grid.local')).status).toBe(502);
  });
});
