/**
 * ZMount: a virtual disk (zos-protocol.md §1.5 zmount, §3.5: grows in place, never shrinks, growing while a
 * running machine of the same deployment mounts it is refused by the node).
 * @module
 */
import { z } from 'zod';
import { formatSize, parseSize, sizeAtLeast, type CheckFailure } from '../inputs';
import { commonInputShape, type WorkloadKind } from '../workload-resource';

export const zmountInputsSchema = z.object({
  ...commonInputShape,
  /** Disk size: bytes or "10GiB", more than 0. */
  size: sizeAtLeast(1, 'invalid size'),
});
export type ZMountInputs = z.infer<typeof zmountInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const zmountOutputDocs = { volumeId: { type: 'string', description: 'The disk id on the node.' } } as const satisfies WorkloadKind<ZMountInputs>['outputDocs'];

export const zmountKind: WorkloadKind<ZMountInputs> = {
  typeName: 'ZMount',
  workloadType: 'zmount',
  description: 'A virtual disk on a node, mounted into a ZMachine of the same deployment.',
  inputs: zmountInputsSchema,
  outputDocs: zmountOutputDocs,
  updatable: true,
  checkTransition(olds, news, resource): CheckFailure[] {
    const before = parseSize(olds.size, 'size');
    const after = parseSize(news.size, 'size');
    if (after >= before) return [];
    return [{
      property: 'size',
      reason: `${resource}: size cannot shrink from ${formatSize(before)} to ${formatSize(after)} (ZOS: not safe to shrink a disk); keep ${formatSize(before)} or more, or give the disk a new name to replace it`,
    }];
  },
  toWire: (i) => ({ size: parseSize(i.size, 'size') }),
  resultOutputs: (data) => ({ volumeId: (data as { volume_id?: string } | null)?.volume_id ?? '' }),
};
