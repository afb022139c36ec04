/**
 * What kind of ZOS a node runs, from its own feature list (`zos.system.node_features_get`): a light node ("zos4")
 * takes `network-light` and `zmachine-light` instead of `network` and `zmachine`, has no public IPs and no
 * yggdrasil, and needs a mycelium key on every network. `network-light` in the list is the robust test (as
 * pulumi-threefold's `isZosLight` does); `wireguard` says whether a light node's network takes WireGuard fields
 * (zosbase since 2025-09). A node that does not answer the command (older runtimes: `function is not found`) is a
 * full node. The answer is cached per runtime: a node does not change kind while a provider process runs.
 * @module
 */
import type { ProviderRuntime } from './runtime';

export interface NodeKind {
  light: boolean;
  /** The node's network takes WireGuard keys, port and peers (every full node; light nodes since zosbase d32dcb7e). */
  wireguard: boolean;
  features: string[];
}

const FULL: NodeKind = { light: false, wireguard: true, features: [] };

/** Pure: the node kind a feature list describes. */
export function nodeKindOf(features: readonly string[]): NodeKind {
  const light = features.includes('network-light') || features.includes('zmachine-light');
  return { light, wireguard: !light || features.includes('wireguard'), features: [...features] };
}

const cache = new WeakMap<ProviderRuntime, Map<number, Promise<NodeKind>>>();

/** The kind of `node`, asked once per runtime; a node without the command counts as full. */
export function nodeKind(rt: ProviderRuntime, node: number): Promise<NodeKind> {
  let m = cache.get(rt);
  if (!m) cache.set(rt, (m = new Map()));
  let k = m.get(node);
  if (!k) {
    const ask = (async () => {
      const api = await rt.deps.node(node);
      if (!api.features) return FULL;
      return nodeKindOf(await api.features());
    })();
    // A failed ask (node unreachable) is not remembered: the next call asks again.
    k = ask.catch((err: unknown) => {
      m!.delete(node);
      if (/function is not found/.test(String((err as Error)?.message ?? err))) return FULL;
      throw err;
    });
    m.set(node, k);
  }
  return k;
}

/** A network workload of either kind (what a machine or gateway looks for on a node). */
export const isNetworkType = (t: string): boolean => t === 'network' || t === 'network-light';
/** A machine workload of either kind (what mounts a disk). */
export const isMachineType = (t: string): boolean => t === 'zmachine' || t === 'zmachine-light';
/** The wire type of a machine workload on a node of this kind. */
export const zmachineWireType = (k: NodeKind): 'zmachine' | 'zmachine-light' => (k.light ? 'zmachine-light' : 'zmachine');
