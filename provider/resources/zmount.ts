/**
 * ZMount: a virtual disk (zos-protocol.md §1.5 zmount, §3.5: grows in place, never shrinks, growing while a
 * running machine of the same deployment mounts it is refused by the node).
 * @module
 */
import { z } from 'zod';
import { formatSize, parseSize, refuseShrink, sizeAtLeast, type CheckFailure } from '../inputs';
import { machinesMounting, zmount } from '../../protocol/zos/types/zmount';
import { commonInputShape, type ResourceKind } from '../workload-resource';

export const zmountInputsSchema = z.object({
  ...commonInputShape,
  /** Disk size: bytes or "10GiB", more than 0. */
  size: sizeAtLeast(1, 'invalid size'),
});
export type ZMountInputs = z.infer<typeof zmountInputsSchema>;

/** Outputs besides the inputs and the common ones (for schema.json and the SDK class, which declares each one). */
export const zmountOutputDocs = { volumeId: { type: 'string', description: 'The disk id on the node.' } } as const satisfies ResourceKind<ZMountInputs>['outputDocs'];

export const zmountKind: ResourceKind<ZMountInputs, 'zmount'> = {
  typeName: 'ZMount',
  workloadType: 'zmount',
  description: 'A virtual disk on a node, mounted into a ZMachine of the same deployment.',
  inputs: zmountInputsSchema,
  outputDocs: zmountOutputDocs,
  checkTransition: refuseShrink('disk', 'not safe to shrink a disk'),
  // ZOS refuses to grow a disk a running machine of the same deployment mounts (zosbase primitives/zmount
  // `zMountUpdateImpl`: `unchanged`, "disk is mounted, please delete the VM first"); preview says it, by the node's
  // own rule (protocol/zos) on the live deployment. In one up the disk's update always runs before its machine's
  // replacement (the machine waits for the disk's outputs), so changing the machine in the same up does not help.
  async liveCheckUpdate(olds, news, runtime): Promise<CheckFailure[]> {
    if (olds.node !== news.node || olds.deployment !== news.deployment || olds.name !== news.name) return [];
    const before = parseSize(olds.size, 'size');
    const after = parseSize(news.size, 'size');
    if (after <= before) return [];
    const known = await runtime.coordinator.current(news.node, news.deployment, news.adoptContractId);
    if (!known) return [];
    const d = await (await runtime.deps.node(news.node)).get(known.contract_id); // the machines' live states
    const current = d.workloads.map((w) => ({ name: w.name, type: w.type, data: w.data, state: w.result?.state ?? 'init' }));
    const verdict = zmount.update.predict({ size: BigInt(before) }, { size: BigInt(after) }, { name: news.name, current });
    if (verdict.outcome !== 'unchanged') return [];
    const by = machinesMounting(news.name, current)
      .map((w) => `ZMachine "${w.name}"`)
      .sort();
    return [
      {
        property: 'size',
        reason: `ZMount "${news.name}": cannot grow from ${formatSize(before)} to ${formatSize(after)} while ${by.join(', ') || 'a machine'} of deployment ${d.contract_id} on node ${news.node} mounts it (ZOS: ${verdict.message}). Fix: remove the mount (or the machine) and up, then grow the disk and mount it again in the next up; or mount a new, larger disk`,
      },
    ];
  },
  toWire: (i) => ({ size: BigInt(parseSize(i.size, 'size')) }),
  resultOutputs: (data) => ({ volumeId: (data as { volume_id?: string } | null)?.volume_id ?? '' }),
};
