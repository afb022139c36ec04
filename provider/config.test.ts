/**
 * Provider configuration (pulumi-notes.md §2.3–§2.4): stack config first, then environment, validated with the key
 * and the fix in the message.
 */
import { readConfig, requireMnemonic } from './config';

const cfg = (c: Record<string, string>, env: Record<string, string> = {}) => readConfig((k) => c[k], env);

describe('provider config', () => {
  it('defaults to the local grid with sr25519', () => {
    const c = cfg({});
    expect(c.network).toBe('local');
    expect(c.keyType).toBe('sr25519');
    expect(c.chainUrls).toEqual(['ws://127.0.0.1:8000']);
    expect(c.deployTimeout).toBe(300);
  });

  it('takes stack config over the environment, and the environment as fallback', () => {
    expect(cfg({ 'tfgrid:mnemonic': 'from config' }, { TFGRID_MNEMONIC: 'from env' }).mnemonic).toBe('from config');
    expect(cfg({}, { TFGRID_MNEMONIC: 'from env' }).mnemonic).toBe('from env');
  });

  it('accepts URL lists as comma lists or JSON and named networks in both spellings', () => {
    expect(cfg({ 'tfgrid:chainUrls': 'ws://a:1, ws://b:2' }).chainUrls).toEqual(['ws://a:1', 'ws://b:2']);
    expect(cfg({ 'tfgrid:relayUrls': '["ws://r:1"]' }).relayUrls).toEqual(['ws://r:1']);
    expect(cfg({ 'tfgrid:network': 'devnet' }).chainUrls[0]).toBe('wss://tfchain.dev.grid.tf/ws');
    expect(cfg({ 'tfgrid:network': 'main' }).network).toBe('main');
  });

  it.each([
    [{ 'tfgrid:network': 'moon' }, /tfgrid:network "moon" is not a grid; use one of local, dev, qa, test, main/],
    [{ 'tfgrid:keyType': 'rsa' }, /tfgrid:keyType "rsa" is not a key type/],
    [{ 'tfgrid:deployTimeout': 'soon' }, /tfgrid:deployTimeout "soon" is not a whole number/],
    [{ 'tfgrid:solutionProviderId': '-2' }, /tfgrid:solutionProviderId "-2" is not a whole number/],
  ])('refuses %j', (c, msg) => {
    expect(() => cfg(c)).toThrow(msg);
  });

  it('takes a solution provider id for node contracts from config or TFGRID_SOLUTION_PROVIDER_ID; none by default', () => {
    expect(cfg({}).solutionProviderId).toBeUndefined();
    expect(cfg({ 'tfgrid:solutionProviderId': '0' }).solutionProviderId).toBeUndefined();
    expect(cfg({ 'tfgrid:solutionProviderId': '7' }).solutionProviderId).toBe(7);
    expect(cfg({}, { TFGRID_SOLUTION_PROVIDER_ID: '3' }).solutionProviderId).toBe(3);
  });

  it('asks for a mnemonic with the command that sets it', () => {
    expect(() => requireMnemonic(cfg({}))).toThrow(/no mnemonic/);
    try {
      requireMnemonic(cfg({}));
    } catch (e) {
      expect((e as { context: { fix: string } }).context.fix).toMatch(/pulumi config set --secret tfgrid:mnemonic/);
    }
  });
});
