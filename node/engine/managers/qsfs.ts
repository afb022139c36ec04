/** qsfs manager: a quantum-safe file system through `backends.qsfs` (zos-protocol.md §1.5 qsfs, §3.5 upsert, §4). */
import type { QsfsConfig } from '../../backends/qsfs/qsfs';
import { big, type Manager } from './manager';

interface QsfsData {
  cache: bigint;
  config: QsfsConfig;
}

export const qsfsManager: Manager = {
  async provision(ctx, data) {
    const d = data as QsfsData;
    return ctx.backends.qsfs.create({ workloadId: ctx.wid, cache: big(d.cache), config: d.config });
  },
  async deprovision(ctx) {
    await ctx.backends.qsfs.remove(ctx.wid);
  },
  async update(ctx, data) {
    const d = data as QsfsData;
    return ctx.backends.qsfs.update({ workloadId: ctx.wid, cache: big(d.cache), config: d.config });
  },
};
