/** volume manager: a quota'd volume through `backends.storage` (zos-protocol.md §1.5 volume, §3.5, §4). */
import { ZosError } from '../../../protocol/common/errors';
import { NoActionNeeded, type Manager } from './manager';

export const volumeManager: Manager<'volume'> = {
  async provision(ctx, data) {
    await ctx.backends.storage.create({ id: ctx.wid, kind: 'volume', size: data.size });
    return { id: ctx.wid };
  },
  async deprovision(ctx) {
    await ctx.backends.storage.remove(ctx.wid);
  },
  async update(ctx, data, previous) {
    const next = data.size;
    const cur = (await ctx.backends.storage.get(ctx.wid))?.size ?? previous.size;
    if (next === cur) throw new NoActionNeeded();
    if (next < cur) {
      // A volume is a quota; ZOS refuses below the provisioned space and marks the workload error.
      throw new ZosError(`cannot shrink volume to be less than provisioned space. old: ${cur}, requested: ${next}`);
    }
    await ctx.backends.storage.grow(ctx.wid, next);
    return { id: ctx.wid };
  },
};
