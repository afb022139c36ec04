/**
 * The capacity check asks each node's capacity once for the checks of one wave (issue 16: a stack of 1,000 on 50
 * nodes made 699 `zos.statistics.get` calls in its `up`, one per machine and disk), and asks again for a later wave.
 */
import type { CoordinatorDeps, NodeApi, NodeCapacity } from './deps';
import { previewCapacityCheck } from './preview-check';
import type { ProviderRuntime } from './runtime';

const GIB = 1024 ** 3;
const capacity = (mru: number, sru: number): NodeCapacity => ({ cru: 8, mru, sru, hru: 0 });

/** A runtime whose one node answers `statistics` when `answer()` is called, counting the calls. */
function fakeRuntime() {
  let calls = 0;
  const waiting: (() => void)[] = [];
  const api = {
    statistics: () =>
      new Promise<{ total: NodeCapacity; used: NodeCapacity }>((resolve) => {
        calls++;
        waiting.push(() => resolve({ total: capacity(16 * GIB, 100 * GIB), used: capacity(0, 0) }));
      }),
  } as Partial<NodeApi> as NodeApi;
  const runtime = { deps: { node: async () => api } as Partial<CoordinatorDeps> as CoordinatorDeps } as Partial<ProviderRuntime> as ProviderRuntime;
  const answer = () => waiting.splice(0).forEach((f) => f());
  return { runtime, answer, calls: () => calls };
}

const machine = (runtime: ProviderRuntime, i: number) => previewCapacityCheck(`ZMachine "vm${i}"`, 'ZMachine', `7/app/vm${i}`, { node: 7, deployment: 'app', name: `vm${i}`, memory: '1GiB' }, runtime);

describe('previewCapacityCheck', () => {
  it("shares one node's statistics among the checks asking at once, and asks again afterwards", async () => {
    const f = fakeRuntime();
    const wave = Array.from({ length: 10 }, (_, i) => machine(f.runtime, i));
    await new Promise((r) => setImmediate(r));
    f.answer();
    expect(await Promise.all(wave)).toEqual(Array.from({ length: 10 }, () => []));
    expect(f.calls()).toBe(1);

    const later = machine(f.runtime, 10);
    await new Promise((r) => setImmediate(r));
    f.answer();
    expect(await later).toEqual([]);
    expect(f.calls()).toBe(2);
  });

  it('still counts what the other new resources of the run ask against the shared answer', async () => {
    const f = fakeRuntime();
    const wave = Array.from({ length: 17 }, (_, i) => machine(f.runtime, i));
    await new Promise((r) => setImmediate(r));
    f.answer();
    const failures = (await Promise.all(wave)).flat();
    expect(f.calls()).toBe(1);
    expect(failures).toHaveLength(1); // 16 GiB free: the 17th machine of 1 GiB does not fit
    expect(failures[0].reason).toMatch(/other new resources of this run on node 7 ask 16 ?GiB/);
  });
});
