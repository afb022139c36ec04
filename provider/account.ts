/**
 * Per-resource accounts (issue 13): every grid resource takes an optional `account` input, the twin (its mnemonic)
 * and the network it deploys with; without it the stack config (`tfgrid:*`) is the account, as before. The provider
 * keeps one grid connection and one deployment coordinator per (network, account) (provider/runtime.ts), so two
 * accounts in one program each deploy on their own twin and coalesce their own deployments.
 *
 * The mnemonic is a secret: the SDK passes `account` with `pulumi.secret` and marks the `account` output secret, and
 * nothing here ever puts it in a text (errors name `account.mnemonic`, never its value; the connection key is a
 * hash). A resource's contracts belong to its twin, so changing `account` replaces the resource.
 * @module
 */
import { createHash } from 'crypto';
import { z } from 'zod';
import { GRID_NETWORKS, NETWORK_URLS, gridNetwork, type ProviderConfig } from './config';

/** The network names an account takes: the provider's (`dev`) and the chain package's (`devnet`) alike. */
const NETWORK_NAMES = [...GRID_NETWORKS, 'devnet', 'qanet', 'testnet', 'mainnet'] as const;

/** The `account` input (one schema type, `tfgrid:index:Account`, shared by every resource). */
export const accountObjectSchema = z
  .object({
    mnemonic: z
      .string({ invalid_type_error: 'is the account\'s BIP39 mnemonic (12 or 24 words) or 0x + 64 hex seed; pass it as a secret: pulumi.secret(cfg.requireSecret("mnemonic2"))' })
      .trim()
      .min(1, 'is empty; give the twin\'s 12 or 24 words (e.g. from `pulumi config set --secret mnemonic2 "<words>"`)')
      .describe('BIP39 mnemonic (12 or 24 words) or 0x + 64 hex seed of the deploying twin (secret).'),
    network: z
      .enum(NETWORK_NAMES, { errorMap: () => ({ message: `is not a grid; use one of ${GRID_NETWORKS.join(', ')} (devnet, qanet, testnet, mainnet work too)` }) })
      .optional()
      .describe('Grid the account deploys on: local, dev, qa, test or main. Default: tfgrid:network.'),
    keyType: z
      .enum(['sr25519', 'ed25519'], { errorMap: () => ({ message: 'is not a key type; use sr25519 or ed25519' }) })
      .optional()
      .describe('Key type of the mnemonic: sr25519 or ed25519. Default: tfgrid:keyType.'),
  })
  .strict('names a field an account does not have; an account has mnemonic, network and keyType');

export const accountSchema = accountObjectSchema
  .optional()
  .describe(
    'The account (twin) and network this resource deploys with, instead of the stack config (tfgrid:mnemonic, tfgrid:network): { mnemonic (secret), network?, keyType? }. Changing it replaces the resource.',
  );

export type AccountInput = z.infer<typeof accountObjectSchema>;

/** The account recorded in raw inputs or outputs, when it is a valid one (the rest is check's to refuse). */
export function accountOf(props: Record<string, unknown> | undefined): AccountInput | undefined {
  const r = accountObjectSchema.safeParse(props?.account);
  return r.success ? r.data : undefined;
}

/**
 * The provider config of `account` over the stack's `base`: its mnemonic, key type and network. On another
 * network than the stack's, the URLs are that network's presets (the stack's URL overrides describe its own).
 */
export function accountConfig(base: ProviderConfig, account: AccountInput | undefined): ProviderConfig {
  if (!account) return base;
  const network = account.network ? gridNetwork(account.network) : base.network;
  const urls = network === base.network ? {} : { chainUrls: [...NETWORK_URLS[network].chain], relayUrls: [...NETWORK_URLS[network].relay], gridProxyUrl: NETWORK_URLS[network].gridProxy[0] };
  return { ...base, ...urls, network, mnemonic: account.mnemonic, mnemonicSource: 'account.mnemonic', keyType: account.keyType ?? base.keyType };
}

/** The connection cache's key of a config: network, endpoints and a hash of the credentials (never the mnemonic). */
export function connectionKey(config: ProviderConfig): string {
  const who = createHash('sha256').update(`${config.keyType}\0${config.mnemonic}`).digest('hex').slice(0, 32);
  return JSON.stringify([config.network, config.chainUrls, config.relayUrls, config.gridProxyUrl, who]);
}

/** Whether two recorded accounts are the same twin on the same network (absent: the stack's). */
export function sameAccount(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): string => {
    const r = accountObjectSchema.safeParse(v);
    if (!r.success) return v === undefined || v === null ? '' : JSON.stringify(v);
    return JSON.stringify([r.data.mnemonic, r.data.network ? gridNetwork(r.data.network) : '', r.data.keyType ?? '']);
  };
  return norm(a) === norm(b);
}
