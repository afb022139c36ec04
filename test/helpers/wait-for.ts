/**
 * Polling for something a subscription fills in (chain events pushed into an array): the value once `fn`
 * returns one, or an error naming `what` after `ms`.
 * @module
 */

/** @example const ev = await waitFor('NodeContractCanceled event', () => events.find((e) => e.contractId === id)); */
export async function waitFor<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
