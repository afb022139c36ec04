import { cryptoReady, identityFromSecret, verifySignature } from './identity';
import { ownVectors } from '../../test/helpers/zos-vectors';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const DEV = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';

describe('identity', () => {
  beforeAll(cryptoReady);

  it('derives the ed25519 key of the dev mnemonic as substrate does', () => {
    const id = identityFromSecret(DEV, 'ed25519');
    expect(ownVectors().mnemonic_vector.mnemonic).toBe(DEV);
    expect(hex(id.publicKey)).toBe(ownVectors().mnemonic_vector.ed25519_public_key_hex);
  });

  it('derives the sr25519 key of the dev mnemonic as substrate does', () => {
    const id = identityFromSecret(DEV, 'sr25519');
    expect(hex(id.publicKey)).toBe(ownVectors().mnemonic_vector.sr25519_public_key_hex);
  });

  it.each(['ed25519', 'sr25519'] as const)('signs and verifies with %s, rejecting a changed message', (type) => {
    const id = identityFromSecret(DEV, type);
    const msg = Buffer.from('hello');
    const sig = id.sign(msg);
    expect(verifySignature(type, msg, sig, id.publicKey)).toBe(true);
    expect(verifySignature(type, Buffer.from('hellO'), sig, id.publicKey)).toBe(false);
  });

  it('accepts a hex seed with or without 0x and refuses garbage without echoing it', () => {
    const a = identityFromSecret('0x' + '11'.repeat(32), 'ed25519');
    const b = identityFromSecret('11'.repeat(32), 'ed25519');
    expect(a.address).toBe(b.address);
    expect(() => identityFromSecret('not a secret phrase', 'ed25519')).toThrow(/neither a valid BIP39 mnemonic/);
    try {
      identityFromSecret('not a secret phrase', 'ed25519');
    } catch (e) {
      expect(String(e)).not.toContain('not a secret phrase');
    }
  });
});
