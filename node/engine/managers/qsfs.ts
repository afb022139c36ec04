/** qsfs manager: a quantum-safe file system through `backends.qsfs` (zos-protocol.md §1.5 qsfs, §3.5 upsert, §4). */
import type { Manager } from './manager';

export const qsfsManager: Manager<'qsfs'> = {
  async provision(ctx, d) {
    return ctx.backends.qsfs.create({ workloadId: ctx.wid, cache: d.cache, config: d.config });
  },
  async deprovision(ctx) {
    await ctx.backends.qsfs.remove(ctx.wid);
  },
  async update(ctx, d) {
    return ctx.backends.qsfs.update({ workloadId: ctx.wid, cache: d.cache, config: d.config });
  },
};
