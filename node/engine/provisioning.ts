/**
 * Installing, removing, pausing and resuming a deployment's workloads through their managers (zosbase
 * provision/engine.go `installWorkload`, `uninstallDeployment`, pause/resume): in the engine's type order (§3.6;
 * largest disk first, removal in reverse), one result transaction per workload, the §6.1 memory check before a
 * first provision. A workload whose manager fails gets `error`; the others go on.
 * Facts: zos-protocol.md §3.3, §3.6, §3.7, §6.1.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import { ENGINE_TYPE_ORDER } from '../../protocol/zos';
import type { EngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import type { WorkloadView } from './managers/manager';
import type { ResultState, StoredDeployment, StoredWorkload } from './storage';
import { workloadCapacity } from './wire';

/** Rank of a type in the engine order (§3.6, `ENGINE_TYPE_ORDER`); unknown types last. */
const typeRank = (t: string) => {
  const i = (ENGINE_TYPE_ORDER as readonly string[]).indexOf(t);
  return i < 0 ? ENGINE_TYPE_ORDER.length : i;
};

/** The deployment's workloads with their views, in install order (type order, then largest disk, then as listed). */
export function sortForInstall(dl: StoredDeployment, vs: WorkloadView[]): { w: StoredWorkload; v: WorkloadView; i: number }[] {
  return dl.workloads
    .map((w, i) => ({ w, v: vs[i], i }))
    .sort((a, b) => {
      const r = typeRank(a.w.type) - typeRank(b.w.type);
      if (r !== 0) return r;
      if (a.w.type === 'zmount' || a.w.type === 'volume') {
        const sa = workloadCapacity(a.w.type, a.v.data).sru;
        const sb = workloadCapacity(b.w.type, b.v.data).sru;
        if (sa !== sb) return sa > sb ? -1 : 1; // largest disk first (engine.go sortMountWorkloads)
      }
      return a.i - b.i;
    });
}

/**
 * Installs one workload (engine.go `installWorkload`): skip deleted/error, capacity, manager, result. `view` is
 * updated in place so the workloads installed after it see its state and result.
 */
export async function install(ctx: EngineContext, twin: number, contract: bigint, wl: StoredWorkload, view: WorkloadView, all: WorkloadView[]): Promise<void> {
  if (wl.result.state === 'deleted' || wl.result.state === 'error') return;
  const mgr = ctx.managers[wl.type];
  const mctx = ctx.managerContext(twin, contract, wl.name, all);
  const result = (state: ResultState, message: string, data: string | null): StoredWorkload => ({
    ...wl,
    result: { created: ctx.nowSec(), state, message, data },
  });
  if (!mgr) {
    ctx.write(twin, contract, result('error', ENGINE_ERRORS.unknownType(wl.type, mctx.wid), null), view.data);
    return;
  }
  if (wl.result.state === 'init') {
    const need = workloadCapacity(wl.type, view.data).mru;
    const noMem = ctx.ledger.memoryCheck(mctx.wid, need);
    if (noMem) {
      ctx.write(twin, contract, result('error', noMem, null), view.data);
      view.state = 'error';
      return;
    }
  }
  try {
    const data = JSON.stringify((await mgr.provision(mctx, view.data)) ?? null);
    if (wl.result.state === 'paused') {
      await mgr.pause?.(mctx, view.data);
      return;
    }
    // Re-provisioning an ok workload (boot, resumed job) writes nothing when nothing changed.
    if (wl.result.state === 'ok' && wl.result.data === data) return;
    ctx.write(twin, contract, result('ok', '', data), view.data);
    view.state = 'ok';
    view.resultData = JSON.parse(data) as unknown;
  } catch (err) {
    ctx.log.warn('provision failed', { twin, contract: contract.toString(), workload: wl.name, err: errorText(err) });
    ctx.write(twin, contract, result('error', errorText(err), null), view.data);
    view.state = 'error';
  }
}

/** Provisions every workload of a stored deployment in install order; stops between workloads on close. */
export async function provisionAll(ctx: EngineContext, twin: number, contract: bigint): Promise<void> {
  const dl = ctx.storage.get(twin, contract);
  if (!dl) return;
  const vs = ctx.views(dl);
  for (const { w, v } of sortForInstall(dl, vs)) {
    if (ctx.closed) return;
    await install(ctx, twin, contract, w, v, vs);
  }
}

/** Deprovisions every workload in reverse install order, writes `deleted` with `reason`, then drops the deployment. */
export async function uninstallAll(ctx: EngineContext, twin: number, contract: bigint, reason: string): Promise<void> {
  const dl = ctx.storage.get(twin, contract);
  if (!dl) return;
  const vs = ctx.views(dl);
  const order = sortForInstall(dl, vs).reverse();
  for (const { w, v } of order) {
    const mgr = ctx.managers[w.type];
    try {
      await mgr?.deprovision(ctx.managerContext(twin, contract, w.name, vs), v.data);
      ctx.write(twin, contract, { ...w, result: { created: ctx.nowSec(), state: 'deleted', message: reason, data: null } }, v.data);
      v.state = 'deleted'; // the next ones see it gone (a disk the last of its machines leaves is unmounted)
    } catch (err) {
      ctx.write(twin, contract, { ...w, result: { created: ctx.nowSec(), state: 'error', message: errorText(err), data: null } }, v.data);
    }
  }
  ctx.ledger.forget(
    twin,
    contract,
    dl.workloads.map((w) => w.name),
  );
  ctx.storage.delete(twin, contract);
}

/** Pauses `ok` workloads (reverse install order) or resumes `paused` ones (install order); a manager failure is only logged. */
export async function setPaused(ctx: EngineContext, twin: number, contract: bigint, pause: boolean): Promise<void> {
  const dl = ctx.storage.get(twin, contract);
  if (!dl) return;
  const vs = ctx.views(dl);
  const order = pause ? sortForInstall(dl, vs).reverse() : sortForInstall(dl, vs);
  for (const { w, v } of order) {
    if (w.result.state !== (pause ? 'ok' : 'paused')) continue;
    const mgr = ctx.managers[w.type];
    const mctx = ctx.managerContext(twin, contract, w.name, vs);
    try {
      if (pause) await mgr?.pause?.(mctx, v.data);
      else await mgr?.resume?.(mctx, v.data);
    } catch (err) {
      ctx.log.warn(pause ? 'pause failed' : 'resume failed', { twin, workload: w.name, err: errorText(err) });
    }
    ctx.write(twin, contract, { ...w, result: { created: ctx.nowSec(), state: pause ? 'paused' : 'ok', message: pause ? 'paused' : '', data: w.result.data } }, v.data);
  }
}

/** Fails every workload of a deployment with `message` (a failed chain check). */
export function failAll(ctx: EngineContext, twin: number, contract: bigint, message: string): void {
  const dl = ctx.storage.get(twin, contract);
  if (!dl) return;
  const vs = ctx.views(dl);
  dl.workloads.forEach((w, i) => {
    ctx.write(twin, contract, { ...w, result: { created: ctx.nowSec(), state: 'error', message, data: null } }, vs[i].data);
  });
}
