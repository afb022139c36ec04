/**
 * Supervision of running workloads (zosbase vm monitor): a health pass asks each `ok` workload's manager whether
 * what runs it died on its own; a restartable death (an exit, not an OOM kill) is restarted in place while the
 * workload has died at most `restart.max` times within `restart.windowMs` (ZOS: `failuresBeforeDestroy` 4 within a
 * 2-minute failure cache); otherwise, and on the next death within the window, the workload is failed with state
 * `error` and a message listing the failures. The worker runs the pass between jobs, so it never races a delete,
 * pause or boot recovery of the same deployment. The counts live in memory like ZOS's: a node restart starts them
 * afresh (boot recovery re-provisions the machine anyway).
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import type { EngineContext } from './engine-context';
import type { ManagerTable } from './managers';
import type { ManagerContext, WorkloadFailure } from './managers/manager';

/** ZOS's defaults: 4 failures (3 restarts) within the 2-minute failure cache (zosbase pkg/vm monitor.go, manager.go). */
export const DEFAULT_RESTART = { max: 3, windowMs: 120_000 } as const;

/**
 * The result message of a workload given up on after `restarts` restarts within `windowMs`: the last failure's
 * message, then every failure of the window in order.
 */
export function gaveUpMessage(last: WorkloadFailure, failures: string[], windowMs: number): string {
  const restarts = failures.length - 1;
  return `${last.message} (gave up after ${restarts} restart${restarts === 1 ? '' : 's'} within ${Math.round(windowMs / 1000)}s; failures: ${failures.join('; ')})`;
}

/**
 * The error text a workload that died is failed with: the supervision's message, then the last lines it printed
 * (`; console: …`), since the cause of a dead entrypoint is only there (issue 18.6).
 */
export function diedMessage(message: string, failed: WorkloadFailure): string {
  return failed.console ? `${message}; console: ${failed.console}` : message;
}

export interface Supervisor {
  /** One pass: every `ok` workload whose manager reports it dead is restarted or gets an `error` transaction. */
  healthPass(): Promise<void>;
}

/** `restart`: at most `max` restarts (default 3, 0 = never) within `windowMs` (default 120000). */
export function createSupervisor(ctx: EngineContext, restart?: { max?: number; windowMs?: number }): Supervisor {
  const { storage, managers, log } = ctx;
  const restartMax = restart?.max ?? DEFAULT_RESTART.max;
  const restartWindow = restart?.windowMs ?? DEFAULT_RESTART.windowMs;
  /** Deaths per workload id within the restart window (zosbase's failure cache). */
  const deaths = new Map<string, { at: number; reason: string }[]>();

  /** A dead workload: restart it while the window allows, else the error message to fail it with. */
  const supervise = async (mctx: ManagerContext, mgr: ManagerTable[string] | undefined, data: unknown, failed: WorkloadFailure): Promise<string | undefined> => {
    if (!failed.restartable || !mgr?.restart || restartMax <= 0) return failed.message;
    const now = ctx.deps.clock.now();
    const recent = (deaths.get(mctx.wid) ?? []).filter((d) => now - d.at < restartWindow);
    recent.push({ at: now, reason: failed.reason });
    deaths.set(mctx.wid, recent);
    const where = { twin: mctx.twinId, contract: mctx.contractId.toString(), workload: mctx.name };
    if (recent.length > restartMax) {
      deaths.delete(mctx.wid);
      return gaveUpMessage(
        failed,
        recent.map((d) => d.reason),
        restartWindow,
      );
    }
    try {
      await mgr.restart(mctx, data);
    } catch (err) {
      deaths.delete(mctx.wid);
      return `${failed.message}; restart failed: ${errorText(err)}`;
    }
    log.info('workload restarted', { ...where, attempt: recent.length, of: restartMax, after: failed.reason });
    return undefined;
  };

  const healthPass = async () => {
    const watched = new Set<string>();
    for (const { twinId: twin, contractId: contract } of storage.all()) {
      if (ctx.closed) return;
      const dl = storage.get(twin, contract);
      if (!dl || !dl.workloads.some((w) => w.result.state === 'ok' && managers[w.type]?.health)) continue;
      const vs = ctx.views(dl);
      for (const [i, w] of dl.workloads.entries()) {
        const mgr = managers[w.type];
        if (w.result.state !== 'ok' || !mgr?.health) continue;
        const mctx = ctx.managerContext(twin, contract, w.name, vs);
        watched.add(mctx.wid);
        let failed: WorkloadFailure | undefined;
        try {
          failed = await mgr.health(mctx, vs[i].data);
        } catch (err) {
          log.warn('health check failed', { twin, contract: contract.toString(), workload: w.name, err: errorText(err) });
          continue;
        }
        if (failed === undefined) continue;
        log.warn('workload died', { twin, contract: contract.toString(), workload: w.name, err: failed.message });
        const message = await supervise(mctx, mgr, vs[i].data, failed);
        if (message === undefined) continue;
        ctx.write(twin, contract, { ...w, result: { created: ctx.nowSec(), state: 'error', message: diedMessage(message, failed), data: null } }, vs[i].data);
      }
    }
    // forget workloads that are no longer ok (deleted, paused, failed): a later life starts with a clean count
    for (const wid of deaths.keys()) if (!watched.has(wid)) deaths.delete(wid);
  };

  return { healthPass };
}
