/** volume manager: a quota'd volume through `backends.storage` (zos-protocol.md §1.5 volume, §3.5, §4). */
import { ZosError } from '../../../protocol/common/errors';
import { NoActionNeeded, big, type Manager } from './manager';

interface VolumeData {
  size: bigint;
}

export const volumeManager: Manager = {
  async provision(ctx, data) {
    await ctx.backends.storage.create({ id: ctx.wid, kind: 'volume', size: big((data as VolumeData).size) });
    return { id: ctx.wid };
  },
  async deprovision(ctx) {
    await ctx.backends.storage.remove(ctx.wid);
  },
  async update(ctx, data, previous) {
    const next = big((data as VolumeData).size);
    const cur = (await ctx.backends.storage.get(ctx.wid))?.size ?? big((previous as VolumeData).size);
    if (next === cur) throw new NoActionNeeded();
    if (next < cur) {
      // A volume is a quota; ZOS refuses below the provisioned space and marks the workload error.
      throw new ZosError(`cannot shrink volume to be less than provisioned space. old: ${cur}, requested: ${next}`);
    }
    await ctx.backends.storage.grow(ctx.wid, next);
    return { id: ctx.wid };
  },
};
