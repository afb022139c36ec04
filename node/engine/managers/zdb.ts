/** zdb manager: a namespace in the node's 0-db through `backends.zdb` (zos-protocol.md §1.5 zdb, §3.5, §4, §6.6). */
import type { ZdbMode, ZdbNamespaceSpec } from '../../backends/zdb/zdb';
import { isUnchanged } from '../../backends/zdb/zdb';
import type { ZDBData } from '../../../protocol/zos/types';
import { NoActionNeeded, unchanged, type Manager, type ManagerContext } from './manager';

const spec = (ctx: ManagerContext, d: ZDBData): ZdbNamespaceSpec => ({
  name: ctx.wid,
  size: d.size,
  // The node's `Valid` admitted only user and seq.
  mode: d.mode as ZdbMode,
  password: d.password,
  public: d.public,
});

export const zdbManager: Manager<'zdb'> = {
  async provision(ctx, data) {
    return ctx.backends.zdb.create(spec(ctx, data));
  },
  async deprovision(ctx) {
    await ctx.backends.zdb.remove(ctx.wid);
  },
  async update(ctx, n, p) {
    if (n.size === p.size && n.mode === p.mode && n.password === p.password && n.public === p.public) {
      throw new NoActionNeeded();
    }
    try {
      return await ctx.backends.zdb.update(spec(ctx, n));
    } catch (err) {
      if (isUnchanged(err)) throw unchanged(err instanceof Error ? err.message : String(err));
      throw err;
    }
  },
  pause: (ctx) => ctx.backends.zdb.pause(ctx.wid),
  resume: (ctx) => ctx.backends.zdb.resume(ctx.wid),
};
