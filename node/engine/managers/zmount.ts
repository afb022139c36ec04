/** zmount manager: a virtual disk through `backends.storage` (zos-protocol.md §1.5 zmount, §3.5, §4, §6.1). */
import { machinesMounting } from '../../../protocol/zos/types';
import { NoActionNeeded, unchanged, type Manager } from './manager';

export const zmountManager: Manager<'zmount'> = {
  async provision(ctx, d) {
    await ctx.backends.storage.create({ id: ctx.wid, kind: 'zmount', size: d.size });
    return { volume_id: ctx.wid };
  },
  async deprovision(ctx) {
    await ctx.backends.storage.remove(ctx.wid);
  },
  async update(ctx, data, previous) {
    const next = data.size;
    const cur = (await ctx.backends.storage.get(ctx.wid))?.size ?? previous.size;
    if (next === cur) throw new NoActionNeeded();
    if (next < cur) throw unchanged('not safe to shrink a disk');
    if (machinesMounting(ctx.name, ctx.workloads).length > 0) throw unchanged('disk is mounted, please delete the VM first');
    try {
      await ctx.backends.storage.grow(ctx.wid, next);
    } catch (err) {
      throw unchanged(err instanceof Error ? err.message : String(err));
    }
    return { volume_id: ctx.wid };
  },
};
