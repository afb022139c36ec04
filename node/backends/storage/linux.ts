/**
 * StorageBackend on Linux: a disk is a sparse file (a raw disk, as ZOS hands VMs), given ext4 the first time it is
 * mounted for a container and mounted through a loop device (machine.md: loop + ext4; no quotas, so the fixed-size
 * image is the limit). A VM-image machine writes its image onto a disk that has no filesystem yet (§6.3). zos-protocol.md §1.5 zmount/volume, §3.5 grow-only.
 * Layout under `dir`: `<id>.img` (the disk), `<id>.json` (kind; add fields, never rename), `mnt/<id>` (mountpoint).
 * @module
 */
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { ConflictError, ZosError } from '../../../protocol/common/errors';
import type { Logger } from '../../../protocol/common/log';
import { silentLogger } from '../../../protocol/common/log';
import { runCommand, tryCommand } from '../machine/host-command';
import { STORAGE_ERRORS, diskRequestSchema } from './storage';
import type { DiskInfo, DiskKind, DiskRequest, StorageBackend } from './storage';

export interface LinuxStorageOptions {
  /** Directory owning every image and mountpoint of this node. */
  dir: string;
  log?: Logger;
}

interface DiskMeta {
  id: string;
  kind: DiskKind;
}

/** Mountpoints currently mounted under `root` (from /proc/self/mountinfo), mountpoint → source device. */
export function mountsUnder(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 10) continue;
    const mp = f[4].replace(/\\040/g, ' ');
    const sep = f.indexOf('-');
    if (mp === root || mp.startsWith(root + '/')) out.set(mp, f[sep + 2] ?? '');
  }
  return out;
}

/** True when the image carries a filesystem or partition table signature (`blkid -p`; exit 2 = none). */
export async function hasFilesystem(image: string): Promise<boolean> {
  try {
    const { stdout } = await runCommand('blkid', ['-p', '-o', 'value', '-s', 'TYPE', image]);
    return stdout.trim() !== '';
  } catch {
    return false;
  }
}

/**
 * Forces a check of an unmounted ext4 image and repairs what is safe (`e2fsck -f -p`). Exit 0 = clean,
 * 1 = errors fixed: both leave a filesystem resize2fs accepts; anything else is a real failure, reported.
 */
async function checkFilesystem(image: string): Promise<void> {
  try {
    await runCommand('e2fsck', ['-f', '-p', image]);
  } catch (err) {
    const exit = ((err as Error).cause as { code?: unknown } | undefined)?.code;
    if (exit !== 1) throw err;
  }
}

/** Loop devices whose backing file is `file` (`losetup -j`). */
async function loopsOf(file: string): Promise<string[]> {
  const { stdout } = await runCommand('losetup', ['-j', file]);
  return stdout
    .split('\n')
    .map((l) => l.split(':')[0])
    .filter((d) => d.startsWith('/dev/'));
}

