/**
 * The local flist hub: an HTTP server on 127.0.0.1 serving flists as `.tar.gz` rootfs archives, shaped after
 * hub.grid.tf's paths (DESIGN.md §4 Flists; zos-protocol.md §6.3). Docker/OCI image tarballs uploaded with
 * `?from=docker` are converted to flists (`node/backends/flist/docker-image.ts`).
 *
 *   GET  /<repo>/<name>.flist          the archive (application/gzip)
 *   GET  /<repo>/<name>.flist.md5      its md5, hex
 *   GET  /api/flist                    ["repo", …]
 *   GET  /api/flist/<repo>             [{ name, size, md5 }, …]
 *   PUT  /<repo>/<name>.flist          upload a .tar.gz (or a docker image tarball with ?from=docker)
 *   DELETE /<repo>/<name>.flist
 *
 * @example
 *   const hub = await createHub({ dir: '/var/lib/tfgrid/hub' });
 *   await hub.publishDir('tf', 'base', await buildBaseRootfs(path.join(dataDir, 'base')));
 *   // machines use `${hub.url}/tf/base.flist`
 *   await hub.close();
 * @module
 */
import { createHash, randomBytes } from 'crypto';
import { createReadStream, createWriteStream, promises as fs } from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { InputError } from '../../protocol/common/errors';
import type { Logger } from '../../protocol/common/log';
import { silentLogger } from '../../protocol/common/log';
import { unpackDockerArchive } from '../../node/backends/flist/docker-image';
import { runCommand } from '../../node/backends/machine/host-command';

export interface HubOptions {
  /** Where archives live: `<dir>/<repo>/<name>.flist`. */
  dir: string;
  /** Default 127.0.0.1; the hub never listens elsewhere unless told. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  log?: Logger;
  /** Upload size limit, bytes (default 2 GiB). */
  maxUpload?: number;
}

export interface FlistEntry {
  name: string;
  size: number;
  md5: string;
}

