/**
 * Provider configuration (DESIGN.md §4 "Secrets", pulumi-notes.md §2.3–§2.4): stack config `tfgrid:*` read in
 * the dynamic provider's `configure()`, with environment fallbacks. The mnemonic is read in the plugin process
 * only; it never enters the serialized provider (`__provider`) or any resource state.
 * @module
 */
import { z } from 'zod';
import { NETWORKS, type NetworkEndpoints, type NetworkName } from '../protocol/chain/networks';
import { InputError } from '../protocol/common/errors';

export const GRID_NETWORKS = ['local', 'dev', 'qa', 'test', 'main'] as const;
export type GridNetwork = (typeof GRID_NETWORKS)[number];

/** The short name of a network given either way: the chain package's names (`testnet`) become the provider's (`test`). */
export function gridNetwork(name: string): GridNetwork {
  return (name.endsWith('net') && name !== 'local' ? name.slice(0, -3) : name) as GridNetwork;
}

/** The provider's short network names (grid_client's) and the chain package's. */
const NETWORK_NAMES: Record<GridNetwork, NetworkName> = { local: 'local', dev: 'devnet', qa: 'qanet', test: 'testnet', main: 'mainnet' };

type Endpoints = { -readonly [K in keyof NetworkEndpoints]: string[] };

/**
 * The presets of protocol/chain `NETWORKS` (the one table, rmb-tfchain.md §A11) under the provider's names, as
 * mutable copies; `local` is the embedded grid's default ports, replaced by the running grid's URLs at connect.
 */
export const NETWORK_URLS: Record<GridNetwork, Endpoints> = Object.fromEntries(
  GRID_NETWORKS.map((n) => {
    const e = NETWORKS[NETWORK_NAMES[n]];
    const copy = Object.fromEntries(Object.entries(e).map(([k, v]) => [k, [...(v as readonly string[])]]));
    return [n, copy as Endpoints];
  }),
) as Record<GridNetwork, Endpoints>;

export interface ProviderConfig {
  network: GridNetwork;
  mnemonic: string;
  /** Where the mnemonic came from, for error texts: `tfgrid:mnemonic` (default) or a resource's `account.mnemonic`. */
  mnemonicSource?: string;
  keyType: 'sr25519' | 'ed25519';
  chainUrls: string[];
  relayUrls: string[];
  /** Grid Proxy base URL: node discovery and contract lookups (the chain + RMB only when it is unreachable). */
  gridProxyUrl: string;
  /** Seconds allowed for workloads to reach ok/error after a deploy or update. */
  deployTimeout: number;
  /** Seconds allowed for one RMB call. */
  rmbTimeout: number;
  /** Milliseconds during which concurrent operations are coalesced into one version bump. */
  coalesceMs: number;
  /**
   * Solution provider id set on every node contract this provider creates (TFChain `create_node_contract`'s
   * `solution_provider_id`; grid_client's `solutionProviderId`, terraform's `solution_provider`). The chain
   * refuses an unknown or unapproved one.
   */
  solutionProviderId?: number;
}

/** Config keys (fully qualified, as `req.config.get` wants them) and their environment fallbacks. */
export const CONFIG_KEYS = {
  network: { key: 'tfgrid:network', env: 'TFGRID_NETWORK' },
  mnemonic: { key: 'tfgrid:mnemonic', env: 'TFGRID_MNEMONIC' },
  keyType: { key: 'tfgrid:keyType', env: 'TFGRID_KEY_TYPE' },
  chainUrls: { key: 'tfgrid:chainUrls', env: 'TFGRID_CHAIN_URLS' },
  relayUrls: { key: 'tfgrid:relayUrls', env: 'TFGRID_RELAY_URLS' },
  gridProxyUrl: { key: 'tfgrid:gridProxyUrl', env: 'TFGRID_GRID_PROXY_URL' },
  deployTimeout: { key: 'tfgrid:deployTimeout', env: 'TFGRID_DEPLOY_TIMEOUT' },
  rmbTimeout: { key: 'tfgrid:rmbTimeout', env: 'TFGRID_RMB_TIMEOUT' },
  coalesceMs: { key: 'tfgrid:coalesceMs', env: 'TFGRID_COALESCE_MS' },
  solutionProviderId: { key: 'tfgrid:solutionProviderId', env: 'TFGRID_SOLUTION_PROVIDER_ID' },
} as const;

