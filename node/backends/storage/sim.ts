/**
 * StorageBackend, state only (no root): disks are records, and "mounting" hands out a plain directory under `dir`
 * so a simulated machine's files persist across mounts. For machines without root; never CI's fallback.
 * zos-protocol.md §1.5 zmount/volume, §3.5.
 * @module
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ConflictError, ZosError } from '../../../protocol/common/errors';
import { STORAGE_ERRORS, diskRequestSchema } from './storage';
import type { DiskInfo, StorageBackend } from './storage';

export function createSimStorage(opts: { dir: string }): StorageBackend {
  const disks = new Map<string, DiskInfo>();
  const dataDir = (id: string) => path.join(opts.dir, 'sim-disks', id);
  const copy = (d: DiskInfo): DiskInfo => ({ ...d });
  const must = (id: string) => {
    const d = disks.get(id);
    if (!d) throw new ZosError(`disk '${id}' not found`);
    return d;
  };
  const backend: StorageBackend = {
    async create(req) {
      const r = diskRequestSchema.parse(req);
      const have = disks.get(r.id);
      if (have) return copy(have);
      const d: DiskInfo = { id: r.id, kind: r.kind, size: r.size, image: path.join(opts.dir, `${r.id}.img`) };
      disks.set(r.id, d);
      return copy(d);
    },
    get: async (id) => (disks.has(id) ? copy(disks.get(id) as DiskInfo) : undefined),
    list: async () => [...disks.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(copy),
    async grow(id, size) {
      const d = must(id);
      if (size < d.size) throw new ZosError(STORAGE_ERRORS.shrink, { nodeMessage: STORAGE_ERRORS.shrink });
      if (size > d.size && d.mountpoint) throw new ConflictError(`disk '${id}' is mounted at ${d.mountpoint}; grow it while no machine uses it`);
      d.size = size;
      return copy(d);
    },
    async mount(id) {
      const d = must(id);
      if (!d.mountpoint) {
        await fs.mkdir(dataDir(id), { recursive: true });
        d.mountpoint = dataDir(id);
      }
      return d.mountpoint;
    },
    async unmount(id) {
      const d = disks.get(id);
      if (d) delete d.mountpoint;
    },
    async remove(id) {
      disks.delete(id);
      await fs.rm(dataDir(id), { recursive: true, force: true });
    },
    reserved: async () => [...disks.values()].reduce((s, d) => s + d.size, 0n),
    async close() {
      for (const d of disks.values()) delete d.mountpoint;
    },
  };
  return backend;
}
