/**
 * FlistBackend on the local machine: references → read-only rootfs directories cached by content under
 * `<dir>/rootfs/<sha256>` (zos-protocol.md §6.3 modes and `.startup.toml`; DESIGN.md §4 Flists). Sources: a
 * directory, a `.tar.gz` archive (the hub format), an HTTP URL (the local hub), an OCI/docker image tarball.
 * @module
 */
import { createHash, randomBytes } from 'crypto';
import { createReadStream, createWriteStream, existsSync, promises as fs } from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { silentLogger } from '../../../protocol/common/log';
import { runCommand } from '../machine/host-command';
import { isDockerArchive, unpackDockerArchive } from './docker-image';
import { detectMode, parseStartupToml } from './flist';
import type { FlistBackend, ResolvedFlist } from './flist';

export interface LinuxFlistOptions {
  /** Cache directory (shared by the node's machines). */
  dir: string;
  log?: Logger;
  /** Download limit in bytes (default 4 GiB). */
  maxBytes?: number;
}

/** sha256 of a file's bytes. */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** sha256 over a directory tree: sorted relative paths, types, modes, link targets and file bytes. */
export async function hashTree(root: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const names = (await fs.readdir(path.join(root, rel))).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const full = path.join(root, r);
      const st = await fs.lstat(full);
      h.update(`${r}\0${st.mode}\0`);
      if (st.isSymbolicLink()) h.update(`${await fs.readlink(full)}\0`);
      else if (st.isDirectory()) await walk(r);
      else if (st.isFile()) {
        for await (const chunk of createReadStream(full)) h.update(chunk as Buffer);
        h.update('\0');
      }
    }
  };
  await walk('');
  return h.digest('hex');
}

type Source = { kind: 'dir'; path: string } | { kind: 'file'; path: string; temp: boolean };

function download(url: string, to: string, maxBytes: number, redirects = 3): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: 60_000 }, (res) => {
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location && redirects > 0) {
        res.resume();
        download(new URL(res.headers.location, url).toString(), to, maxBytes, redirects - 1).then(resolve, reject);
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode ?? '?'}`));
        return;
      }
      let n = 0;
      const out = createWriteStream(to);
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > maxBytes) req.destroy(new Error(`larger than ${maxBytes} bytes`));
      });
      res.pipe(out);
      out.on('finish', () => resolve());
      out.on('error', reject);
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

export function createLinuxFlists(opts: LinuxFlistOptions): FlistBackend {
  const dir = path.resolve(opts.dir);
  const log = (opts.log ?? silentLogger).child({ backend: 'flist' });
  const maxBytes = opts.maxBytes ?? 4 * 1024 ** 3;
  const cacheDir = path.join(dir, 'rootfs');
  const inflight = new Map<string, Promise<ResolvedFlist>>();

  async function locate(url: string): Promise<Source> {
    if (/^https?:\/\//.test(url)) {
      await fs.mkdir(path.join(dir, 'downloads'), { recursive: true });
      const tmp = path.join(dir, 'downloads', randomBytes(8).toString('hex'));
      try {
        await download(url, tmp, maxBytes);
      } catch (err) {
        await fs.rm(tmp, { force: true });
        throw new ZosError(`failed to download flist ${url}: ${(err as Error).message}`, {}, { cause: err });
      }
      return { kind: 'file', path: tmp, temp: true };
    }
    const p = url.replace(/^file:\/\//, '').replace(/^docker-archive:/, '');
    const st = await fs.stat(p).catch(() => undefined);
    if (!st) throw new ZosError(`flist ${url} not found`);
    return st.isDirectory() ? { kind: 'dir', path: p } : { kind: 'file', path: p, temp: false };
  }

  async function materialize(src: Source, key: string, url: string): Promise<void> {
    const target = path.join(cacheDir, key);
    if (existsSync(target)) return;
    const staging = path.join(cacheDir, `.tmp-${randomBytes(6).toString('hex')}`);
    await fs.mkdir(staging, { recursive: true });
    try {
      if (src.kind === 'dir') await runCommand('cp', ['-a', `${src.path}/.`, staging]);
      else if (await isDockerArchive(src.path)) await unpackDockerArchive(src.path, staging);
      else await runCommand('tar', ['-xf', src.path, '-C', staging, '--numeric-owner']);
      await fs.chmod(staging, 0o755);
      await fs.rename(staging, target);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      if (err instanceof ZosError && err.message.startsWith('failed to ')) throw err;
      throw new ZosError(`failed to unpack flist ${url}: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  async function describe(url: string, key: string): Promise<ResolvedFlist> {
    const rootfs = path.join(cacheDir, key);
    const has = (p: string) => existsSync(path.join(rootfs, p));
    const mode = detectMode(has);
    const out: ResolvedFlist = { url, key, rootfs, mode };
    if (has('.startup.toml')) out.startup = parseStartupToml(await fs.readFile(path.join(rootfs, '.startup.toml'), 'utf8'));
    if (mode === 'vm-kernel') {
      out.kernel = path.join(rootfs, 'boot/vmlinuz');
      if (has('boot/initrd.img')) out.initrd = path.join(rootfs, 'boot/initrd.img');
    }
    if (mode === 'vm-image') out.image = path.join(rootfs, 'image.raw');
    return out;
  }

  async function resolveNow(url: string): Promise<ResolvedFlist> {
    const src = await locate(url);
    try {
      const key = src.kind === 'dir' ? await hashTree(src.path) : await hashFile(src.path);
      await materialize(src, key, url);
      log.debug('flist resolved', { url, key });
      return await describe(url, key);
    } finally {
      if (src.kind === 'file' && src.temp) await fs.rm(src.path, { force: true });
    }
  }

  const backend: FlistBackend = {
    resolve(url) {
      // Two machines asking for the same flist at once share one download and extraction.
      const running = inflight.get(url);
      if (running) return running;
      const p = resolveNow(url).finally(() => inflight.delete(url));
      inflight.set(url, p);
      return p;
    },
    async list() {
      return (await fs.readdir(cacheDir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
    },
    async prune(keep) {
      for (const k of await backend.list()) if (!keep.has(k)) await fs.rm(path.join(cacheDir, k), { recursive: true, force: true });
    },
    async close() {
      await Promise.allSettled([...inflight.values()]);
    },
  };
  return backend;
}
