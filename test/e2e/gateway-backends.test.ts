/**
 * Where gateways dial their backends, through the provider on the shared local grid (issue 18.2 and 18.3).
 *
 * - A backend on no private network (a server on the grid's internet) is dialled from the node's host
 *   namespace: a laptop namespace serves HTTP and TLS, and name and FQDN proxies in front of it
 *   (test/e2e/programs/gateway-backends) answer over HTTP, HTTPS (grid CA) and TLS passthrough (the laptop's
 *   own certificate), fetched from another laptop. From the node daemon's root namespace the laptop is out of
 *   reach (the run's escape guard refuses 198.18.0.0/15 there), so a dial from there is a 502.
 * - An FQDN proxy in front of a machine (examples/fqdn-proxy) serves again after `destroy` and `up`: the
 *   network comes back under the same name in a new namespace and the gateway follows it.
 * On the sim backend only the deployments are checked.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createGridCa } from '../../node/backends/gateway/grid-ca';
import { setGridDnsHost } from '../../local/grid/dns-records';
import { addGridUser } from '../../local/grid/grid';
import type { GridState } from '../../local/grid/state';
import type { Laptop } from '../../local/topology';
import { e2eGridDir, ensureE2eGrid } from './shared-grid';

jest.setTimeout(600_000);

/** Laptop slots of this file (others: 1, 2, 7, 11, 12, 14, 17, 20). */
const SERVER_SLOT = 33;
const CLIENT_SLOT = 34;
const RECREATE_CLIENT_SLOT = 35;
const HTTP_PORT = 8080;
const TLS_PORT = 8443;
const NAMES = { subdomain: 'e2einet', fqdn: 'inet.backend.test', passSubdomain: 'e2einetpass', passFqdn: 'pass.backend.test' };
const RECREATE_FQDN = 'again.fqdn.test';
const REPO_ROOT = path.resolve(__dirname, '..', '..');

let grid: GridState;
let node1: string;
let fileUser: Promise<{ mnemonic: string }> | undefined;

beforeAll(async () => {
  grid = await ensureE2eGrid();
  node1 = (grid.nodes[0].address || '198.18.0.11/16').split('/')[0];
});

/** Runs a program as this file's own funded user; `stack` keeps its state apart from other files' runs. */
async function run(programDir: string, stack: string, mode: 'up' | 'destroy', config: Record<string, string>) {
  const { runExample } = await import('../../local/grid/example-runner');
  fileUser ??= addGridUser(e2eGridDir());
  const { mnemonic } = await fileUser;
  const r = await runExample({ programDir, grid, mode, stack, config: { ...config, 'tfgrid:mnemonic': mnemonic } });
  if (!r.ok) throw new Error(`${mode} ${programDir} (${r.via}) failed:\n${r.errors.join('\n')}\n--- log tail ---\n${r.log.slice(-2000)}`);
  return r;
}

async function laptop(slot: number): Promise<Laptop> {
  const { createLaptop, planTopology } = await import('../../local/topology');
  return createLaptop(planTopology({ prefix: grid.prefix, nodes: grid.nodes.length, farms: [] }), slot);
}

async function dropLaptop(l: Laptop | undefined): Promise<void> {
  const { removeLaptop } = await import('../../local/topology');
  if (l) await removeLaptop(l);
}

/**
 * `curl` from the laptop `from` for `url` with its host resolved to `address`, trusting `cacert`; retries
 * transient answers (a 502 while a machine's server starts). Returns the body; throws with curl's error.
 */
async function curlFrom(from: Laptop, url: string, address: string, cacert?: string): Promise<string> {
  const { runCommand } = await import('../../local/topology');
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const args = [
    '--net=/run/netns/' + from.netns,
    'curl',
    '-sS',
    '--fail',
    '--max-time',
    '10',
    '--retry',
    '5',
    '--retry-delay',
    '1',
    '--retry-connrefused',
    '--resolve',
    `${u.hostname}:${port}:${address}`,
  ];
  if (cacert) args.push('--cacert', cacert);
  return runCommand('nsenter', [...args, url]);
}

/** HTTP on `HTTP_PORT` and HTTPS (the laptop's own certificate) on `TLS_PORT`, in the laptop's namespace. */
const SERVER = `
const fs = require('fs');
const [addr, httpPort, tlsPort, cert, key] = process.argv.slice(1);
const page = (kind) => (q, s) => s.end(kind + ' page from the laptop, host=' + q.headers.host + '\\n');
let up = 0;
const ready = () => { if (++up === 2) console.log('ready'); };
require('http').createServer(page('http')).listen(Number(httpPort), addr, ready);
require('https').createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, page('tls')).listen(Number(tlsPort), addr, ready);
`;

