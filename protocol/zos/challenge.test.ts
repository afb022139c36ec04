/**
 * Challenge, hash and signatures byte for byte (zos-protocol.md §2, §2.10) against our own vectors
 * (test/fixtures/zos, computed by ThreeFold's grid_client: scripts/gen-test-vectors.ts), and against
 * `../shared`'s vectors as an optional extra when that file is there.
 */
import { cryptoReady, identityFromSecret, identityFromSeed } from '../common/identity';
import { describeWithSharedFile } from '../../test/helpers/shared';
import { loadVectorFile, ownVectors, SHARED_VECTORS_PARTS, type VectorFile } from '../../test/helpers/zos-vectors';
import { deploymentChallenge, deploymentDigest, deploymentToJson, hashDeployment, parseDeployment, signDeployment, signingMessage, type Deployment } from './index';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Re-serialises a plain JSON value with every object's keys reversed. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v && typeof v === 'object' && !('isLosslessNumber' in v)) {
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reverseKeys(x)]),
    );
  }
  return v;
}

/** Every check of one vector file; `load` runs at collection time of the describe that calls this. */
function checkVectorFile(load: () => VectorFile): void {
  const file = load();
  const seed = Buffer.from(file.ed25519_seed_hex, 'hex');
  beforeAll(() => cryptoReady());

  for (const vec of file.vectors) {
    describe(vec.name, () => {
      const d = parseDeployment(vec.deployment);
      it('writes the challenge byte for byte', () => {
        expect(deploymentChallenge(d)).toBe(vec.expected.challenge_string);
      });
      it('hashes to the expected lowercase md5 hex', () => {
        expect(hashDeployment(d)).toBe(vec.expected.md5_hex);
        expect(hex(deploymentDigest(d))).toBe(vec.expected.md5_hex);
      });
      it('signs the raw digest (default style) with the expected ed25519 signature', () => {
        const id = identityFromSeed(seed, 'ed25519');
        expect(hex(id.publicKey)).toBe(vec.expected.ed25519_public_key_hex);
        const plain: Deployment = { ...d, signature_requirement: { ...d.signature_requirement, signature_style: '' } };
        expect(hex(id.sign(deploymentDigest(d)))).toBe(vec.expected.ed25519_signature_default_hex);
        // The default style signs the 16 raw digest bytes, whatever the deployment's style field says.
        expect(hex(signingMessage(plain))).toBe(hex(deploymentDigest(plain)));
      });
      it('signs <Bytes>hex</Bytes> for the polka-wallet style with the expected signature', () => {
        const id = identityFromSeed(seed, 'ed25519');
        const msg = new TextEncoder().encode(`<Bytes>${vec.expected.md5_hex}</Bytes>`);
        expect(hex(id.sign(msg))).toBe(vec.expected.ed25519_signature_polka_hex);
        const signed = signDeployment(d, d.twin_id, id);
        if (d.signature_requirement.signature_style === 'polka-wallet') {
          expect(hex(signingMessage(d))).toBe(hex(msg));
          expect(signed.signature_requirement.signatures).toEqual([{ twin_id: d.twin_id, signature: vec.expected.ed25519_signature_polka_hex, signature_type: 'ed25519' }]);
        } else {
          expect(signed.signature_requirement.signatures[0].signature).toBe(vec.expected.ed25519_signature_default_hex);
        }
      });
      it('gives the same hash from JSON with every key order reversed', () => {
        expect(hashDeployment(parseDeployment(reverseKeys(vec.deployment)))).toBe(vec.expected.md5_hex);
      });
      it('gives the same hash after a round trip through deploymentToJson', () => {
        expect(hashDeployment(parseDeployment(deploymentToJson(d)))).toBe(vec.expected.md5_hex);
      });
    });
  }

  it('reordering workloads changes the hash (order is hashed)', () => {
    const many = file.vectors.find((v) => parseDeployment(v.deployment).workloads.length > 1)!;
    const d = parseDeployment(many.deployment);
    const swapped: Deployment = { ...d, workloads: [d.workloads[1], d.workloads[0], ...d.workloads.slice(2)] };
    expect(hashDeployment(swapped)).not.toBe(many.expected.md5_hex);
  });

  it('parses the vector file text itself (exact integers), not only JSON.parse output', () => {
    const last = file.vectors.length - 1;
    const d = parseDeployment(JSON.stringify((JSON.parse(file.text) as { vectors: { deployment: unknown }[] }).vectors[last].deployment));
    expect(hashDeployment(d)).toBe(file.vectors[last].expected.md5_hex);
  });

  describe('mnemonic vector', () => {
    const mv = file.mnemonic_vector;
    it('derives the ed25519 key as Keyring.addFromUri does and signs the first digest', () => {
      const id = identityFromSecret(mv.mnemonic, 'ed25519');
      expect(hex(id.seed)).toBe(mv.mini_secret_hex);
      expect(hex(id.publicKey)).toBe(mv.ed25519_public_key_hex);
      const d = parseDeployment(file.vectors[0].deployment);
      expect(hex(id.sign(deploymentDigest(d)))).toBe(mv.ed25519_signature_of_v1_digest_hex);
    });
    it('derives the sr25519 key and address; its signature verifies on the digest and not on the polka form', () => {
      const id = identityFromSecret(mv.mnemonic, 'sr25519');
      expect(hex(id.publicKey)).toBe(mv.sr25519_public_key_hex);
      expect(id.address).toBe(mv.sr25519_ss58_address);
      const d = parseDeployment(file.vectors[0].deployment);
      const sig = id.sign(deploymentDigest(d));
      expect(id.verify(deploymentDigest(d), sig)).toBe(true);
      expect(id.verify(new TextEncoder().encode(`<Bytes>${hashDeployment(d)}</Bytes>`), sig)).toBe(false);
    });
  });
}

describe('own vectors (test/fixtures/zos, computed by grid_client)', () => {
  checkVectorFile(ownVectors);
  it('cover every workload kind grid_client hashes', () => {
    const kinds = new Set(ownVectors().vectors.flatMap((v) => parseDeployment(v.deployment).workloads.map((w) => w.type)));
    expect([...kinds].sort()).toEqual(['gateway-fqdn-proxy', 'gateway-name-proxy', 'ip', 'network', 'network-light', 'qsfs', 'volume', 'zdb', 'zlogs', 'zmachine', 'zmachine-light', 'zmount']);
  });
});

describeWithSharedFile(SHARED_VECTORS_PARTS, 'shared vectors', (file) => checkVectorFile(() => loadVectorFile(file)));
