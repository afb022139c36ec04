/**
 * The §C4 genesis fixes, offline: patch the pinned upstream dev spec with the pinned spec-144 runtime (both
 * from the chain cache, `tfgrid local chain fetch`; `../shared` may stand in for it), and, as an optional extra
 * when `../shared` has the team's patched spec, compare with that spec key by key (rmb-tfchain.md §C7).
 * @module
 */
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { cryptoReady } from '../../protocol/common/identity';
import { pinnedChainArtefacts } from '../../test/helpers/chain-artefacts';
import { describeWithSharedFile, readSharedJson } from '../../test/helpers/shared';
import { sha256, UPSTREAM } from './artefact-cache';
import { devAccountIds, SHARED_SPEC_NAME } from './artefacts';
import { accountKey, CODE_KEY, DEV_ACCOUNT_BALANCE, KEYS, patchGenesis, rawChainSpecSchema, storageValueKey, type RawChainSpec } from './genesis-patch';

const u32 = (hex: string) => new DataView(hexToU8a(hex).buffer).getUint32(0, true);
const u128 = (hex: string) => hexToU8a(hex).reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);

describe('patchGenesis', () => {
  let upstream: RawChainSpec;
  let runtimeCode: string;
  let patched: RawChainSpec;
  let report: ReturnType<typeof patchGenesis>['report'];
  let devIds: Uint8Array[];

  beforeAll(async () => {
    await cryptoReady();
    const pinned = pinnedChainArtefacts();
    upstream = rawChainSpecSchema.parse(JSON.parse(pinned.devSpec.toString('utf8')));
    runtimeCode = u8aToHex(pinned.runtime);
    devIds = await devAccountIds();
    ({ spec: patched, report } = patchGenesis(upstream, { runtimeCode, fundedAccounts: devIds }));
  });

  it('starts from the pinned upstream files', () => {
    expect(sha256(hexToU8a(runtimeCode))).toBe(UPSTREAM.runtime.sha256);
    expect(upstream.id).toBe('tfchain_devnet');
    expect(patched.genesis.raw.top[CODE_KEY]).toBe(runtimeCode);
  });

  it('computes storage keys the chain uses', () => {
    expect(KEYS.sudoKey).toBe('0x5c0d1176a568c1f92944340dbfed9e9c530ebca703c85910e7164cb7d1c9e47b');
    expect(storageValueKey('System', 'Account')).toBe('0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9');
    for (const k of [KEYS.farmingPolicy1, KEYS.pricingPolicy1, KEYS.tftPrice, KEYS.maxTftPrice, KEYS.totalIssuance]) {
      expect(Object.keys(patched.genesis.raw.top)).toContain(k);
    }
  });

  it('ends with 79 keys, sorted, as the local chain', () => {
    const keys = Object.keys(patched.genesis.raw.top);
    expect(keys).toHaveLength(79);
    expect(keys).toEqual([...keys].sort());
    expect(keys).not.toContain(KEYS.sudoKey);
    expect(patched.id).toBe('tfchain_local_chopsticks');
    expect(patched.name).toBe('TF Chain local dev (devnet 2022 genesis + runtime spec 144)');
  });

  it('reports each fix it applied', () => {
    expect(report).toEqual({
      replacedCode: true,
      removedSudoKey: true,
      addedFarmingPolicy: true,
      extendedPricingPolicy: true,
      setPrices: true,
      reencodedAccounts: 5,
      fundedAccounts: 12,
    });
  });

  it.each([
    ['TftPrice', KEYS.tftPrice, 10],
    ['AverageTftPrice', KEYS.averageTftPrice, 10],
    ['MinTftPrice', KEYS.minTftPrice, 10],
    ['MaxTftPrice', KEYS.maxTftPrice, 1000],
    ['FarmingPolicyID', KEYS.farmingPolicyId, 1],
  ])('sets %s to its documented value, u32 little-endian', (_, key, value) => {
    expect(u32(patched.genesis.raw.top[key])).toBe(value);
  });

  it('mints exactly what it funds: TotalIssuance grows by 12 × 100 M TFT', () => {
    expect(u128(patched.genesis.raw.top[KEYS.totalIssuance]) - u128(upstream.genesis.raw.top[KEYS.totalIssuance])).toBe(12n * DEV_ACCOUNT_BALANCE);
  });

  it('funds //Alice … //Ferdie (sr25519 and ed25519) with 100 M TFT each, providers = 1', () => {
    for (const id of devIds) {
      const v = hexToU8a(patched.genesis.raw.top[accountKey(id)]);
      expect(v).toHaveLength(80);
      expect(new DataView(v.buffer).getUint32(8, true)).toBe(1);
      expect(u128(u8aToHex(v.subarray(16, 32)))).toBe(DEV_ACCOUNT_BALANCE);
    }
  });

  it('re-encodes old 76-byte accounts with sufficients = 0 after providers', () => {
    const old = Object.entries(upstream.genesis.raw.top).filter(([k]) => k.startsWith(KEYS.accountPrefix) && k.length > KEYS.accountPrefix.length);
    expect(old.length).toBe(5);
    for (const [k, v] of old) {
      const before = hexToU8a(v);
      const after = hexToU8a(patched.genesis.raw.top[k]);
      expect(before).toHaveLength(76);
      expect(u8aToHex(after)).toBe(u8aToHex(new Uint8Array([...before.subarray(0, 12), 0, 0, 0, 0, ...before.subarray(12)])));
    }
  });

  it('is idempotent: patching the patched spec changes nothing', () => {
    const again = patchGenesis(patched, { runtimeCode, fundedAccounts: devIds });
    expect(again.spec.genesis.raw.top).toEqual(patched.genesis.raw.top);
    // the same fields as the first run's report, each false or 0
    expect(Object.keys(again.report)).toEqual(Object.keys(report));
    expect(Object.entries(again.report).filter(([, v]) => v !== false && v !== 0)).toEqual([]);
  });

  it('refuses input that is not a raw chain spec, and code that is not hex', () => {
    expect(() => patchGenesis({ name: 'x' }, { runtimeCode: '0x00' })).toThrow(/not a raw chain spec/);
    expect(() => patchGenesis(upstream, { runtimeCode: 'wasm' })).toThrow(/not 0x-hex/);
  });
});

