/** Network names and where the key comes from (issue 13 "README and CLI", 18.10). */
import { parseNetwork, resolveSecret } from './account';

describe('parseNetwork', () => {
  it.each([
    ['local', 'local'],
    ['dev', 'devnet'],
    ['devnet', 'devnet'],
    ['qa', 'qanet'],
    ['qanet', 'qanet'],
    ['test', 'testnet'],
    ['TestNet', 'testnet'],
    ['main', 'mainnet'],
    ['mainnet', 'mainnet'],
  ])('%s → %s', (given, name) => {
    expect(parseNetwork(given)).toBe(name);
  });

  it('refuses other names listing both spellings', () => {
    expect(() => parseNetwork('moon')).toThrow('--network "moon": expected local | dev | qa | test | main (or devnet, qanet, testnet, mainnet)');
  });
});

describe('resolveSecret', () => {
  const saved = process.env.TFGRID_MNEMONIC;
  afterEach(() => {
    if (saved === undefined) delete process.env.TFGRID_MNEMONIC;
    else process.env.TFGRID_MNEMONIC = saved;
  });
  const grid = { user: { mnemonic: 'grid user words' } } as Parameters<typeof resolveSecret>[1];

  it('reads the first line of stdin with --mnemonic-stdin, before anything else', () => {
    process.env.TFGRID_MNEMONIC = 'env words';
    expect(resolveSecret({ network: 'local', mnemonicStdin: true }, grid, () => '  piped words \nrest\n')).toEqual({ secret: 'piped words', field: 'stdin' });
    expect(() => resolveSecret({ network: 'local', mnemonicStdin: true }, grid, () => '\n')).toThrow('--mnemonic-stdin: stdin is empty');
  });

  it('then $TFGRID_MNEMONIC, then the local grid user, else says how to give one', () => {
    process.env.TFGRID_MNEMONIC = 'env words';
    expect(resolveSecret({ network: 'local' }, grid).field).toBe('TFGRID_MNEMONIC');
    delete process.env.TFGRID_MNEMONIC;
    expect(resolveSecret({ network: 'local' }, grid)).toEqual({ secret: 'grid user words', field: 'local grid user mnemonic' });
    expect(() => resolveSecret({ network: 'devnet' }, undefined)).toThrow('no key to sign with');
  });
});
