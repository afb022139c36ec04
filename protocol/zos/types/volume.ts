/** volume: a btrfs subvolume on SSD. Wire format and rules: zos-protocol.md §1.5 (volume), §2.4, §3.5, §4. */
import { goStruct, goString, goUint64 } from '../go-json';
import { capacity, type WorkloadKind } from './kind';

export const VOLUME = 'volume';

export const volumeDataSchema = goStruct('zos.Volume', { size: goUint64('gridtypes.Unit') });
export type VolumeData = ReturnType<typeof volumeDataSchema.parse>;

export const volumeResultSchema = goStruct('zos.VolumeResult', { id: goString() });
export type VolumeResult = ReturnType<typeof volumeResultSchema.parse>;

export const volume = {
  type: VOLUME as typeof VOLUME,
  goType: '*zos.Volume',
  sharable: false,
  data: volumeDataSchema,
  result: volumeResultSchema,
  challenge: (d, w) => void w.uint(d.size),
  validate: (d) => (d.size === 0n ? 'invalid size' : undefined),
  capacity: (d) => capacity({ sru: d.size }),
  // The quota changes even with a running VM; a size below current usage fails on the node (state error),
  // which only the node can know.
  update: { supported: true, predict: (old, next) => (old.size === next.size ? { outcome: 'noop' } : { outcome: 'apply' }) },
} satisfies WorkloadKind<VolumeData, VolumeResult>;