export function createLinuxStorage(opts: LinuxStorageOptions): StorageBackend {
  const dir = path.resolve(opts.dir);
  const log = (opts.log ?? silentLogger).child({ backend: 'storage' });
  const image = (id: string) => path.join(dir, `${id}.img`);
  const metaFile = (id: string) => path.join(dir, `${id}.json`);
  const mountpoint = (id: string) => path.join(dir, 'mnt', id);
  // One operation per disk at a time (create/grow/mount race otherwise).
  const locks = new Map<string, Promise<unknown>>();
  const locked = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const prev = locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    locks.set(
      id,
      next.catch(() => undefined),
    );
    return next;
  };

  async function info(id: string): Promise<DiskInfo | undefined> {
    let meta: DiskMeta;
    try {
      meta = JSON.parse(await fs.readFile(metaFile(id), 'utf8')) as DiskMeta;
    } catch {
      return undefined;
    }
    const st = await fs.stat(image(id)).catch(() => undefined);
    if (!st) return undefined;
    const mp = mountpoint(id);
    const mounted = mountsUnder(mp).has(mp);
    return { id, kind: meta.kind, size: BigInt(st.size), image: image(id), ...(mounted ? { mountpoint: mp } : {}) };
  }

  async function unmountNow(id: string): Promise<void> {
    const mp = mountpoint(id);
    if (mountsUnder(mp).has(mp)) await runCommand('umount', [mp]);
    for (const dev of await loopsOf(image(id)).catch(() => [])) await tryCommand('losetup', ['-d', dev]);
  }

  const backend: StorageBackend = {
    async create(req: DiskRequest) {
      const r = diskRequestSchema.parse(req);
      return locked(r.id, async () => {
        const have = await info(r.id);
        if (have) return have;
        await fs.mkdir(path.join(dir, 'mnt'), { recursive: true });
        const file = image(r.id);
        const fh = await fs.open(file, 'w');
        try {
          await fh.truncate(Number(r.size)); // sparse: no blocks used yet
        } finally {
          await fh.close();
        }
        await fs.writeFile(metaFile(r.id), JSON.stringify({ id: r.id, kind: r.kind } satisfies DiskMeta));
        log.info('disk created', { disk: r.id, size: r.size });
        return (await info(r.id)) as DiskInfo;
      });
    },

    get: (id) => info(id),

    async list() {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      const out: DiskInfo[] = [];
      for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
        const d = await info(n.slice(0, -5));
        if (d) out.push(d);
      }
      return out;
    },

    async grow(id, size) {
      return locked(id, async () => {
        const d = await info(id);
        if (!d) throw new ZosError(`disk '${id}' not found`);
        if (size < d.size) throw new ZosError(STORAGE_ERRORS.shrink, { nodeMessage: STORAGE_ERRORS.shrink });
        if (size === d.size) return d;
        if (d.mountpoint) throw new ConflictError(`disk '${id}' is mounted at ${d.mountpoint}; grow it while no machine uses it`);
        await fs.truncate(d.image, Number(size));
        // resize2fs refuses an ext4 not marked clean (a journal to replay after a crash): check it first
        if (await hasFilesystem(d.image)) {
          await checkFilesystem(d.image);
          await runCommand('resize2fs', [d.image]);
        }
        log.info('disk grown', { disk: id, from: d.size, to: size });
        return (await info(id)) as DiskInfo;
      });
    },

    async mount(id) {
      return locked(id, async () => {
        const d = await info(id);
        if (!d) throw new ZosError(`disk '${id}' not found`);
        if (d.mountpoint) return d.mountpoint;
        const mp = mountpoint(id);
        await fs.mkdir(mp, { recursive: true });
        if (!(await hasFilesystem(d.image))) {
          // first use as a container disk: ext4 (lazy init keeps mkfs fast on big sparse files; nodiscard keeps it sparse)
          await runCommand('mkfs.ext4', ['-F', '-q', '-E', 'lazy_itable_init=1,lazy_journal_init=1,nodiscard', '-L', id.slice(0, 16), d.image]);
        }
        // Still attached (a machine's mount namespace that outlived its unmount keeps the ext4 alive, and
        // `losetup -d` only marked it for autoclear): mount that device again, so the kernel hands back the same
        // superblock. A second loop device over the image would be a second ext4 on one file: neither sees the
        // other's unwritten data, and the image ends up corrupt.
        const [attached] = await loopsOf(d.image).catch(() => [] as string[]);
        if (attached) {
          await runCommand('mount', ['-t', 'ext4', attached, mp]);
          log.info('disk mounted on its still attached loop device', { disk: id, dev: attached });
          return mp;
        }
        // another process may grab the same free loop device between find and attach: retry
        for (let attempt = 1; ; attempt++) {
          let dev = '';
          try {
            dev = (await runCommand('losetup', ['-f', '--show', d.image])).stdout.trim();
            await runCommand('mount', ['-t', 'ext4', dev, mp]);
            break;
          } catch (err) {
            if (dev) await tryCommand('losetup', ['-d', dev]);
            if (attempt >= 3) throw err;
            log.warn('disk mount retried', { disk: id, dev, error: (err as Error).message });
          }
        }
        return mp;
      });
    },

    unmount: (id) => locked(id, () => unmountNow(id)),

    async remove(id) {
      return locked(id, async () => {
        await unmountNow(id);
        await fs.rm(mountpoint(id), { recursive: true, force: true });
        await fs.rm(image(id), { force: true });
        await fs.rm(metaFile(id), { force: true });
        log.info('disk removed', { disk: id });
      });
    },

    async reserved() {
      let sum = 0n;
      for (const d of await backend.list()) sum += d.size;
      return sum;
    },

    async close() {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const n of names.filter((x) => x.endsWith('.json'))) await locked(n.slice(0, -5), () => unmountNow(n.slice(0, -5)));
    },
  };
  return backend;
}
