/**
 * Volume: a btrfs subvolume with a quota (zos-protocol.md §1.5 volume, §3.5): a directory a ZMachine of the same
 * deployment mounts (virtiofs), so never a boot disk. Grows in place, even while mounted; never shrinks.
 * @module
 */
import { z } from 'zod';
import { parseSize, refuseShrink, sizeAtLeast } from '../inputs';
import { commonInputShape, type ResourceKind } from '../workload-resource';

export const volumeInputsSchema = z.object({
  ...commonInputShape,
  /** Volume quota: bytes or "10GiB", more than 0. */
  size: sizeAtLeast(1, 'invalid size'),
});
export type VolumeInputs = z.infer<typeof volumeInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const volumeOutputDocs = { volumeId: { type: 'string', description: 'The volume id on the node.' } } as const satisfies ResourceKind<VolumeInputs>['outputDocs'];

export const volumeKind: ResourceKind<VolumeInputs, 'volume'> = {
  typeName: 'Volume',
  workloadType: 'volume',
  description: 'A volume (a directory with a size quota) on a node, mounted into a ZMachine of the same deployment. Grows in place, even while mounted.',
  inputs: volumeInputsSchema,
  outputDocs: volumeOutputDocs,
  // ZOS refuses a quota below the current one (zosbase primitives/volume: "cannot shrink volume to be less than
  // provisioned space") and marks the workload error; refused at check instead, with the way out.
  checkTransition: refuseShrink('volume', 'cannot shrink volume to be less than provisioned space'),
  toWire: (i) => ({ size: BigInt(parseSize(i.size, 'size')) }),
  resultOutputs: (data) => ({ volumeId: (data as { id?: string } | null)?.id ?? '' }),
};
