/**
 * The local grid's TLS server flist (`tf/tls-server`): a machine that terminates TLS itself, so TLS passthrough
 * gateways (zos-protocol.md §1.5 gateway-name-proxy / gateway-fqdn-proxy `tls_passthrough`, §6.5) can be shown
 * end to end. Built on the machine like the base flist (DESIGN.md §4 Flists): the busybox base rootfs, plus the
 * host's `openssl` with the shared libraries and dynamic loader `ldd` names, a minimal `openssl.cnf`, and a
 * `.startup.toml` (zos-protocol.md §6.3) whose entry runs `/usr/bin/tls-server`:
 *
 * - a fresh self-signed certificate (P-256) for `$TLS_DOMAIN` (comma-separated names; the first is the CN;
 *   default: the hostname, which ZOS sets to the workload name), or the PEMs in `$TLS_CERT` / `$TLS_KEY`;
 * - the certificate is also published as `/cert.pem`, so a client can check that the certificate it was
 *   handed is this machine's own (a passthrough gateway must not terminate TLS);
 * - `openssl s_server -WWW` on `:$TLS_PORT` (default 443) serving `/var/www` (`GET /index.html`; `/` is not
 *   mapped to an index), one connection at a time.
 *
 * @example
 *   const root = await buildTlsServerRootfs(path.join(tmp, 'tls-rootfs'));
 *   await hub.publishDir('tf', 'tls-server', root);   // machines: flist `${hub.url}/tf/tls-server.flist`
 * @module
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ZosError } from '../../protocol/common/errors';
import { startupToml } from '../../node/backends/flist/docker-image';
import { runCommand } from '../../node/backends/machine/host-command';
import { buildBaseRootfs, FLIST_PATH } from './base-flist';

/** Debian's openssl binary (package `openssl`). */
export const OPENSSL = '/usr/bin/openssl';

/** Where the hub publishes it: `<hub>/tf/tls-server.flist`. */
export const TLS_SERVER_FLIST = { repo: 'tf', name: 'tls-server' } as const;

/** The default page, `/index.html` (`<host>` is the machine's hostname at start). */
/** The server's start script inside the flist (its `.startup.toml` entry). */
export const TLS_SERVER_ENTRY = '/usr/bin/tls-server';

export const TLS_SERVER_PAGE = 'hello over TLS from <host>';

// Only what `req -x509` needs: without a config file openssl 3 refuses to make a certificate. CA:true so that
// clients may pin the self-signed certificate as its own trust anchor.
const OPENSSL_CNF = `[req]
distinguished_name = dn
x509_extensions = v3
prompt = no
[dn]
CN = localhost
[v3]
subjectKeyIdentifier = hash
basicConstraints = critical,CA:true
keyUsage = critical,digitalSignature,keyCertSign
extendedKeyUsage = serverAuth
`;

const START_SCRIPT = `#!/bin/sh
# tls-server: see local/hub/tls-flist.ts. Env: TLS_DOMAIN, TLS_PORT, TLS_CERT + TLS_KEY.
set -e
domains="\${TLS_DOMAIN:-$(hostname)}"
port="\${TLS_PORT:-443}"
dir=/etc/tls
mkdir -p "$dir" /var/www
if [ -n "$TLS_CERT" ] && [ -n "$TLS_KEY" ]; then
  printf '%s\\n' "$TLS_CERT" > "$dir/cert.pem"
  printf '%s\\n' "$TLS_KEY" > "$dir/key.pem"
else
  cn="\${domains%%,*}"
  san="DNS:$(echo "$domains" | sed 's/,/,DNS:/g')"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \\
    -subj "/CN=$cn" -addext "subjectAltName=$san" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
fi
chmod 600 "$dir/key.pem"
cp "$dir/cert.pem" /var/www/cert.pem
[ -s /var/www/index.html ] || echo "${TLS_SERVER_PAGE.replace('<host>', '$(hostname)')}" > /var/www/index.html
cd /var/www
exec openssl s_server -quiet -accept "$port" -cert "$dir/cert.pem" -key "$dir/key.pem" -WWW
`;

/** Absolute paths of the shared objects (and loader) `ldd` lists for `binary`. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await runCommand('ldd', [binary]);
  const libs = new Set<string>();
  for (const line of stdout.split('\n')) {
    // "libssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (m) libs.add(m[1]);
  }
  if (libs.size === 0) throw new ZosError(`tls-server flist: ldd ${binary} listed no libraries (a static binary is fine, but ldd said: ${stdout.trim()})`);
  return [...libs];
}

/**
 * Builds the TLS server rootfs into `dest` (created; must not exist or be empty) and returns `dest`.
 * Needs busybox-static and openssl on the host.
 */
export async function buildTlsServerRootfs(dest: string, opts: { openssl?: string; busybox?: string } = {}): Promise<string> {
  const openssl = opts.openssl ?? OPENSSL;
  await fs.access(openssl).catch((err: unknown) => {
    throw new ZosError(`tls-server flist needs openssl at ${openssl} (apt-get install openssl): ${(err as Error).message}`, {}, { cause: err });
  });
  await buildBaseRootfs(dest, opts.busybox ? { busybox: opts.busybox } : {});
  await fs.rm(path.join(dest, 'var/www/index.html'), { force: true });
  const copyIn = async (from: string, to: string, mode: number) => {
    const target = path.join(dest, to);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rm(target, { force: true }); // a busybox applet link of the same name
    await fs.copyFile(from, target); // follows symlinks: libssl.so.3 → the real file
    await fs.chmod(target, mode);
  };
  await copyIn(openssl, 'usr/bin/openssl', 0o755);
  for (const lib of await sharedLibraries(openssl)) await copyIn(lib, lib, 0o755);
  await fs.mkdir(path.join(dest, 'usr/lib/ssl'), { recursive: true });
  await fs.writeFile(path.join(dest, 'usr/lib/ssl/openssl.cnf'), OPENSSL_CNF);
  await fs.mkdir(path.join(dest, 'etc/tls'), { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(dest, TLS_SERVER_ENTRY), START_SCRIPT, { mode: 0o755 });
  await fs.writeFile(path.join(dest, '.startup.toml'), startupToml(TLS_SERVER_ENTRY, { PATH: FLIST_PATH }));
  return dest;
}