export interface Hub {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** URL of a flist: `${url}/<repo>/<name>.flist`. */
  flistUrl(repo: string, name: string): string;
  /** Packs a rootfs directory as `<repo>/<name>.flist`; returns its URL. */
  publishDir(repo: string, name: string, rootfs: string): Promise<string>;
  /** Stores a `.tar.gz` (copied) as `<repo>/<name>.flist`; returns its URL. */
  publishArchive(repo: string, name: string, archive: string): Promise<string>;
  /** Converts a docker/OCI image tarball to `<repo>/<name>.flist`; returns its URL. */
  publishDockerArchive(repo: string, name: string, tarball: string): Promise<string>;
  list(repo: string): Promise<FlistEntry[]>;
  close(): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function checkName(what: string, v: string): void {
  if (!SEGMENT.test(v) || v.includes('..')) throw new InputError(`hub: ${what} "${v}" must match ${SEGMENT.source}`, { path: what });
}

async function md5Of(file: string): Promise<string> {
  const h = createHash('md5');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** `tar -czf` of a directory's content (numeric owners, paths relative to the root). */
export async function packRootfs(rootfs: string, archive: string): Promise<void> {
  await runCommand('tar', ['-czf', archive, '--numeric-owner', '-C', rootfs, '.']);
}

export async function createHub(opts: HubOptions): Promise<Hub> {
  const dir = path.resolve(opts.dir);
  const log = (opts.log ?? silentLogger).child({ component: 'hub' });
  const maxUpload = opts.maxUpload ?? 2 * 1024 ** 3;
  await fs.mkdir(dir, { recursive: true });
  const file = (repo: string, name: string) => path.join(dir, repo, `${name}.flist`);

  async function install(repo: string, name: string, from: string, kind: 'archive' | 'docker'): Promise<void> {
    checkName('repo', repo);
    checkName('name', name);
    await fs.mkdir(path.join(dir, repo), { recursive: true });
    const tmp = path.join(dir, repo, `.tmp-${randomBytes(6).toString('hex')}`);
    try {
      if (kind === 'docker') {
        const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tfg-hub-'));
        try {
          await unpackDockerArchive(from, root);
          await packRootfs(root, tmp);
        } finally {
          await fs.rm(root, { recursive: true, force: true });
        }
      } else {
        await runCommand('tar', ['-tzf', from]); // refuse what is not a gzip tar
        await fs.copyFile(from, tmp);
      }
      await fs.rename(tmp, file(repo, name));
      log.info('flist published', { repo, name, kind });
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async function list(repo: string): Promise<FlistEntry[]> {
    checkName('repo', repo);
    const names = (await fs.readdir(path.join(dir, repo)).catch(() => [] as string[])).filter((n) => n.endsWith('.flist')).sort();
    const out: FlistEntry[] = [];
    for (const n of names) {
      const f = path.join(dir, repo, n);
      out.push({ name: n, size: (await fs.stat(f)).size, md5: await md5Of(f) });
    }
    return out;
  }

  const send = (res: http.ServerResponse, code: number, body: string, type = 'text/plain') => {
    res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const code = err instanceof InputError ? 400 : 500;
      if (!res.headersSent) send(res, code, `${(err as Error).message}\n`);
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://hub');
    const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && parts[0] === 'api' && parts[1] === 'flist') {
      if (parts.length === 2) {
        const repos = (await fs.readdir(dir, { withFileTypes: true }))
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
          .sort();
        return send(res, 200, JSON.stringify(repos), 'application/json');
      }
      if (parts.length === 3) return send(res, 200, JSON.stringify(await list(parts[2])), 'application/json');
    }
    if (parts.length === 2 && (parts[1].endsWith('.flist') || parts[1].endsWith('.flist.md5'))) {
      const md5 = parts[1].endsWith('.md5');
      const name = parts[1].replace(/\.flist(\.md5)?$/, '');
      checkName('repo', parts[0]);
      checkName('name', name);
      const f = file(parts[0], name);
      if (req.method === 'GET' || req.method === 'HEAD') {
        const st = await fs.stat(f).catch(() => undefined);
        if (!st) return send(res, 404, `flist ${parts[0]}/${name}.flist not found\n`);
        if (md5) return send(res, 200, `${await md5Of(f)}\n`);
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': st.size });
        if (req.method === 'HEAD') return void res.end();
        createReadStream(f).pipe(res);
        return;
      }
      if (req.method === 'PUT' && !md5) {
        await fs.mkdir(path.join(dir, '.uploads'), { recursive: true });
        const up = path.join(dir, '.uploads', randomBytes(8).toString('hex'));
        try {
          await new Promise<void>((resolve, reject) => {
            let n = 0;
            const out = createWriteStream(up);
            req.on('data', (c: Buffer) => {
              n += c.length;
              if (n > maxUpload) req.destroy(new InputError(`hub: upload larger than ${maxUpload} bytes`));
            });
            req.on('error', reject);
            out.on('error', reject);
            out.on('finish', () => resolve());
            req.pipe(out);
          });
          await install(parts[0], name, up, u.searchParams.get('from') === 'docker' ? 'docker' : 'archive').catch((err: unknown) => {
            throw new InputError(`hub: ${parts[0]}/${name}.flist: ${(err as Error).message}`, {}, { cause: err });
          });
        } finally {
          await fs.rm(up, { force: true });
        }
        return send(res, 201, JSON.stringify({ url: `/${parts[0]}/${name}.flist` }), 'application/json');
      }
      if (req.method === 'DELETE' && !md5) {
        await fs.rm(f, { force: true });
        return send(res, 204, '');
      }
    }
    send(res, 404, 'not found\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  const flistUrl = (repo: string, name: string) => `${url}/${repo}/${name}.flist`;

  return {
    url,
    port,
    flistUrl,
    async publishDir(repo, name, rootfs) {
      const tmp = path.join(os.tmpdir(), `tfg-hub-${randomBytes(6).toString('hex')}.tar.gz`);
      try {
        await packRootfs(rootfs, tmp);
        await install(repo, name, tmp, 'archive');
      } finally {
        await fs.rm(tmp, { force: true });
      }
      return flistUrl(repo, name);
    },
    async publishArchive(repo, name, archive) {
      await install(repo, name, archive, 'archive');
      return flistUrl(repo, name);
    },
    async publishDockerArchive(repo, name, tarball) {
      await install(repo, name, tarball, 'docker');
      return flistUrl(repo, name);
    },
    list,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
