/** rpc-teardown.ts: polkadot's 1750 ms teardown intervals are armed unref'd, everything else as before. */
import { asapScheduler } from 'rxjs';
import { RPC_REFCOUNT_DELAY_MS, unrefRpcTeardownTimers, type RxIntervalProvider } from './rpc-teardown';

function fakeProvider(inner?: RxIntervalProvider['delegate']) {
  const provider: RxIntervalProvider = { setInterval: () => undefined, clearInterval: () => undefined, delegate: inner };
  return provider;
}

function fakeInner() {
  const made: { timeout?: number; unref: jest.Mock }[] = [];
  const cleared: unknown[] = [];
  return {
    made,
    cleared,
    delegate: {
      setInterval: (_h: () => void, timeout?: number) => {
        const h = { timeout, unref: jest.fn() };
        made.push(h);
        return h;
      },
      clearInterval: (h: unknown) => void cleared.push(h),
    },
  };
}

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('unrefRpcTeardownTimers', () => {
  it.each([
    ['unrefs an interval of the refCountDelay period', RPC_REFCOUNT_DELAY_MS, 1],
    ['leaves a shorter interval referenced', 1000, 0],
    ['leaves a longer interval referenced', 2000, 0],
    ['leaves an interval without a period referenced', undefined, 0],
  ])('%s', (_title, timeout, unrefs) => {
    const inner = fakeInner();
    const provider = fakeProvider(inner.delegate);
    expect(unrefRpcTeardownTimers(provider)).toBe(true);
    const h = provider.delegate?.setInterval?.(() => undefined, timeout);
    expect(h).toBe(inner.made[0]);
    expect(inner.made[0].timeout).toBe(timeout);
    expect(inner.made[0].unref).toHaveBeenCalledTimes(unrefs);
  });

  it('keeps the delegate already installed underneath, for clearing too', () => {
    const inner = fakeInner();
    const provider = fakeProvider(inner.delegate);
    unrefRpcTeardownTimers(provider);
    expect(provider.delegate).not.toBe(inner.delegate);
    provider.delegate?.clearInterval?.('handle');
    expect(inner.cleared).toEqual(['handle']);
  });

  it('wraps only once when called again', () => {
    const inner = fakeInner();
    const provider = fakeProvider(inner.delegate);
    unrefRpcTeardownTimers(provider);
    const first = provider.delegate;
    expect(unrefRpcTeardownTimers(provider)).toBe(true);
    expect(provider.delegate).toBe(first);
    provider.delegate?.setInterval?.(() => undefined, RPC_REFCOUNT_DELAY_MS);
    expect(inner.made).toHaveLength(1);
    expect(inner.made[0].unref).toHaveBeenCalledTimes(1);
  });

  it('reports false when there is no rxjs interval provider to configure', () => {
    expect(unrefRpcTeardownTimers(null)).toBe(false);
  });

  it("makes the installed rxjs arm a 1750 ms schedule (polkadot's refCountDelay) without holding the process", async () => {
    expect(unrefRpcTeardownTimers()).toBe(true);
    const before = timeouts();
    let ran = false;
    const held = asapScheduler.schedule(() => undefined, 1000);
    expect(timeouts()).toBe(before + 1); // a control: other periods stay referenced
    held.unsubscribe();
    expect(timeouts()).toBe(before);
    const done = new Promise<void>((resolve) =>
      asapScheduler.schedule(() => {
        ran = true;
        resolve();
      }, RPC_REFCOUNT_DELAY_MS),
    );
    expect(timeouts()).toBe(before);
    await done; // it still fires while the process lives
    expect(ran).toBe(true);
  });
});
