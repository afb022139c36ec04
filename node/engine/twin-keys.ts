/**
 * Twin public keys for signature checks, read from the chain and cached (zosbase provision/auth.go: 60 minutes),
 * so a burst of deploys from one twin costs one chain read. A transport failure or an unknown twin throws; the
 * caller turns it into the node's text.
 * Facts: zos-protocol.md §2.8, §3.2 step 5.
 * @module
 */
import type { Clock } from '../../protocol/common/clock';
import { errorText } from '../../protocol/common/errors';
import type { EngineChain } from './deps';

/** A twin's 32-byte public key. */
export type TwinKeyLookup = (twin: number) => Promise<Uint8Array>;

export function createTwinKeys(chain: EngineChain, clock: Clock, ttlMs: number): TwinKeyLookup {
  const cache = new Map<number, { key: Uint8Array; at: number }>();
  return async (twin) => {
    const hit = cache.get(twin);
    if (hit && clock.now() - hit.at < ttlMs) return hit.key;
    let key: Uint8Array | undefined;
    try {
      key = await chain.twinPublicKey(twin);
    } catch (err) {
      throw new Error(errorText(err), { cause: err });
    }
    if (!key) throw new Error(`twin ${twin} not found`);
    cache.set(twin, { key, at: clock.now() });
    return key;
  };
}
