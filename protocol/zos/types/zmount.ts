/** zmount: a virtual disk on SSD. Wire format and rules: zos-protocol.md §1.5 (zmount), §2.4, §3.5, §4. */
import { goStruct, goString, goUint64 } from '../go-json';
import { capacity, type UpdateContext, type WorkloadKind } from './kind';

export const ZMOUNT = 'zmount';

export const zmountDataSchema = goStruct('zos.ZMount', {
  /** Bytes; bigint because sizes pass 2^53. */
  size: goUint64('gridtypes.Unit'),
});
export type ZMountData = ReturnType<typeof zmountDataSchema.parse>;

export const zmountResultSchema = goStruct('zos.ZMountResult', { volume_id: goString() });
export type ZMountResult = ReturnType<typeof zmountResultSchema.parse>;

/**
 * The running (ok or paused) machines, full or light, of a deployment that mount disk `name`: while there is one,
 * the disk is not grown (primitives/zmount). The one home of this rule: the node's zmount manager and the
 * provider's preview read it here. A machine's data is its decoded zmachine(-light) data.
 */
export function machinesMounting(name: string, current: UpdateContext['current']): UpdateContext['current'] {
  return current.filter((w) => {
    if ((w.type !== 'zmachine' && w.type !== 'zmachine-light') || (w.state !== 'ok' && w.state !== 'paused')) return false;
    const mounts = (w.data as { mounts?: readonly { name: string }[] } | undefined)?.mounts ?? [];
    return mounts.some((m) => m.name === name);
  });
}

export const zmount = {
  type: ZMOUNT as typeof ZMOUNT,
  goType: '*zos.ZMount',
  sharable: false,
  data: zmountDataSchema,
  result: zmountResultSchema,
  challenge: (d, w) => void w.uint(d.size),
  validate: (d) => (d.size === 0n ? 'invalid size' : undefined),
  capacity: (d) => capacity({ sru: d.size }),
  update: {
    supported: true,
    predict: (old, next, ctx) => {
      if (next.size === old.size) return { outcome: 'noop' };
      if (next.size < old.size) return { outcome: 'unchanged', message: 'not safe to shrink a disk' };
      // primitives/zmount: a disk is grown only while no running VM of the deployment mounts it.
      if (machinesMounting(ctx.name, ctx.current).length > 0) {
        return { outcome: 'unchanged', message: 'disk is mounted, please delete the VM first' };
      }
      return { outcome: 'apply' };
    },
  },
} satisfies WorkloadKind<ZMountData, ZMountResult>;