/** Descriptions used by the schema generator. */
export const CONFIG_DOCS: Record<keyof typeof CONFIG_KEYS, { type: 'string' | 'integer' | 'array'; description: string; secret?: boolean; default?: string | number }> = {
  network: { type: 'string', description: 'Grid to deploy to: local (the embedded grid), dev, qa, test or main.', default: 'local' },
  mnemonic: {
    type: 'string',
    description:
      'BIP39 mnemonic of the deploying twin. Set with `pulumi config set --secret tfgrid:mnemonic` or TFGRID_MNEMONIC. A resource with an `account` input deploys with that account instead.',
    secret: true,
  },
  keyType: { type: 'string', description: 'Key type of the mnemonic: sr25519 (default) or ed25519.', default: 'sr25519' },
  chainUrls: { type: 'array', description: 'TFChain websocket URLs, tried in order (comma separated or a JSON list).' },
  relayUrls: { type: 'array', description: 'RMB relay websocket URLs, tried in order.' },
  gridProxyUrl: { type: 'string', description: "Grid Proxy URL for node discovery and contract lookups (default: the network's; on local, the local grid's proxy)." },
  deployTimeout: { type: 'integer', description: 'Seconds to wait for workloads to reach ok or error.', default: 300 },
  rmbTimeout: { type: 'integer', description: 'Seconds allowed for one RMB call to a node.', default: 30 },
  coalesceMs: { type: 'integer', description: 'Milliseconds during which concurrent operations on one deployment become one version bump; 0 turns coalescing off.', default: 150 },
  solutionProviderId: {
    type: 'integer',
    description: 'Solution provider id set on every node contract created (it must exist and be approved on the chain); none when unset.',
  },
};

const urlList = (v: string): string[] => {
  const t = v.trim();
  if (t.startsWith('[')) return z.array(z.string()).parse(JSON.parse(t));
  return t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
};

/**
 * Builds the config from `get` (stack config, fully qualified keys) with `env` fallbacks; throws InputError with
 * the key and the fix. The mnemonic is required only when `requireMnemonic` (a preview never needs it).
 */
export function readConfig(get: (key: string) => string | undefined, env: NodeJS.ProcessEnv = process.env): ProviderConfig {
  const val = (k: keyof typeof CONFIG_KEYS): string | undefined => {
    const v = get(CONFIG_KEYS[k].key);
    return v !== undefined && v !== '' ? v : env[CONFIG_KEYS[k].env] || undefined;
  };
  const given = val('network') ?? 'local';
  // The chain package's names (devnet, qanet, testnet, mainnet) are accepted too.
  const network = gridNetwork(given);
  if (!GRID_NETWORKS.includes(network)) {
    throw new InputError(`tfgrid:network "${network}" is not a grid; use one of ${GRID_NETWORKS.join(', ')}`, { path: 'tfgrid:network', fix: 'pulumi config set tfgrid:network local' });
  }
  const keyType = (val('keyType') ?? 'sr25519') as ProviderConfig['keyType'];
  if (keyType !== 'sr25519' && keyType !== 'ed25519') {
    throw new InputError(`tfgrid:keyType "${keyType}" is not a key type; use sr25519 or ed25519`, { path: 'tfgrid:keyType' });
  }
  const int = (k: 'deployTimeout' | 'rmbTimeout' | 'coalesceMs' | 'solutionProviderId', dflt: number): number => {
    const v = val(k);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InputError(`${CONFIG_KEYS[k].key} "${v}" is not a whole number`, { path: CONFIG_KEYS[k].key });
    return n;
  };
  const chain = val('chainUrls');
  const relay = val('relayUrls');
  return {
    network,
    keyType,
    mnemonic: val('mnemonic') ?? '',
    chainUrls: chain ? urlList(chain) : NETWORK_URLS[network].chain,
    relayUrls: relay ? urlList(relay) : NETWORK_URLS[network].relay,
    gridProxyUrl: gridProxyUrl(val('gridProxyUrl') ?? NETWORK_URLS[network].gridProxy[0]),
    deployTimeout: int('deployTimeout', 300),
    rmbTimeout: int('rmbTimeout', 30),
    coalesceMs: int('coalesceMs', 150),
    // 0 is no solution provider (the chain's ids start at 1).
    ...(int('solutionProviderId', 0) > 0 ? { solutionProviderId: int('solutionProviderId', 0) } : {}),
  };
}

function gridProxyUrl(v: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(v)) {
    throw new InputError(`${CONFIG_KEYS.gridProxyUrl.key} "${v}" is not an http(s) URL`, { path: CONFIG_KEYS.gridProxyUrl.key, fix: 'e.g. https://gridproxy.grid.tf' });
  }
  return v.replace(/\/+$/, '');
}

/** Throws the error a user sees when deploying without credentials. */
export function requireMnemonic(config: ProviderConfig): string {
  if (!config.mnemonic) {
    throw new InputError("no mnemonic: tfgrid needs the deploying twin's mnemonic", {
      path: 'tfgrid:mnemonic',
      fix: 'pulumi config set --secret tfgrid:mnemonic "<12 or 24 words>" (or export TFGRID_MNEMONIC)',
    });
  }
  return config.mnemonic;
}
