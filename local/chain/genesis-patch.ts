/**
 * Genesis fixes that turn the upstream 2022 TFChain dev spec into a chain chopsticks can run with the
 * spec-144 runtime (rmb-tfchain.md §C4, §C7). Pure: raw spec JSON + runtime code in, patched spec out.
 * Every fix is idempotent, so patching a patched spec changes nothing.
 * @module
 */
import { blake2AsU8a, xxhashAsU8a } from '@polkadot/util-crypto';
import { u8aToHex, hexToU8a, u8aConcat, compactToU8a, compactFromU8a, stringToU8a } from '@polkadot/util';
import { z } from 'zod';
import { InputError } from '../../protocol/common/errors';

/** The parts of a raw substrate chain spec we read; everything else passes through. */
export const rawChainSpecSchema = z
  .object({
    name: z.string(),
    id: z.string(),
    properties: z.record(z.unknown()).nullable().optional(),
    genesis: z.object({ raw: z.object({ top: z.record(z.string().regex(/^0x[0-9a-f]*$/i)), childrenDefault: z.record(z.unknown()).optional() }) }),
  })
  .passthrough();
export type RawChainSpec = z.infer<typeof rawChainSpecSchema>;

export const CODE_KEY = '0x3a636f6465'; // ":code"

function twox128(s: string): Uint8Array {
  return xxhashAsU8a(s, 128);
}
/** Key of a plain storage value. */
export function storageValueKey(pallet: string, item: string): string {
  return u8aToHex(u8aConcat(twox128(pallet), twox128(item)));
}
/** Key of a `Blake2_128Concat` map entry. */
export function storageMapKey(pallet: string, item: string, key: Uint8Array): string {
  return u8aToHex(u8aConcat(twox128(pallet), twox128(item), blake2AsU8a(key, 128), key));
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function u128le(n: bigint): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return b;
}
function readU128le(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = 15; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

export const KEYS = {
  sudoKey: storageValueKey('Sudo', 'Key'),
  farmingPolicyId: storageValueKey('TfgridModule', 'FarmingPolicyID'),
  farmingPolicy1: storageMapKey('TfgridModule', 'FarmingPoliciesMap', u32le(1)),
  pricingPolicy1: storageMapKey('TfgridModule', 'PricingPolicies', u32le(1)),
  tftPrice: storageValueKey('TFTPriceModule', 'TftPrice'),
  averageTftPrice: storageValueKey('TFTPriceModule', 'AverageTftPrice'),
  minTftPrice: storageValueKey('TFTPriceModule', 'MinTftPrice'),
  maxTftPrice: storageValueKey('TFTPriceModule', 'MaxTftPrice'),
  totalIssuance: storageValueKey('Balances', 'TotalIssuance'),
  accountPrefix: storageValueKey('System', 'Account'),
} as const;

/** `System.Account` key of an account id. */
export function accountKey(accountId: Uint8Array): string {
  return storageMapKey('System', 'Account', accountId);
}

/** The default farming policy (id 1, Diy/NotCertified, default) that `createNode` needs (§C4 item 3). */
export function encodeDefaultFarmingPolicy(): Uint8Array {
  const name = stringToU8a('default');
  return u8aConcat(
    u32le(1), // version
    u32le(1), // id
    compactToU8a(name.length),
    name,
    u32le(2400), // cu
    u32le(1000), // su
    u32le(30), // nu
    u32le(5), // ipv4
    new Uint8Array([95, 0]), // minimal_uptime (u16)
    u32le(0), // policy_created (block)
    u32le(0), // policy_end (block)
    new Uint8Array([0]), // immutable
    new Uint8Array([1]), // default
    new Uint8Array([0]), // node_certification = Diy
    new Uint8Array([0]), // farm_certification = NotCertified
  );
}

/** The length of a PricingPolicy without its trailing `discount_for_dedication_nodes` (the 2022 layout). */
function oldPricingPolicyLength(v: Uint8Array): number {
  const [off, nameLen] = compactFromU8a(v.subarray(8));
  return 8 + off + Number(nameLen) + 6 * 5 + 32 + 32;
}

/** Balance given to each funded dev account: 100 M TFT (7 decimals). */
export const DEV_ACCOUNT_BALANCE = 100_000_000n * 10_000_000n;

export interface PatchOptions {
  /** Runtime `:code` as 0x-hex (the spec-144 blob as downloaded; zstd-compressed blobs are fine). */
  runtimeCode: string;
  /** Account ids (32-byte public keys) to create with `balance` each when absent. */
  fundedAccounts?: readonly Uint8Array[];
  balance?: bigint;
  /** TFT price in mUSD for TftPrice/AverageTftPrice/MinTftPrice (default 10); MaxTftPrice is 1000. */
  tftPriceMusd?: number;
}

/** What `patchGenesis` changed, for logs and tests. */
export interface PatchReport {
  replacedCode: boolean;
  removedSudoKey: boolean;
  addedFarmingPolicy: boolean;
  extendedPricingPolicy: boolean;
  setPrices: boolean;
  reencodedAccounts: number;
  fundedAccounts: number;
}

/**
 * Applies §C4 fixes 1–6 and funds dev accounts, returning a new spec (keys sorted, renamed to local).
 * @example const { spec } = patchGenesis(upstreamDevSpec, { runtimeCode, fundedAccounts: devIds });
 */
export function patchGenesis(input: unknown, opts: PatchOptions): { spec: RawChainSpec; report: PatchReport } {
  const parsed = rawChainSpecSchema.safeParse(input);
  if (!parsed.success) throw new InputError(`not a raw chain spec: ${parsed.error.message}`, { fix: 'pass chainSpecRaw.json (genesis.raw.top)' });
  if (!/^0x[0-9a-f]+$/i.test(opts.runtimeCode)) throw new InputError('runtime code is not 0x-hex', { path: 'runtimeCode' });
  const spec = structuredClone(parsed.data);
  const top: Record<string, string> = { ...spec.genesis.raw.top };
  const report: PatchReport = {
    replacedCode: false,
    removedSudoKey: false,
    addedFarmingPolicy: false,
    extendedPricingPolicy: false,
    setPrices: false,
    reencodedAccounts: 0,
    fundedAccounts: 0,
  };

  // 1. The spec-49 runtime is too old: run spec 144; it migrates on the first block.
  if (top[CODE_KEY] !== opts.runtimeCode) {
    top[CODE_KEY] = opts.runtimeCode;
    report.replacedCode = true;
  }
  // 2. remove_sudo clears the Sudo.Key prefix; chopsticks' genesis provider loops forever on that key.
  if (KEYS.sudoKey in top) {
    delete top[KEYS.sudoKey];
    report.removedSudoKey = true;
  }
  // 3. createNode needs a default farming policy (the 2022 genesis predates FarmingPoliciesMap).
  if (!(KEYS.farmingPolicy1 in top)) {
    top[KEYS.farmingPolicy1] = u8aToHex(encodeDefaultFarmingPolicy());
    top[KEYS.farmingPolicyId] = u8aToHex(u32le(1));
    report.addedFarmingPolicy = true;
  }
  // 4. Billing unwraps PricingPolicies(1) in the new layout: append discount_for_dedication_nodes = 50.
  const pp = top[KEYS.pricingPolicy1];
  if (pp) {
    const v = hexToU8a(pp);
    if (v.length === oldPricingPolicyLength(v)) {
      top[KEYS.pricingPolicy1] = u8aToHex(u8aConcat(v, new Uint8Array([50])));
      report.extendedPricingPolicy = true;
    }
  }
  // 5. Billing divides by the TFT price: set it (u32 mUSD).
  const price = opts.tftPriceMusd ?? 10;
  for (const [k, v] of [
    [KEYS.tftPrice, price],
    [KEYS.averageTftPrice, price],
    [KEYS.minTftPrice, price],
    [KEYS.maxTftPrice, 1000],
  ] as const) {
    if (!(k in top)) {
      top[k] = u8aToHex(u32le(v));
      report.setPrices = true;
    }
  }
  // 6. AccountInfo gained `sufficients` (u32 after providers): 76-byte entries → 80 bytes.
  for (const [k, v] of Object.entries(top)) {
    if (!k.startsWith(KEYS.accountPrefix) || k.length <= KEYS.accountPrefix.length) continue;
    const b = hexToU8a(v);
    if (b.length === 76) {
      top[k] = u8aToHex(u8aConcat(b.subarray(0, 12), new Uint8Array(4), b.subarray(12)));
      report.reencodedAccounts++;
    }
  }
  // Funded dev accounts (providers = 1), and TotalIssuance raised by what was minted.
  const balance = opts.balance ?? DEV_ACCOUNT_BALANCE;
  let minted = 0n;
  for (const id of opts.fundedAccounts ?? []) {
    const k = accountKey(id);
    if (k in top) continue;
    top[k] = u8aToHex(u8aConcat(u32le(0), u32le(0), u32le(1), u32le(0), u128le(balance), u128le(0n), u128le(0n), u128le(0n)));
    minted += balance;
    report.fundedAccounts++;
  }
  if (minted > 0n) {
    const cur = top[KEYS.totalIssuance] ? readU128le(hexToU8a(top[KEYS.totalIssuance])) : 0n;
    top[KEYS.totalIssuance] = u8aToHex(u128le(cur + minted));
  }

  // chopsticks' genesis provider scans keys in insertion order: sort them.
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(top).sort()) sorted[k] = top[k];
  spec.genesis.raw.top = sorted;
  spec.name = 'TF Chain local dev (devnet 2022 genesis + runtime spec 144)';
  spec.id = 'tfchain_local_chopsticks';
  (spec as Record<string, unknown>).chainType = 'Local';
  (spec as Record<string, unknown>).bootNodes = [];
  return { spec, report };
}
