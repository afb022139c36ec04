/**
 * examples/name-proxy-passthrough and examples/fqdn-proxy-passthrough on the shared local grid
 * (zos-protocol.md §1.5 gateway-name-proxy / gateway-fqdn-proxy `tls_passthrough`, §6.5; issue 9 "Done when"). The local grid's base flist is busybox, which has no TLS
 * server, so a TLS page served by the machine itself cannot be shown here. What is tested is the passthrough:
 * a client on the grid internet opens TLS to `<name>.node1.tfgrid.test:443` (or the FQDN); the gateway routes it by the
 * SNI of the ClientHello and pipes the raw bytes, unterminated, to the machine's port, where busybox httpd
 * answers the (to it meaningless) TLS bytes with a plain HTTP error. A terminating gateway would instead have
 * answered with a ServerHello (grid CA certificate). A hello with an SNI no gateway serves reaches nothing.
 * Linux grids only (the laptop namespace); on the sim backend only the deployment is checked.
 */
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
});

/**
 * Run with node inside the laptop namespace: a TLS client hello with SNI `argv[2]` to `argv[1]:443`, then
 * CRLFs on the raw stream; prints what came back on the raw TCP stream and how the TLS handshake ended.
 */
const PROBE = `
const net = require('net'), tls = require('tls'), { Duplex } = require('stream');
const [host, sni] = process.argv.slice(1);
const chunks = [];
let tlsError = '', connected = false;
const raw = net.connect(443, host);
// TLS runs over a duplex fed from the raw socket, so the raw bytes stay visible here.
const wire = new Duplex({ read() {}, write(c, _e, cb) { raw.write(c, cb); } });
raw.on('data', (d) => { chunks.push(d); wire.push(d); });
raw.on('error', (e) => { tlsError = tlsError || 'tcp: ' + e.message; });
raw.on('connect', () => {
  const t = tls.connect({ socket: wire, servername: sni, rejectUnauthorized: false });
  t.on('secureConnect', () => { connected = true; t.end(); });
  t.on('error', (e) => { tlsError = e.code || e.message; });
  setTimeout(() => { if (!raw.destroyed) raw.write('\\r\\n\\r\\n'); }, 500);
});
const done = () => { process.stdout.write(JSON.stringify({ raw: Buffer.concat(chunks).toString('latin1'), tlsError, connected })); process.exit(0); };
raw.on('close', done);
setTimeout(done, 8000);
`;

interface ProbeResult {
  raw: string;
  tlsError: string;
  connected: boolean;
}

async function probe(address: string, sni: string): Promise<ProbeResult> {
  const { createLaptop, removeLaptop, planTopology, runCommand } = await import('../../local/topology');
  const plan = planTopology({ prefix: grid.prefix, nodes: grid.nodes.length, farms: [] });
  const laptop = await createLaptop(plan, LAPTOP_SLOT);
  try {
    const out = await runCommand('nsenter', ['--net=/run/netns/' + laptop.netns, process.execPath, '-e', PROBE, address, sni]);
    return JSON.parse(out) as ProbeResult;
  } finally {
    await removeLaptop(laptop);
  }
}

/** The raw TLS stream to `fqdn` reaches the machine's plain-HTTP server; an unknown SNI reaches nothing. */
async function expectPassthrough(fqdn: string, address: string): Promise<void> {
  let r = await probe(address, fqdn);
  for (let i = 0; i < 10 && !/^HTTP\/1\.[01] \d{3}/.test(r.raw); i++) {
    await new Promise((res) => setTimeout(res, 1000)); // the machine's httpd may still be starting
    r = await probe(address, fqdn);
  }
  // The machine's server got the ClientHello bytes and answered in plain HTTP: no TLS at the gateway.
  expect(r.raw).toMatch(/^HTTP\/1\.[01] (400|501) /);
  expect(r.connected).toBe(false);
  expect(r.tlsError).not.toBe('');
  // An SNI no gateway serves is not routed to the machine.
  const other = await probe(address, `nobody.${fqdn}`);
  expect(other.raw).not.toMatch(/HTTP\/1\./);
  expect(other.connected).toBe(false);
}

describe('services: TLS passthrough gateways through examples/{name,fqdn}-proxy-passthrough', () => {
  it('name proxy: routes the raw TLS stream by SNI to the machine, unterminated', async () => {
    const up = await runE2eExample(grid, 'name-proxy-passthrough', 'up', { subdomain: SUBDOMAIN });
    try {
      expect(up.outputs.fqdn).toBe(`${SUBDOMAIN}.node1.tfgrid.test`);
      expect(up.outputs.nameContractId).toEqual(expect.any(Number));
      if (grid.backend === 'linux') await expectPassthrough(String(up.outputs.fqdn), grid.nodes[0].address.split('/')[0]);
    } finally {
      await runE2eExample(grid, 'name-proxy-passthrough', 'destroy', { subdomain: SUBDOMAIN });
    }
  });

  it('FQDN proxy: routes the raw TLS stream of a domain the grid DNS points at the node to the machine', async () => {
    const node1 = (grid.nodes[0].address || '198.18.0.11/16').split('/')[0];
    setGridDnsHost(e2eGridDir(), FQDN, [node1]);
    const up = await runE2eExample(grid, 'fqdn-proxy-passthrough', 'up', { fqdn: FQDN });
    try {
      expect(up.outputs.domain).toBe(FQDN);
      expect(up.outputs.contractId).toEqual(expect.any(Number));
      if (grid.backend === 'linux') await expectPassthrough(FQDN, node1);
    } finally {
      await runE2eExample(grid, 'fqdn-proxy-passthrough', 'destroy', { fqdn: FQDN });
    }
  });
});
