/**
 * The TLS server flist (local/hub/tls-flist.ts; zos-protocol.md §6.3 `.startup.toml`, §1.5 `tls_passthrough`):
 * built from the host's openssl + busybox, then run in a chroot the way a container runs it.
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import { X509Certificate } from 'crypto';
import { promises as fs } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tls from 'tls';
import { promisify } from 'util';
import { describeWithTools } from '../../test/helpers/require-tools';
import { buildTlsServerRootfs, sharedLibraries, OPENSSL, TLS_SERVER_ENTRY, TLS_SERVER_PAGE } from './tls-flist';
import { FLIST_PATH } from './base-flist';

const execFileAsync = promisify(execFile);

interface TlsAnswer {
  authorized: boolean;
  authError?: string;
  cert: X509Certificate;
  response: string;
}

/** One TLS connection: `GET <file>` (s_server -WWW answers HTTP/1.0 and closes). */
function tlsGet(port: number, servername: string, file: string, ca?: string): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    let cert: X509Certificate | undefined;
    const s = tls.connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const peer = s.getPeerCertificate();
      if (peer?.raw) cert = new X509Certificate(peer.raw);
      s.write(`GET /${file} HTTP/1.0\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      if (!cert) return reject(new Error(`no peer certificate from 127.0.0.1:${port}`));
      resolve({ authorized: s.authorized, authError: s.authorizationError?.toString(), cert, response: Buffer.concat(chunks).toString() });
    });
  });
}

function bodyOf(response: string): string {
  return response.slice(response.indexOf('\r\n\r\n') + 4);
}

async function waitForPort(port: number, server: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (server.exitCode !== null) throw new Error(`tls-server exited with ${server.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tls-server did not listen on ${port}: ${log()}`);
}

describeWithTools(['openssl', 'busybox', 'ldd', 'chroot', 'unshare'], { root: true })('tls-server flist', () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-tls-flist-'));
    root = await buildTlsServerRootfs(path.join(dir, 'rootfs'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('ships openssl with every library ldd lists and runs it in the chroot', async () => {
    const libs = await sharedLibraries(OPENSSL);
    expect(libs.some((l) => /libssl\.so/.test(l))).toBe(true);
    expect(libs.some((l) => /ld-linux/.test(l))).toBe(true);
    for (const lib of libs) expect((await fs.stat(path.join(root, lib))).isFile()).toBe(true);
    const { stdout } = await execFileAsync('chroot', [root, 'openssl', 'version'], { env: { PATH: FLIST_PATH } });
    expect(stdout).toMatch(/^OpenSSL 3\./);
    const startup = await fs.readFile(path.join(root, '.startup.toml'), 'utf8');
    expect(startup).toContain(`name = "${TLS_SERVER_ENTRY}"`);
    const { stdout: du } = await execFileAsync('du', ['-sm', root]);
    expect(Number(du.split(/\s/)[0])).toBeLessThan(40); // busybox + openssl + libc, no more
  });

  it('serves the page over TLS with its own certificate for TLS_DOMAIN, published as /cert.pem', async () => {
    const port = 20000 + (process.pid % 20000);
    let log = '';
    const server = spawn('unshare', ['--uts', 'chroot', root, '/bin/sh', '-c', `hostname web1 && exec ${TLS_SERVER_ENTRY}`], {
      env: { PATH: FLIST_PATH, TLS_DOMAIN: 'site.test,alt.test', TLS_PORT: `127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    server.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await waitForPort(port, server, () => log);
      // Unpinned: the client sees a self-signed certificate for the first domain, with both names.
      const first = await tlsGet(port, 'site.test', 'cert.pem');
      expect(first.authorized).toBe(false);
      expect(first.authError).toMatch(/SELF_SIGNED|self.signed/i);
      expect(first.cert.subject).toBe('CN=site.test');
      expect(first.cert.issuer).toBe('CN=site.test');
      expect(first.cert.subjectAltName).toBe('DNS:site.test, DNS:alt.test');
      expect(first.response).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
      const published = new X509Certificate(bodyOf(first.response));
      expect(published.fingerprint256).toBe(first.cert.fingerprint256);

      // A plain-text client does not stop the server.
      await new Promise<void>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => c.end('GET / HTTP/1.0\r\n\r\n'));
        c.on('close', () => resolve());
        c.on('error', () => resolve());
        c.resume();
      });

      // Pinned to the published certificate, the second name verifies, and the page names the machine.
      const pinned = await tlsGet(port, 'alt.test', 'index.html', bodyOf(first.response));
      expect(pinned.authorized).toBe(true);
      expect(bodyOf(pinned.response)).toBe(`${TLS_SERVER_PAGE.replace('<host>', 'web1')}\n`);
      // … and it names only those two domains.
      const other = tls.checkServerIdentity('other.test', { subject: { CN: 'site.test' }, subjectaltname: pinned.cert.subjectAltName } as unknown as tls.PeerCertificate);
      expect(other?.message).toMatch(/not in the cert's altnames/);
    } finally {
      server.kill('SIGTERM');
      if (server.exitCode === null) await new Promise((r) => server.once('exit', r));
    }
  });

  it('listens on IPv4 port 443 by default with the hostname as the certificate name', async () => {
    // Its own network, UTS and PID namespaces: the server dies with the shell (PID 1 there), or with unshare.
    const script = [
      'ip link set lo up',
      'hostname app',
      'tls-server &',
      'i=0; until echo | openssl s_client -connect 127.0.0.1:443 -servername app > hello.txt 2>/dev/null; do i=$((i+1)); [ $i -gt 100 ] && exit 3; sleep 0.1; done',
      'openssl x509 -noout -subject -ext subjectAltName < hello.txt',
    ].join('\n');
    const { stdout } = await execFileAsync('unshare', ['--net', '--uts', '--pid', '--fork', '--kill-child', 'chroot', root, '/bin/sh', '-c', script], {
      env: { PATH: FLIST_PATH },
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(stdout).toMatch(/subject=CN = app/);
    expect(stdout).toMatch(/DNS:app/);
  });
});
