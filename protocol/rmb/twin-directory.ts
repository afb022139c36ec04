/**
 * Where relays and peers learn twin keys (rmb-tfchain.md §A9): `account_id` verifies JWTs and envelope
 * signatures, `relay` drives federation, `pk` drives e2e encryption. The lookup is injected: the chain client's
 * `getTwin` satisfies `TwinDirectory`; a static map serves offline relays and tests.
 * @module
 */
import type { Clock } from '../common/clock';
import { systemClock } from '../common/clock';

/** One twin as RMB needs it. */
export interface TwinRecord {
  id: number;
  /** 32-byte account id = public key (ed25519 or sr25519). */
  publicKey: Uint8Array;
  /** On-chain relay field: bare host names joined by `_` (§A8). */
  relay?: string;
  /** 33-byte compressed secp256k1 key for e2e encryption. */
  pk?: Uint8Array;
}

export interface TwinDirectory {
  /** The twin, or undefined when no such twin exists. Throws only when the lookup itself failed. */
  getTwin(id: number): Promise<TwinRecord | undefined>;
}

/** The hosts of a twin's relay field (`a.example_b.example` → both). */
export function relayHosts(relay: string | undefined): string[] {
  return (relay ?? '')
    .split('_')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
}

/** A fixed set of twins; `set`/`delete` let a composition root keep it current. */
export interface StaticTwinDirectory extends TwinDirectory {
  set(twin: TwinRecord): void;
  delete(id: number): void;
}

export function createStaticTwinDirectory(twins: Iterable<TwinRecord> | Map<number, TwinRecord> = []): StaticTwinDirectory {
  const map = new Map<number, TwinRecord>();
  const list = twins instanceof Map ? twins.values() : twins;
  for (const t of list) map.set(t.id, t);
  return {
    getTwin: async (id) => map.get(id),
    set: (t) => void map.set(t.id, t),
    delete: (id) => void map.delete(id),
  };
}

/**
 * Caches lookups for `ttlMs` (the TS client keeps twins about 10 minutes). Misses are not cached, so a twin
 * created after the first look is found at the next one. Concurrent lookups of one id share one request.
 */
export function createCachedTwinDirectory(inner: TwinDirectory, opts: { ttlMs?: number; clock?: Clock } = {}): TwinDirectory & { invalidate(id?: number): void } {
  const ttl = opts.ttlMs ?? 60_000;
  const clock = opts.clock ?? systemClock;
  const cache = new Map<number, { at: number; twin: TwinRecord }>();
  const inflight = new Map<number, Promise<TwinRecord | undefined>>();
  return {
    async getTwin(id) {
      const hit = cache.get(id);
      if (hit && clock.now() - hit.at < ttl) return hit.twin;
      const pending = inflight.get(id);
      if (pending) return pending;
      const p = inner
        .getTwin(id)
        .then((twin) => {
          if (twin) cache.set(id, { at: clock.now(), twin });
          else cache.delete(id);
          return twin;
        })
        .finally(() => inflight.delete(id));
      inflight.set(id, p);
      return p;
    },
    invalidate(id) {
      if (id === undefined) cache.clear();
      else cache.delete(id);
    },
  };
}

/** What the chain client's twin lookup returns (protocol/chain `ChainClient.findTwin`): nulls for unset fields. */
export interface ChainTwinSource {
  findTwin(id: number): Promise<{ id: number; publicKey: Uint8Array; relay: string | null; pk: Uint8Array | null } | undefined>;
}

/** Twins read from TFChain (`tfgridModule.twins`), cached for `ttlMs` (default 60 s). */
export function createChainTwinDirectory(chain: ChainTwinSource, opts: { ttlMs?: number; clock?: Clock } = {}): TwinDirectory & { invalidate(id?: number): void } {
  return createCachedTwinDirectory(
    {
      async getTwin(id) {
        const t = await chain.findTwin(id);
        if (!t) return undefined;
        return { id: t.id, publicKey: t.publicKey, relay: t.relay ?? undefined, pk: t.pk && t.pk.length ? t.pk : undefined };
      },
    },
    opts,
  );
}
