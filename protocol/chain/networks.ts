/**
 * Named grid networks and the endpoints of every service the provider and CLI talk to (rmb-tfchain.md §A11): one
 * table. Explicit URLs always win over a name (provider config `tfgrid:*` / `TFGRID_*`, CLI flags). Each list
 * is tried in order; the client fails over to the next entry when one is down. The public networks' values are
 * ThreeFold's own clients' defaults (`@threefold/grid_client` 2.9.2 `getAvailableURLs` / `getDefaultUrls`):
 * `test/chain/network-presets.test.ts` checks them against the installed official packages and a fixture.
 * `local` lists the local grid's default ports; the provider takes the running grid's actual URLs from its
 * state file (provider/local-grid.ts).
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
  /** GraphQL endpoints of the chain indexer (tfchain processor); the local grid has none. */
  readonly graphql: readonly string[];
  /** Flist hub base URLs (`<hub>/<repo>/<name>.flist`); one hub serves every public network. */
  readonly hub: readonly string[];
  /** Activation service (funds a new account's first transactions); the local grid funds its users itself. */
  readonly activation: readonly string[];
  /** KYC service (grid_client refuses deployments of unverified twins on public networks); none on local. */
  readonly kyc: readonly string[];
}

/** Default port of `tfgrid local chain` (chopsticks' own default). */
export const LOCAL_CHAIN_PORT = 8000;
/** Default port of the local relay (the local grid's relay listens here unless told otherwise). */
export const LOCAL_RELAY_PORT = 8080;
/** Default port of the local grid proxy (upstream's own default, 8080, is the relay's here). */
export const LOCAL_GRID_PROXY_PORT = 8070;
/** Default port of the local flist hub (local/grid uses it when free). */
export const LOCAL_HUB_PORT = 8090;

/** The public network's endpoints: `<service>.<base>` first, then the `threefold.me` mirror, as grid_client 2.9.2 lists them. */
function publicNetwork(base: string, mirror: string): NetworkEndpoints {
  return {
    chain: [`wss://tfchain.${base}/ws`, `wss://tfchain.${mirror}/ws`],
    relay: [`wss://relay.${base}`, `wss://relay.${mirror}`],
    gridProxy: [`https://gridproxy.${base}`, `https://gridproxy.${mirror}`],
    graphql: [`https://graphql.${base}/graphql`, `https://graphql.${mirror}/graphql`],
    hub: ['https://hub.grid.tf'],
    activation: [`https://activation.${base}/activation/activate`, `https://activation.${mirror}/activation/activate`],
    kyc: [`https://kyc.${base}`],
  };
}

export const NETWORKS: Readonly<Record<NetworkName, NetworkEndpoints>> = {
  local: {
    chain: [`ws://127.0.0.1:${LOCAL_CHAIN_PORT}`],
    relay: [`ws://127.0.0.1:${LOCAL_RELAY_PORT}`],
    gridProxy: [`http://127.0.0.1:${LOCAL_GRID_PROXY_PORT}`],
    graphql: [],
    hub: [`http://127.0.0.1:${LOCAL_HUB_PORT}`],
    activation: [],
    kyc: [],
  },
  devnet: publicNetwork('dev.grid.tf', 'dev.threefold.me'),
  qanet: publicNetwork('qa.grid.tf', 'qa.threefold.me'),
  testnet: publicNetwork('test.grid.tf', 'test.threefold.me'),
  mainnet: publicNetwork('grid.tf', 'grid.threefold.me'),
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
