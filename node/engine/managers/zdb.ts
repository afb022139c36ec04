/** zdb manager: a namespace in the node's 0-db through `backends.zdb` (zos-protocol.md §1.5 zdb, §3.5, §4, §6.6). */
import type { ZdbMode, ZdbNamespaceSpec } from '../../backends/zdb/zdb';
import { isUnchanged } from '../../backends/zdb/zdb';
import { NoActionNeeded, big, unchanged, type Manager, type ManagerContext } from './manager';

interface ZdbData {
  size: bigint;
  mode: string;
  password: string;
  public: boolean;
}

const spec = (ctx: ManagerContext, d: ZdbData): ZdbNamespaceSpec => ({
  name: ctx.wid,
  size: big(d.size),
  mode: d.mode as ZdbMode,
  password: d.password ?? '',
  public: d.public === true,
});

export const zdbManager: Manager = {
  async provision(ctx, data) {
    return ctx.backends.zdb.create(spec(ctx, data as ZdbData));
  },
  async deprovision(ctx) {
    await ctx.backends.zdb.remove(ctx.wid);
  },
  async update(ctx, data, previous) {
    const n = data as ZdbData;
    const p = previous as ZdbData;
    if (big(n.size) === big(p.size) && n.mode === p.mode && n.password === p.password && n.public === p.public) {
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