function startServer(netns: string, addr: string, cert: string, key: string): Promise<ChildProcess> {
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', SERVER, addr, String(HTTP_PORT), String(TLS_PORT), cert, key]);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.on('data', (c: Buffer) => c.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`laptop server exited with ${code}: ${err}`)));
  });
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe('gateways dial backends from the node, not from the node daemon', () => {
  it('name and FQDN proxies reach a server on the grid internet over HTTP, HTTPS and TLS passthrough', async () => {
    const program = path.join(__dirname, 'programs', 'gateway-backends');
    const linux = grid.backend === 'linux';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfg-e2e-gwb-'));
    let server: Laptop | undefined;
    let client: Laptop | undefined;
    let httpd: ChildProcess | undefined;
    try {
      const serverAddr = linux ? (server = await laptop(SERVER_SLOT)).address.split('/')[0] : `198.18.250.${10 + SERVER_SLOT}`;
      // The laptop's own CA and certificate, for both passthrough domains: what passthrough must hand out.
      const own = createGridCa({ commonName: 'laptop own CA' });
      const passNames = [`${NAMES.passSubdomain}.node1.tfgrid.test`, NAMES.passFqdn];
      const cert = own.issue(passNames);
      const files = { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
      fs.writeFileSync(files.ca, own.certPem);
      fs.writeFileSync(files.cert, cert.certPem);
      fs.writeFileSync(files.key, cert.keyPem);
      if (server) httpd = await startServer(server.netns, serverAddr, files.cert, files.key);
      for (const fqdn of [NAMES.fqdn, NAMES.passFqdn]) setGridDnsHost(e2eGridDir(), fqdn, [node1]);

      const config = { ...NAMES, backendHost: serverAddr, httpPort: String(HTTP_PORT), tlsPort: String(TLS_PORT) };
      const up = await run(program, 'e2e-inet', 'up', config);
      try {
        expect(up.outputs).toMatchObject({
          nameFqdn: `${NAMES.subdomain}.node1.tfgrid.test`,
          fqdnFqdn: NAMES.fqdn,
          namePassFqdn: passNames[0],
          fqdnPassFqdn: NAMES.passFqdn,
        });
        if (!linux) return;
        client = await laptop(CLIENT_SLOT);
        const page = (kind: string, host: string) => `${kind} page from the laptop, host=${host}\n`;
        for (const host of [`${NAMES.subdomain}.node1.tfgrid.test`, NAMES.fqdn]) {
          expect(await curlFrom(client, `http://${host}/`, node1)).toBe(page('http', host));
          // HTTPS terminated by the gateway with the grid CA, then plain HTTP to the laptop.
          expect(await curlFrom(client, `https://${host}/`, node1, grid.ca?.certFile)).toBe(page('http', host));
        }
        for (const host of passNames) {
          // Passthrough: only the laptop's own CA is trusted, so the handshake is with the laptop itself.
          expect(await curlFrom(client, `https://${host}/`, node1, files.ca)).toBe(page('tls', host));
        }
      } finally {
        await run(program, 'e2e-inet', 'destroy', config);
      }
    } finally {
      await stopProcess(httpd);
      await dropLaptop(server);
      await dropLaptop(client);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an FQDN proxy in front of a machine serves again after destroy and up (its network comes back in a new namespace)', async () => {
    const program = path.join(REPO_ROOT, 'examples', 'fqdn-proxy');
    const config = { fqdn: RECREATE_FQDN };
    setGridDnsHost(e2eGridDir(), RECREATE_FQDN, [node1]);
    const client = grid.backend === 'linux' ? await laptop(RECREATE_CLIENT_SLOT) : undefined;
    try {
      for (let round = 1; round <= 2; round++) {
        const up = await run(program, 'e2e-recreate', 'up', config);
        try {
          expect(up.outputs.domain).toBe(RECREATE_FQDN);
          if (client) {
            expect(await curlFrom(client, `http://${RECREATE_FQDN}/`, node1)).toContain('hello from the tfgrid base flist');
            expect(await curlFrom(client, `https://${RECREATE_FQDN}/`, node1, grid.ca?.certFile)).toContain('hello from the tfgrid base flist');
          }
        } finally {
          await run(program, 'e2e-recreate', 'destroy', config);
        }
      }
    } finally {
      await dropLaptop(client);
    }
  });
});
