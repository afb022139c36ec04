/**
 * What the behaviour suites of node/backends share (style.md, from hono: one interface, one behaviour suite
 * per backend kind, `<kind>.suite.ts`; each implementation lists the suite's tests it deviates from by name,
 * with a reason). Used by the flist, gateway, machine, network, qsfs, storage and zdb suites.
 *
 * ```ts
 * describeStorageBackend('sim', (dir) => createSimStorage({ dir }), { differs: [{ test: 'grows a disk', reason: 'no ext4 here' }] });
 * // inside a suite:
 * const it_ = suiteIt(opts.differs);
 * it_('grows a disk', async () => { … });   // skipped for that implementation, run for the others
 * ```
 * @module
 */

/** One suite test an implementation does not pass, and why. */
export interface Deviation {
  /** The test's title, exactly as the suite names it. */
  test: string;
  reason: string;
}

export interface SuiteOptions {
  /** Tests this implementation skips, each with the reason. */
  differs?: Deviation[];
}

/** jest's `it`, except that a test named in `differs` is registered as skipped. */
export function suiteIt(differs: Deviation[] = []): (title: string, fn: () => Promise<void>) => void {
  const skip = new Set(differs.map((d) => d.test));
  return (title, fn) => (skip.has(title) ? it.skip(title, fn) : it(title, fn));
}
