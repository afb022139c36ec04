/** Signing and the node's verification (zos-protocol.md §2.6–§2.8), every outcome with the node's text. */
import { ZosError } from '../common/errors';
import { cryptoReady, identityFromSeed, type Identity } from '../common/identity';
import { signDeployment, verifyDeployment, type Deployment } from './index';
import { makeDeployment } from '../../test/fixtures/zos/deployments';

const seed = (n: number) => new Uint8Array(32).fill(n);
let alice: Identity;
let bob: Identity;
let carolSr: Identity;
const workloads = [{ name: 'd', type: 'zmount', data: { size: 1 } }];

/** A deployment of twin 7 with the given requests and style. */
function dl(requests: { twin_id: number; required: boolean; weight: number }[], weight_required = 1, signature_style = ''): Deployment {
  return makeDeployment(workloads, { signature_requirement: { requests, weight_required, signatures: [], signature_style } });
}

function keys(map: Record<number, Identity>) {
  return async (twin: number): Promise<Uint8Array> => {
    const id = map[twin];
    if (!id) throw new Error(`twin ${twin} not found`);
    return id.publicKey;
  };
}

async function verifyError(d: Deployment, lookup: (t: number) => Promise<Uint8Array>): Promise<string> {
  try {
    await verifyDeployment(d, lookup);
  } catch (err) {
    expect(err).toBeInstanceOf(ZosError);
    return (err as Error).message;
  }
  throw new Error('expected verification to fail');
}

beforeAll(async () => {
  await cryptoReady();
  alice = identityFromSeed(seed(1), 'ed25519');
  bob = identityFromSeed(seed(2), 'ed25519');
  carolSr = identityFromSeed(seed(3), 'sr25519');
});

describe('signDeployment', () => {
  it('appends one entry per twin and replaces an existing one instead of duplicating it', () => {
    const d = dl([{ twin_id: 7, required: true, weight: 1 }]);
    const once = signDeployment(d, 7, alice);
    const twice = signDeployment(once, 7, bob);
    expect(once.signature_requirement.signatures).toHaveLength(1);
    expect(twice.signature_requirement.signatures).toHaveLength(1);
    expect(twice.signature_requirement.signatures[0].signature).not.toBe(once.signature_requirement.signatures[0].signature);
    const other = signDeployment(twice, 8, carolSr);
    expect(other.signature_requirement.signatures.map((s) => [s.twin_id, s.signature_type])).toEqual([
      [7, 'ed25519'],
      [8, 'sr25519'],
    ]);
  });
  it('leaves the input deployment unchanged', () => {
    const d = dl([{ twin_id: 7, required: true, weight: 1 }]);
    signDeployment(d, 7, alice);
    expect(d.signature_requirement.signatures).toEqual([]);
  });
  it('writes lowercase hex of a 64-byte signature', () => {
    const s = signDeployment(dl([{ twin_id: 7, required: true, weight: 1 }]), 7, alice).signature_requirement.signatures[0].signature;
    expect(s).toMatch(/^[0-9a-f]{128}$/);
  });
});

describe('verifyDeployment', () => {
  it('accepts an ed25519 signature of the originator', async () => {
    const d = signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, alice);
    await expect(verifyDeployment(d, keys({ 7: alice }))).resolves.toBeUndefined();
  });
  it('accepts an sr25519 signature, and polka-wallet style for both key types', async () => {
    await expect(verifyDeployment(signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, carolSr), keys({ 7: carolSr }))).resolves.toBeUndefined();
    const polka = dl([{ twin_id: 7, required: false, weight: 1 }], 1, 'polka-wallet');
    await expect(verifyDeployment(signDeployment(polka, 7, carolSr), keys({ 7: carolSr }))).resolves.toBeUndefined();
    await expect(verifyDeployment(signDeployment(polka, 7, alice), keys({ 7: alice }))).resolves.toBeUndefined();
  });
  it('accepts several signers whose weights reach the requirement', async () => {
    let d = dl(
      [
        { twin_id: 7, required: false, weight: 1 },
        { twin_id: 8, required: false, weight: 2 },
      ],
      3,
    );
    d = signDeployment(signDeployment(d, 7, alice), 8, bob);
    await expect(verifyDeployment(d, keys({ 7: alice, 8: bob }))).resolves.toBeUndefined();
  });

  it.each<[string, () => Promise<string>, string]>([
    ['the originator did not sign (forced required)', () => verifyError(dl([{ twin_id: 7, required: false, weight: 1 }]), keys({ 7: alice })), "missing required signature for twin '7'"],
    [
      'a required co-signer did not sign',
      () =>
        verifyError(
          signDeployment(
            dl([
              { twin_id: 7, required: false, weight: 1 },
              { twin_id: 8, required: true, weight: 1 },
            ]),
            7,
            alice,
          ),
          keys({ 7: alice, 8: bob }),
        ),
      "missing required signature for twin '8'",
    ],
    [
      'a non-required co-signer did not sign (node quirk: still verified)',
      () =>
        verifyError(
          signDeployment(
            dl([
              { twin_id: 7, required: false, weight: 1 },
              { twin_id: 8, required: false, weight: 1 },
            ]),
            7,
            alice,
          ),
          keys({ 7: alice, 8: bob }),
        ),
      'failed to verify signature',
    ],
    ['the twin key lookup fails', () => verifyError(signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, alice), keys({})), "failed to get public key for twin '7': twin 7 not found"],
    ['the signature is by another key', () => verifyError(signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, bob), keys({ 7: alice })), 'failed to verify signature'],
    [
      'the deployment changed after signing',
      async () => {
        const d = signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, alice);
        return verifyError({ ...d, description: 'changed' }, keys({ 7: alice }));
      },
      'failed to verify signature',
    ],
    [
      'an sr25519 signature is labelled ed25519',
      async () => {
        const d = signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, carolSr);
        d.signature_requirement.signatures[0].signature_type = '';
        return verifyError(d, keys({ 7: carolSr }));
      },
      'failed to verify signature',
    ],
    [
      'the signature is odd-length hex',
      async () => {
        const d = signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, alice);
        d.signature_requirement.signatures[0].signature = 'abc';
        return verifyError(d, keys({ 7: alice }));
      },
      'invalid signature: encoding/hex: odd length hex string',
    ],
    [
      'the signature is not hex',
      async () => {
        const d = signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, alice);
        d.signature_requirement.signatures[0].signature = '0xab';
        return verifyError(d, keys({ 7: alice }));
      },
      "invalid signature: encoding/hex: invalid byte: U+0078 'x'",
    ],
    [
      'the originator is not among the requests',
      () => verifyError(signDeployment(dl([{ twin_id: 8, required: false, weight: 1 }]), 8, bob), keys({ 8: bob })),
      'originator twin id must be in the signature requests',
    ],
    [
      'the weights do not reach weight_required',
      () => verifyError(signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }], 2), 7, alice), keys({ 7: alice })),
      'required signature weight is not reached',
    ],
    [
      'the polka style is declared but the raw digest was signed',
      async () => {
        const d = signDeployment(dl([{ twin_id: 7, required: false, weight: 1 }]), 7, alice);
        return verifyError({ ...d, signature_requirement: { ...d.signature_requirement, signature_style: 'polka-wallet' } }, keys({ 7: alice }));
      },
      'failed to verify signature',
    ],
  ])('refuses when %s', async (_rule, run, text) => {
    expect(await run()).toBe(text);
  });
});
