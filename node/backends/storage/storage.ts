/**
 * StorageBackend: the node's virtual disks, `zmount` and `volume` workloads (zos-protocol.md §1.5 zmount/volume,
 * §3.5 grow-only, §6.1 disks, §6.2 mounts). The interface comment is the spec; `storage.suite.ts` checks it
 * against every implementation (`linux.ts`: sparse file + ext4 + loop device; `sim.ts`: state only).
 *
 * Lifecycle, by example (names are workload ids, sizes are bigint bytes):
 *
 *     const disk = await storage.create({ id: '7-42-data', kind: 'zmount', size: 1n << 30n });
 *     // disk.size === 1 GiB; disk.image is a sparse raw disk (no blocks used); nothing is mounted yet.
 *     await storage.create({ id: '7-42-data', kind: 'zmount', size: 1n << 30n }); // idempotent: same disk back
 *
 *     const where = await storage.mount('7-42-data');  // ext4 on first mount; a host directory for a container
 *     // ... a container writes /data/file (mounts: [{ source: where, target: '/data' }]) ...
 *     await storage.unmount('7-42-data');              // the machine went away; the data stays in the image
 *
 *     await storage.grow('7-42-data', 2n << 30n);      // only while unmounted; an ext4 on it grows too
 *     await storage.grow('7-42-data', 1n << 30n);      // throws ZosError 'not safe to shrink a disk'
 *
 *     await storage.remove('7-42-data');               // unmounts if needed, frees the loop device, deletes the file
 *
 * A VM-mode machine does not mount the disk on the host: it is given `disk.image` (the raw file) as a block device;
 * a vm-image machine's image is written onto a disk that has no filesystem yet. Capacity is the full size (ZOS counts SRU = size, whatever is used).
 * @module
 */
import { z } from 'zod';

export const DISK_KINDS = ['zmount', 'volume'] as const;
export type DiskKind = (typeof DISK_KINDS)[number];

/** What a manager asks for. `id` is the workload id (`<twin>-<contract>-<name>`). */
export const diskRequestSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'disk id must be [A-Za-z0-9_.-], 1..128 chars'),
  kind: z.enum(DISK_KINDS),
  size: z.bigint().positive('invalid size'),
});
export type DiskRequest = z.infer<typeof diskRequestSchema>;

export interface DiskInfo {
  id: string;
  kind: DiskKind;
  /** Bytes; the full reserved size. */
  size: bigint;
  /** Backing image file (sparse). VM mode attaches it as a drive. */
  image: string;
  /** Host directory where the filesystem is mounted, when it is. */
  mountpoint?: string;
}

export interface StorageBackend {
  /** Creates the disk, or returns the existing one with this id (a different size is not an update: use `grow`). */
  create(req: DiskRequest): Promise<DiskInfo>;
  get(id: string): Promise<DiskInfo | undefined>;
  list(): Promise<DiskInfo[]>;
  /** Enlarges disk and filesystem. Shrinking throws ZosError `not safe to shrink a disk`; a mounted disk throws ConflictError. */
  grow(id: string, size: bigint): Promise<DiskInfo>;
  /** Mounts the filesystem on the host and returns the directory; idempotent. */
  mount(id: string): Promise<string>;
  /** Unmounts; idempotent. */
  unmount(id: string): Promise<void>;
  /** Unmounts and deletes; unknown ids are fine (idempotent deprovision). */
  remove(id: string): Promise<void>;
  /** Bytes reserved by all disks (Σ size). */
  reserved(): Promise<bigint>;
  /** Unmounts everything this backend mounted (the images stay, so a restart finds them). */
  close(): Promise<void>;
}

/** ZOS's texts (zos/zmount.go, primitives/zmount). */
export const STORAGE_ERRORS = {
  shrink: 'not safe to shrink a disk',
  invalidSize: 'invalid size',
} as const;
