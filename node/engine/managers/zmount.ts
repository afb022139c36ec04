/** zmount manager: a virtual disk through `backends.storage` (zos-protocol.md §1.5 zmount, §3.5, §4, §6.1). */
import { NoActionNeeded, unchanged, type Manager, type ManagerContext } from './manager';

/** An ok/paused zmachine of the same deployment mounting `name` blocks growing it (§3.5). */
export function isMountedByRunningMachine(ctx: ManagerContext, name: string): boolean {
  return ctx.workloads.some((w) => {
    if ((w.type !== 'zmachine' && w.type !== 'zmachine-light') || (w.state !== 'ok' && w.state !== 'paused')) return false;
    const mounts = (w.data as { mounts?: { name: string }[] }).mounts ?? [];
    return mounts.some((m) => m.name === name);
  });
}

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
    if (isMountedByRunningMachine(ctx, ctx.name)) throw unchanged('disk is mounted, please delete the VM first');
    try {
      await ctx.backends.storage.grow(ctx.wid, next);
    } catch (err) {
      throw unchanged(err instanceof Error ? err.message : String(err));
    }
    return { volume_id: ctx.wid };
  },
};
