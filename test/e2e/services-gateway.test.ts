/**
 * examples/name-proxy-passthrough and examples/fqdn-proxy-passthrough on the shared local grid
 * (zos-protocol.md §1.5 gateway-name-proxy / gateway-fqdn-proxy `tls_passthrough`, §6.5; issue 9 "Done when").
 * The machines run the hub's `tf/tls-server` flist (local/hub/tls-flist.ts: openssl s_server with a self-signed
 * certificate made at start, published as `/cert.pem`), which `tfgrid local up` publishes on the grid's hub. A client
 * in a laptop namespace on the grid internet does a full TLS handshake to `<name>.node1.tfgrid.test:443` (or the
 * FQDN) at the gateway's address with that SNI, and checks that
 * - the certificate it is handed is the machine's own (the one the machine serves as `/cert.pem`), self-signed
 *   for the domain and not issued by the grid CA: the gateway passed the stream through unterminated;
 * - pinned to that certificate, the handshake verifies for the domain and the page comes back;
 * - a hello with an SNI no gateway serves gets no certificate at all.
 * Linux grids only (the laptop namespace); on the sim backend only the deployment is checked.
 */
import { X509Certificate } from 'crypto';
import { promises as fs } from 'fs';
import { TLS_SERVER_FLIST, TLS_SERVER_PAGE } from '../../local/hub/tls-flist';
import { setGridDnsHost } from '../../local/grid/dns-records';
import type { GridState } from '../../local/grid/state';
import { e2eGridDir, ensureE2eGrid, runE2eExample } from './shared-grid';

jest.setTimeout(300_000);
const SUBDOMAIN = 'e2etls';
const FQDN = 'secure.passthrough.test';
const LAPTOP_SLOT = 11;
let grid: GridState;

beforeAll(async () => {
  grid = await ensureE2eGrid();
  if (grid.backend !== 'linux') return;
  // `tfgrid local up` publishes tf/tls-server; the example runner passes it as `<project>:tlsFlist`.
  if (!grid.tlsServerFlist) throw new Error('the local grid published no tf/tls-server flist (see its logs/hub.log)');
  expect(grid.tlsServerFlist).toMatch(new RegExp(`/${TLS_SERVER_FLIST.repo}/${TLS_SERVER_FLIST.name}\\.flist$`));
});

/**
 * Run with node inside the laptop namespace: TLS to `argv[1]:443` with SNI `argv[2]`, `GET /cert.pem` without
 * trusting anything, then `GET /index.html` pinned to the certificate that came back (hostname checked).
 * Prints what each handshake saw.
 */
const CLIENT = `
const tls = require('tls');
const [host, sni] = process.argv.slice(1);
function get(file, ca) {
  return new Promise((resolve) => {
    let cert = '';
    const chunks = [];
    const s = tls.connect({ host, port: 443, servername: sni, ca, rejectUnauthorized: false }, () => {
      const peer = s.getPeerCertificate();
      if (peer && peer.raw) cert = peer.raw.toString('base64');
      s.write('GET /' + file + ' HTTP/1.0\\r\\n\\r\\n');
    });
    s.setTimeout(8000, () => s.destroy(new Error('timeout')));
    s.on('data', (c) => chunks.push(c));
    let error = '';
    s.on('error', (e) => { error = e.code || e.message; });
    s.on('close', () => resolve({ cert, authorized: s.authorized, authError: String(s.authorizationError || ''), error, response: Buffer.concat(chunks).toString() }));
  });
}
(async () => {
  const open = await get('cert.pem');
  const body = open.response.slice(open.response.indexOf('\\r\\n\\r\\n') + 4);
  const pinned = body.includes('BEGIN CERTIFICATE') ? await get('index.html', body) : undefined;
  process.stdout.write(JSON.stringify({ open, pinned }));
})();
`;

interface Handshake {
  cert: string;
  authorized: boolean;
  authError: string;
  error: string;
  response: string;
}

