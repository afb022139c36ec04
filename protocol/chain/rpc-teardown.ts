/**
 * Why a closed chain client lets its process exit at once (issue 7; rmb-tfchain.md §B1 "one connection").
 * polkadot-js rpc-core ends every subscription, and every call at a block hash, 1750 ms after its last
 * unsubscribe (`refCountDelay`): an rxjs interval that nobody can cancel. After `api.disconnect()` those
 * intervals only tear down what is already gone (the provider answers an unsubscribe while disconnected
 * with `true`), yet they kept every process — each CLI verb, each jest file, each daemon on SIGTERM — alive
 * for 1.8 s after `close()`. While the client is connected its WebSocket keeps the process alive anyway, so
 * these teardown intervals need not: `unrefRpcTeardownTimers()` makes rxjs create them unref'd. They still
 * fire on time in a process that lives on; only the process's exit stops waiting for them.
 *
 *   if (!unrefRpcTeardownTimers()) await sleep(RPC_REFCOUNT_DELAY_MS + 50); // another rxjs: wait it out
 * @module
 */

/** polkadot-js rpc-core `refCountDelay()`'s default (also `drr()`'s): the only rxjs intervals it arms. */
export const RPC_REFCOUNT_DELAY_MS = 1750;

type IntervalHandle = unknown;
type SetIntervalFn = (handler: (...args: unknown[]) => void, timeout?: number, ...args: unknown[]) => IntervalHandle;
type ClearIntervalFn = (handle: IntervalHandle) => void;

/** The shape of rxjs 7's `intervalProvider` (rxjs/internal/scheduler/intervalProvider), checked at run time. */
export interface RxIntervalProvider {
  setInterval: SetIntervalFn;
  clearInterval: ClearIntervalFn;
  delegate: { setInterval?: SetIntervalFn; clearInterval?: ClearIntervalFn } | undefined;
}

const MARK = Symbol.for('tfgrid.chain.unrefRpcTeardownTimers');

function isIntervalProvider(v: unknown): v is RxIntervalProvider {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return typeof p.setInterval === 'function' && typeof p.clearInterval === 'function' && 'delegate' in p;
}

/** The rxjs copy polkadot-js uses (npm hoists one: @polkadot/* depend on rxjs ^7). Null when absent or changed. */
function loadRxIntervalProvider(): RxIntervalProvider | null {
  try {
    // A subpath the rxjs 7 package exports ("./internal/*"); types are not reachable under node10 resolution.
    const mod = require('rxjs/internal/scheduler/intervalProvider') as { intervalProvider?: unknown };
    return isIntervalProvider(mod.intervalProvider) ? mod.intervalProvider : null;
  } catch {
    return null;
  }
}

function unrefHandle(h: IntervalHandle): void {
  if (typeof h === 'object' && h !== null && typeof (h as { unref?: unknown }).unref === 'function') (h as { unref(): void }).unref();
}

/**
 * Makes rxjs arm its `RPC_REFCOUNT_DELAY_MS` intervals unref'd, keeping any delegate already installed
 * (rxjs's TestScheduler sets one) underneath. Idempotent; returns false when rxjs is not the expected
 * version, and then the caller waits the delay out instead. `provider` is for tests.
 */
export function unrefRpcTeardownTimers(provider: RxIntervalProvider | null = loadRxIntervalProvider()): boolean {
  if (!provider) return false;
  const current = provider.delegate as (RxIntervalProvider['delegate'] & { [MARK]?: true }) | undefined;
  if (current?.[MARK]) return true;
  const inner = current;
  const delegate = {
    [MARK]: true as const,
    setInterval(handler: (...args: unknown[]) => void, timeout?: number, ...args: unknown[]): IntervalHandle {
      const h = inner?.setInterval ? inner.setInterval(handler, timeout, ...args) : setInterval(handler, timeout, ...args);
      if (timeout === RPC_REFCOUNT_DELAY_MS) unrefHandle(h);
      return h;
    },
    clearInterval(handle: IntervalHandle): void {
      if (inner?.clearInterval) inner.clearInterval(handle);
      else clearInterval(handle as NodeJS.Timeout);
    },
  };
  provider.delegate = delegate;
  return true;
}
