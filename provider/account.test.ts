/**
 * Per-resource accounts (issue 13): the account's config over the stack's, the connection key (never the mnemonic),
 * check failures with the field path and the fix (never the value), and diff replacing on an account change.
 */
import { accountConfig, connectionKey } from './account';
import { readConfig } from './config';
import { workloadKind } from './kinds';
import { checkWorkload, diffWorkload } from './workload-resource';
import { withCheckedInputs } from './checked-inputs';
import { checkNetwork, diffNetwork } from './resources/network';
import { checkRentContract, diffRentContract } from './resources/rent-contract';
import { checkNodePicker, diffNodePicker } from './resources/node-picker';

const WORDS = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const OTHER = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const stack = readConfig((k) => ({ 'tfgrid:network': 'test', 'tfgrid:chainUrls': 'ws://127.0.0.1:9944', 'tfgrid:mnemonic': OTHER })[k], {});
const zdb = workloadKind('Zdb')!;
const zdbRaw = (account?: unknown) => ({ node: 1, deployment: 'g', name: 'db', size: '1GiB', ...(account === undefined ? {} : { account }) });

describe('per-resource account', () => {
  it("takes the account's mnemonic and key type, and keeps the stack's endpoints on the stack's network", () => {
    const c = accountConfig(stack, { mnemonic: WORDS, keyType: 'ed25519' });
    expect(c).toMatchObject({ network: 'test', mnemonic: WORDS, keyType: 'ed25519', chainUrls: ['ws://127.0.0.1:9944'], mnemonicSource: 'account.mnemonic' });
    expect(accountConfig(stack, undefined)).toBe(stack);
  });

  it("uses another network's own endpoints (the stack's URLs describe the stack's network)", () => {
    const c = accountConfig(stack, { mnemonic: WORDS, network: 'mainnet' });
    expect(c.network).toBe('main');
    expect(c.chainUrls).not.toContain('ws://127.0.0.1:9944');
    expect(c.gridProxyUrl).toMatch(/^https:\/\/gridproxy\.grid\.tf/);
  });

  it('keys connections by network and account, without the mnemonic in the key', () => {
    const a = connectionKey(accountConfig(stack, { mnemonic: WORDS }));
    const b = connectionKey(accountConfig(stack, { mnemonic: OTHER }));
    expect(a).not.toBe(b);
    expect(b).toBe(connectionKey(stack)); // the stack's own account: one connection, one coalescing queue
    expect(connectionKey(accountConfig(stack, { mnemonic: WORDS, network: 'main' }))).not.toBe(a);
    for (const k of [a, b]) for (const w of [...WORDS.split(' '), ...OTHER.split(' ')]) expect(k).not.toContain(w);
  });

  it('refuses a bad account at check with the field path and the fix, never echoing the mnemonic', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ mnemonic: '' }, 'account.mnemonic', /is empty; give the twin's 12 or 24 words/],
      [{ mnemonic: 42 }, 'account.mnemonic', /pass it as a secret/],
      [{ mnemonic: WORDS, network: 'moon' }, 'account.network', /use one of local, dev, qa, test, main/],
      [{ mnemonic: WORDS, keyType: 'rsa' }, 'account.keyType', /use sr25519 or ed25519/],
      [{ mnemonic: WORDS, seed: 'x' }, 'account', /an account has mnemonic, network and keyType/],
    ];
    for (const [account, property, reason] of cases) {
      const r = checkWorkload(zdb, undefined, zdbRaw(account));
      expect(r.failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
      for (const f of r.failures) expect(f.reason).not.toContain('bottom drive');
    }
    expect(checkNetwork(undefined, { name: 'n', nodes: [1], account: { mnemonic: WORDS, network: 'x' } }).failures[0].property).toBe('account.network');
    expect(checkRentContract({ node: 1, account: {} }).failures[0].property).toBe('account.mnemonic');
  });

  it('replaces a resource whose account changes, not one whose account is written another way', () => {
    const created = (account?: unknown) => {
      const inputs = checkWorkload(zdb, undefined, zdbRaw(account)).inputs;
      return withCheckedInputs({ ...inputs, contractId: 7 }, inputs);
    };
    const news = (account?: unknown) => checkWorkload(zdb, undefined, zdbRaw(account)).inputs;
    expect(diffWorkload(zdb, created(), news({ mnemonic: WORDS }))).toMatchObject({ changes: true, replaces: ['account'] });
    expect(diffWorkload(zdb, created({ mnemonic: WORDS }), news({ mnemonic: OTHER }))).toMatchObject({ changes: true, replaces: ['account'] });
    expect(diffWorkload(zdb, created({ mnemonic: WORDS, network: 'test' }), news({ mnemonic: WORDS, network: 'main' })).replaces).toEqual(['account']);
    expect(diffWorkload(zdb, created({ mnemonic: WORDS, network: 'testnet' }), news({ mnemonic: WORDS, network: 'test' })).changes).toBe(false);
    expect(diffWorkload(zdb, created({ mnemonic: WORDS }), news({ mnemonic: WORDS })).changes).toBe(false);
    // Network and RentContract too.
    const net = (account?: unknown) => checkNetwork(undefined, { name: 'n', nodes: [1], ...(account ? { account } : {}) }).inputs;
    expect(diffNetwork(withCheckedInputs({}, net()), net({ mnemonic: WORDS })).replaces).toEqual(['account']);
    const rent = (account?: unknown) => checkRentContract({ node: 1, ...(account ? { account } : {}) }).inputs;
    expect(diffRentContract(withCheckedInputs({}, rent({ mnemonic: OTHER })), rent({ mnemonic: WORDS })).replaces).toEqual(['account']);
  });

  it("picks again when a NodePicker's account changes (another grid, another twin's rentals), without asking the grid", async () => {
    const picker = (account?: unknown) => checkNodePicker({ cpu: 1, ...(account ? { account } : {}) }).inputs;
    const olds = withCheckedInputs({ nodeId: 3, nodeIds: [3], farmId: 1 }, picker({ mnemonic: WORDS }));
    const noGrid = () => Promise.reject(new Error('no grid in this test'));
    expect(await diffNodePicker(olds, picker({ mnemonic: OTHER }), noGrid)).toMatchObject({ changes: true, replaces: ['account'] });
    expect(await diffNodePicker(olds, picker({ mnemonic: WORDS }), noGrid)).toMatchObject({ changes: false });
    expect(checkNodePicker({ account: { mnemonic: WORDS, network: 'mars' } }).failures[0].property).toBe('account.network');
  });
});
