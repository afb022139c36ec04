/**
 * Named TFChain networks and their endpoints (rmb-tfchain.md §A11). Explicit URLs always win over a name.
 * Each list is tried in order; the client fails over to the next entry when one is down.
 * @module
 */
import { InputError } from '../common/errors';

export type NetworkName = 'local' | 'devnet' | 'qanet' | 'testnet' | 'mainnet';

export interface NetworkEndpoints {
  /** TFChain websocket endpoints, in failover order. */
  readonly chain: readonly string[];
  /** RMB relay websocket endpoints, in failover order. */
  readonly relay: readonly string[];
  /** Grid Proxy base URLs (ThreeFold's REST indexer of chain and nodes), in failover order. */
  readonly gridProxy: readonly string[];
}

/** Default port of `tfgrid local chain` (chopsticks' own default). */
export const LOCAL_CHAIN_PORT = 8000;
/** Default port of the local relay (the local grid's relay listens here unless told otherwise). */
export const LOCAL_RELAY_PORT = 8080;
/** Default port of the local grid proxy (upstream's own default, 8080, is the relay's here). */
export const LOCAL_GRID_PROXY_PORT = 8070;

export const NETWORKS: Readonly<Record<NetworkName, NetworkEndpoints>> = {
  local: { chain: [`ws://127.0.0.1:${LOCAL_CHAIN_PORT}`], relay: [`ws://127.0.0.1:${LOCAL_RELAY_PORT}`], gridProxy: [`http://127.0.0.1:${LOCAL_GRID_PROXY_PORT}`] },
  devnet: {
    chain: ['wss://tfchain.dev.grid.tf/ws', 'wss://tfchain.02.dev.grid.tf/ws'],
    relay: ['wss://relay.dev.grid.tf', 'wss://relay.02.dev.grid.tf'],
    gridProxy: ['https://gridproxy.dev.grid.tf'],
  },
  qanet: {
    chain: ['wss://tfchain.qa.grid.tf/ws', 'wss://tfchain.02.qa.grid.tf/ws'],
    relay: ['wss://relay.qa.grid.tf', 'wss://relay.02.qa.grid.tf'],
    gridProxy: ['https://gridproxy.qa.grid.tf'],
  },
  testnet: {
    chain: ['wss://tfchain.test.grid.tf/ws', 'wss://tfchain.02.test.grid.tf/ws'],
    relay: ['wss://relay.test.grid.tf', 'wss://relay.02.test.grid.tf'],
    gridProxy: ['https://gridproxy.test.grid.tf'],
  },
  mainnet: {
    chain: ['wss://tfchain.grid.tf/ws', 'wss://tfchain.02.grid.tf/ws'],
    relay: ['wss://relay.grid.tf', 'wss://relay.02.grid.tf'],
    gridProxy: ['https://gridproxy.grid.tf'],
  },
};

export function isNetworkName(name: string): name is NetworkName {
  return Object.hasOwn(NETWORKS, name);
}

/**
 * The chain endpoints to use: explicit `urls` if given (validated as ws/wss), else the named network's list.
 * @example resolveChainEndpoints({ network: 'devnet' }) // ['wss://tfchain.dev.grid.tf/ws', …]
 */
export function resolveChainEndpoints(opts: { network?: string; urls?: readonly string[] }): string[] {
  if (opts.urls && opts.urls.length > 0) {
    for (const [i, u] of opts.urls.entries()) {
      if (!/^wss?:\/\/[^\s/]+/.test(u)) {
        throw new InputError(`chain url "${u}" is not a websocket URL`, {
          path: `urls[${i}]`,
          fix: 'use ws://host:port or wss://host/ws',
        });
      }
    }
    return [...opts.urls];
  }
  const name = opts.network ?? 'local';
  if (!isNetworkName(name)) {
    throw new InputError(`unknown network "${name}"`, {
      path: 'network',
      fix: `use one of ${Object.keys(NETWORKS).join(', ')}, or pass explicit chain URLs`,
    });
  }
  return [...NETWORKS[name].chain];
}

/** Relay endpoints of a named network. */
export function relayEndpoints(network: NetworkName): string[] {
  return [...NETWORKS[network].relay];
}
