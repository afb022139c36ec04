/**
 * The engine's worker: one loop that runs queued jobs one at a time, in order, and between jobs the machine-health
 * pass (when one is due: every `healthIntervalMs`, after each provision/update job, or on request). A job is removed
 * from the queue only after it ran; one interrupted by `close()` stays queued and runs again at the next start.
 * Health passes run here, never beside a job, so a restart never races a delete or pause of the same workload.
 * @module
 */
import { errorText } from '../../protocol/common/errors';
import type { EngineContext } from './engine-context';
import { type EnqueueJob, jobPayload } from './jobs';
import type { StoredJob } from './storage';

export interface Worker {
  enqueue: EnqueueJob;
  /** Wakes the loop when it waits for work (a job was queued in storage). */
  kick(): void;
  /** Marks a health pass due after the running job (no wake-up: the loop is busy). */
  healthDue(): void;
  /** Starts the loop and the health timer; call once, after boot recovery. */
  start(): void;
  /** Resolves when the queue is empty and the worker idle. */
  idle(): Promise<void>;
  /** Runs one health pass on the worker (after queued jobs); resolves when it is done (at once once closed). */
  checkHealth(): Promise<void>;
  /** Stops after the running job (or at its next workload) and resolves when the loop has ended. */
  close(): Promise<void>;
}

export interface WorkerTasks {
  runJob(job: StoredJob): Promise<void>;
  healthPass(): Promise<void>;
}

/** `healthIntervalMs`: period of the health pass; 0 = only after provision/update jobs and on request. */
export function createWorker(ctx: EngineContext, tasks: WorkerTasks, healthIntervalMs: number): Worker {
  const { storage, log } = ctx;
  let wake: (() => void) | undefined;
  let busy = false;
  let idleWaiters: (() => void)[] = [];
  let healthDue = false;
  let healthWaiters: (() => void)[] = [];
  let healthTimer: ReturnType<typeof setInterval> | undefined;
  let loopDone: Promise<void> | undefined;

  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const notifyIdle = () => {
    const ws = idleWaiters;
    idleWaiters = [];
    for (const w of ws) w();
  };
  const requestHealth = () => {
    healthDue = true;
    kick();
  };

  const loop = async () => {
    while (!ctx.closed) {
      const job = storage.peekJob();
      if (!job && healthDue) {
        busy = true;
        healthDue = false;
        const waiters = healthWaiters;
        healthWaiters = [];
        try {
          await tasks.healthPass();
        } catch (err) {
          log.error('health pass failed', { err: errorText(err) });
        }
        for (const w of waiters) w();
        continue;
      }
      if (!job) {
        busy = false;
        notifyIdle();
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      busy = true;
      try {
        await tasks.runJob(job);
      } catch (err) {
        log.error('job failed', { op: job.op, twin: job.twinId, contract: job.contractId.toString(), err: errorText(err) });
      }
      if (ctx.closed) break; // interrupted: the job stays queued and runs again at the next start
      storage.finishJob(job.id);
    }
    busy = false;
    notifyIdle();
  };

  return {
    enqueue(op, twinId, contractId, payload) {
      storage.enqueue({ op, twinId, contractId, payload: jobPayload(payload) });
      kick();
    },
    kick,
    healthDue: () => {
      healthDue = true;
    },
    start() {
      loopDone = loop();
      if (healthIntervalMs > 0) {
        healthTimer = setInterval(requestHealth, healthIntervalMs);
        healthTimer.unref?.();
      }
    },
    idle() {
      if (!busy && !storage.peekJob()) return Promise.resolve();
      return new Promise<void>((r) => idleWaiters.push(r));
    },
    checkHealth() {
      if (ctx.closed) return Promise.resolve();
      return new Promise<void>((r) => {
        healthWaiters.push(r);
        requestHealth();
      });
    },
    async close() {
      ctx.closed = true;
      if (healthTimer) clearInterval(healthTimer);
      const waiters = healthWaiters;
      healthWaiters = [];
      for (const w of waiters) w();
      kick();
      await loopDone;
    },
  };
}
