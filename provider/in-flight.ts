/**
 * Reads made at the same time share one answer (issue 16: a wave of hundreds of resources asks the same node or
 * the grid proxy the same question at once). The call is forgotten once it settles, so a later caller asks again
 * and sees what changed since: nothing is cached beyond the call in flight.
 * @module
 */

/** Per key, the call in flight: callers while it runs get its promise; the first caller after it settles, a new one. */
export function inFlight<K, V>(): (key: K, call: () => Promise<V>) => Promise<V> {
  const pending = new Map<K, Promise<V>>();
  return (key, call) => {
    let p = pending.get(key);
    if (!p) {
      p = call().finally(() => pending.delete(key));
      pending.set(key, p);
    }
    return p;
  };
}

/** `inFlight` per owner (a provider runtime): owners never share calls, and a dropped owner drops its calls. */
export function inFlightPer<O extends object, K, V>(): (owner: O, key: K, call: () => Promise<V>) => Promise<V> {
  const byOwner = new WeakMap<O, (key: K, call: () => Promise<V>) => Promise<V>>();
  return (owner, key, call) => {
    let shared = byOwner.get(owner);
    if (!shared) byOwner.set(owner, (shared = inFlight<K, V>()));
    return shared(key, call);
  };
}
