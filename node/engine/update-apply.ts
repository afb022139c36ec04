/**
 * Applying an accepted update (zosbase provision/engine.go `updateDeployment`, §3.4/§3.6): the ops planned at
 * admission run in order (removes first, reverse type order; then adds and updates). Each op re-reads the stored
 * deployment and skips what an interrupted run already did, so a job resumed after a restart is safe. An update a
 * manager refuses with `unchanged` keeps the old workload running (state `unchanged`, old result data).
 * Facts: zos-protocol.md §3.4, §3.5, §3.6.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import type { EngineContext } from './engine-context';
import { ENGINE_ERRORS } from './engine-errors';
import { NoActionNeeded, isUnchangedError, workloadView } from './managers/manager';
import { install } from './provisioning';
import { rawWorkloadData } from './raw-json';
import type { StoredWorkload } from './storage';
import { type PlanOp, decodeDeployment, storedWorkloadOf } from './wire';

/** Runs `ops` against the stored deployment toward `target` (the update as received, JSON text). */
export async function applyUpdate(ctx: EngineContext, twin: number, contract: bigint, target: string, ops: PlanOp[]): Promise<void> {
  const { storage, log } = ctx;
  const next = decodeDeployment(target);
  const raw = rawWorkloadData(target);
  const byName = new Map(next.workloads.map((w, i) => [w.name, { w, raw: raw[i] }]));
  for (const op of ops) {
    if (ctx.closed) return;
    const dl = storage.get(twin, contract);
    if (!dl) return;
    const vs = ctx.views(dl);
    const idx = dl.workloads.findIndex((w) => w.name === op.name);
    const mgr = ctx.managers[op.type];
    if (op.op === 'remove') {
      if (idx < 0) continue;
      const cur = dl.workloads[idx];
      try {
        await mgr?.deprovision(ctx.managerContext(twin, contract, op.name, vs), vs[idx].data);
        ctx.write(twin, contract, { ...cur, result: { created: ctx.nowSec(), state: 'deleted', message: ENGINE_ERRORS.deletedByUpdate, data: null } }, vs[idx].data);
      } catch (err) {
        ctx.write(twin, contract, { ...cur, result: { created: ctx.nowSec(), state: 'error', message: errorText(err), data: null } }, vs[idx].data);
      }
      continue;
    }
    const n = byName.get(op.name);
    if (!n) continue;
    if (op.op === 'add') {
      if (idx >= 0) continue; // resumed job: already added
      const wl = storedWorkloadOf(n.w, n.raw, 'init', ctx.nowSec());
      try {
        storage.add(twin, contract, wl);
      } catch (err) {
        // ZOS only logs a failed Add (e.g. a sharable-name conflict): the workload never appears.
        log.warn('cannot add workload', { twin, contract: contract.toString(), workload: op.name, err: errorText(err) });
        continue;
      }
      const view = workloadView({ ...n.w, name: wl.name, version: wl.version }, 'init', null);
      await install(ctx, twin, contract, wl, view, [...vs, view]);
      continue;
    }
    if (op.op === 'update') {
      if (idx < 0) continue;
      const cur = dl.workloads[idx];
      if (cur.version === n.w.version && cur.data === (n.raw ?? '{}')) continue; // resumed job: already applied
      const nextWl: StoredWorkload = { ...storedWorkloadOf(n.w, n.raw, cur.result.state, ctx.nowSec()), result: { ...cur.result, created: ctx.nowSec() } };
      const mctx = ctx.managerContext(twin, contract, op.name, vs);
      try {
        if (!mgr?.update) throw new Error(ENGINE_ERRORS.noUpgrade(op.type));
        const res = await mgr.update(mctx, n.w.data, vs[idx].data);
        ctx.write(twin, contract, { ...nextWl, result: { created: ctx.nowSec(), state: 'ok', message: '', data: JSON.stringify(res ?? null) } }, n.w.data);
      } catch (err) {
        if (err instanceof NoActionNeeded) {
          ctx.write(twin, contract, nextWl, n.w.data);
        } else if (isUnchangedError(err)) {
          ctx.write(twin, contract, { ...nextWl, result: { created: ctx.nowSec(), state: 'unchanged', message: errorText(err), data: cur.result.data } }, n.w.data);
        } else {
          ctx.write(twin, contract, { ...nextWl, result: { created: ctx.nowSec(), state: 'error', message: errorText(err), data: null } }, n.w.data);
        }
      }
    }
  }
}