describeWithSharedFile([SHARED_SPEC_NAME], "patchGenesis against the team's patched spec", () => {
  let shared: RawChainSpec;
  let patched: RawChainSpec;

  beforeAll(async () => {
    shared = rawChainSpecSchema.parse(readSharedJson(SHARED_SPEC_NAME));
    const pinned = pinnedChainArtefacts();
    ({ spec: patched } = patchGenesis(JSON.parse(pinned.devSpec.toString('utf8')), { runtimeCode: u8aToHex(pinned.runtime), fundedAccounts: await devAccountIds() }));
  });

  it('ends with exactly the keys and name of the team spec', () => {
    expect(new Set(Object.keys(patched.genesis.raw.top))).toEqual(new Set(Object.keys(shared.genesis.raw.top)));
    expect(patched.name).toBe(shared.name);
  });

  // Keys whose values the team spec stores byte-reversed (big-endian), i.e. TftPrice reads 167772160 there;
  // ours are the documented values, little-endian as SCALE wants them.
  const REVERSED_IN_TEAM_SPEC = [KEYS.tftPrice, KEYS.averageTftPrice, KEYS.minTftPrice, KEYS.maxTftPrice, KEYS.farmingPolicyId];

  it('matches the team spec byte for byte on every other key, runtime code included', () => {
    const differing = Object.keys(shared.genesis.raw.top).filter((k) => shared.genesis.raw.top[k] !== patched.genesis.raw.top[k]);
    expect(differing.sort()).toEqual([...REVERSED_IN_TEAM_SPEC, KEYS.totalIssuance].sort());
    for (const k of REVERSED_IN_TEAM_SPEC) {
      expect(u8aToHex(hexToU8a(patched.genesis.raw.top[k]).reverse())).toBe(shared.genesis.raw.top[k]);
    }
  });
});