async function tlsFromLaptop(address: string, sni: string): Promise<{ open: Handshake; pinned?: Handshake }> {
  const { createLaptop, removeLaptop, planTopology, runCommand } = await import('../../local/topology');
  const plan = planTopology({ prefix: grid.prefix, nodes: grid.nodes.length, farms: [] });
  const laptop = await createLaptop(plan, LAPTOP_SLOT);
  try {
    const out = await runCommand('nsenter', ['--net=/run/netns/' + laptop.netns, process.execPath, '-e', CLIENT, address, sni]);
    return JSON.parse(out) as { open: Handshake; pinned?: Handshake };
  } finally {
    await removeLaptop(laptop);
  }
}

const bodyOf = (response: string) => response.slice(response.indexOf('\r\n\r\n') + 4);

/** The TLS page of `fqdn` at `address` comes from the machine, with the machine's own certificate. */
async function expectMachineTls(fqdn: string, address: string): Promise<void> {
  let r = await tlsFromLaptop(address, fqdn);
  for (let i = 0; i < 20 && !r.pinned; i++) {
    await new Promise((res) => setTimeout(res, 1000)); // the machine's server may still be starting
    r = await tlsFromLaptop(address, fqdn);
  }
  expect(r.open.error).toBe('');
  expect(r.open.response).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
  const handed = new X509Certificate(Buffer.from(r.open.cert, 'base64'));
  const published = new X509Certificate(bodyOf(r.open.response));
  // The certificate the client was handed is the one the machine made at start: the gateway did not terminate.
  expect(handed.fingerprint256).toBe(published.fingerprint256);
  expect(handed.subject).toBe(`CN=${fqdn}`);
  expect(handed.issuer).toBe(`CN=${fqdn}`);
  expect(r.open.authorized).toBe(false);
  expect(r.open.authError).toMatch(/SELF_SIGNED/);
  if (grid.ca) {
    const gridCa = new X509Certificate(await fs.readFile(grid.ca.certFile));
    expect(handed.checkIssued(gridCa)).toBe(false);
    expect(handed.verify(gridCa.publicKey)).toBe(false);
  }
  // Pinned to the machine's certificate, the handshake verifies for the domain, and the machine serves the page.
  expect(r.pinned?.authorized).toBe(true);
  expect(r.pinned?.error).toBe('');
  expect(bodyOf(r.pinned?.response ?? '')).toBe(`${TLS_SERVER_PAGE.replace('<host>', 'app')}\n`);
  // An SNI no gateway serves is not routed anywhere: no certificate comes back.
  const other = await tlsFromLaptop(address, `nobody.${fqdn}`);
  expect(other.open.cert).toBe('');
  expect(other.open.error).not.toBe('');
}

describe('services: TLS passthrough gateways through examples/{name,fqdn}-proxy-passthrough', () => {
  it('name proxy: a client on the internet completes TLS with the machine itself and gets its page', async () => {
    const fqdn = `${SUBDOMAIN}.node1.tfgrid.test`;
    // node 1 pinned: the certificate's name is under its domain (the example would pick a gateway node itself).
    const config = { subdomain: SUBDOMAIN, certDomain: fqdn, node: '1' };
    const up = await runE2eExample(grid, 'name-proxy-passthrough', 'up', config);
    try {
      expect(up.outputs.fqdn).toBe(fqdn);
      expect(up.outputs.nameContractId).toEqual(expect.any(Number));
      if (grid.backend === 'linux') await expectMachineTls(fqdn, grid.nodes[0].address.split('/')[0]);
    } finally {
      await runE2eExample(grid, 'name-proxy-passthrough', 'destroy', config);
    }
  });

  it('FQDN proxy: the domain the grid DNS points at the node reaches the machine, TLS unterminated', async () => {
    const node1 = (grid.nodes[0].address || '198.18.0.11/16').split('/')[0];
    setGridDnsHost(e2eGridDir(), FQDN, [node1]);
    // node 1 pinned: the grid DNS points the domain at it before the gateway exists.
    const config = { fqdn: FQDN, node: '1' };
    const up = await runE2eExample(grid, 'fqdn-proxy-passthrough', 'up', config);
    try {
      expect(up.outputs.domain).toBe(FQDN);
      expect(up.outputs.contractId).toEqual(expect.any(Number));
      if (grid.backend === 'linux') await expectMachineTls(FQDN, node1);
    } finally {
      await runE2eExample(grid, 'fqdn-proxy-passthrough', 'destroy', config);
    }
  });
});
