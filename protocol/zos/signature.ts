/**
 * Signing and the node's verification (zos-protocol.md §2.6–§2.8): one signature entry per twin (an existing
 * entry is replaced, as Go does; TS duplicates it), ed25519 or sr25519 (context "substrate") over the raw
 * digest or the polka-wallet form. `verifyDeployment` follows `gridtypes.Deployment.Verify` step by step,
 * quirks included; the twin key lookup is injected.
 * @module
 */
import { verify as nodeVerify, type KeyObject } from 'crypto';
import { ed25519PublicKeyObject, sr25519VerifySignature, type Identity } from '../common/identity';
import { errorText, ZosError } from '../common/errors';
import { goHexError } from './go-json';
import { signingMessage } from './challenge';
import type { Deployment } from './deployment';

/**
 * Returns a copy of `d` signed by `twinId` with `identity`. An existing signature of that twin is replaced
 * (its `signature_type` updated too); otherwise one entry is appended.
 * @example const signed = signDeployment(d, 42, identityFromSecret(mnemonic, 'ed25519'));
 */
export function signDeployment(d: Deployment, twinId: number, identity: Identity): Deployment {
  const signature = Buffer.from(identity.sign(signingMessage(d))).toString('hex');
  const entry = { twin_id: twinId, signature, signature_type: identity.type };
  const sigs = d.signature_requirement.signatures;
  const at = sigs.findIndex((s) => s.twin_id === twinId);
  const signatures = at >= 0 ? sigs.map((s, i) => (i === at ? entry : s)).filter((s, i) => i === at || s.twin_id !== twinId) : [...sigs, entry];
  return { ...d, signature_requirement: { ...d.signature_requirement, signatures } };
}

// Building a node:crypto key object costs about as much as a verification; twins' keys repeat, so keep a
// bounded cache keyed by the key bytes (pure: same input, same output).
const ED25519_KEYS = new Map<string, KeyObject>();
const ED25519_KEYS_MAX = 4096;

function ed25519VerifyCached(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const id = Buffer.from(publicKey).toString('hex');
  let key = ED25519_KEYS.get(id);
  try {
    if (!key) {
      if (ED25519_KEYS.size >= ED25519_KEYS_MAX) ED25519_KEYS.clear();
      key = ed25519PublicKeyObject(publicKey);
      ED25519_KEYS.set(id, key);
    }
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Looks up a twin's 32-byte public key (on chain: the account id); rejects when the twin is unknown. */
export type TwinKeyLookup = (twinId: number) => Promise<Uint8Array>;

/** Go `hex.DecodeString` of a signature; throws `invalid signature: <hex error>`. */
function decodeSignatureHex(s: string): Uint8Array {
  const err = goHexError(s);
  if (err) throw new ZosError(`invalid signature: ${err}`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/**
 * The node's signature check. Resolves when the deployment is accepted; rejects with a `ZosError` whose
 * message is the node's exact text: `missing required signature for twin '<id>'`, `failed to get public key
 * for twin '<id>': <cause>`, `invalid signature: <cause>`, `failed to verify signature`, `originator twin id
 * must be in the signature requests`, `required signature weight is not reached`.
 * Quirk kept: a requested twin with no signature and `required: false` is still verified (and fails).
 */
export async function verifyDeployment(d: Deployment, getTwinPublicKey: TwinKeyLookup): Promise<void> {
  const message = signingMessage(d);
  const sr = d.signature_requirement;
  const fail = (text: string, cause?: unknown): never => {
    throw new ZosError(text, { nodeMessage: text, twin: d.twin_id }, cause === undefined ? undefined : { cause });
  };
  let originatorFound = false;
  let weight = 0;
  for (const request of sr.requests) {
    let required = request.required;
    if (request.twin_id === d.twin_id) {
      originatorFound = true;
      required = true; // the node forces the originator's signature to be required
    }
    const sig = sr.signatures.find((s) => s.twin_id === request.twin_id);
    if (!sig && required) fail(`missing required signature for twin '${request.twin_id}'`);
    let key: Uint8Array;
    try {
      key = await getTwinPublicKey(request.twin_id);
    } catch (err) {
      return fail(`failed to get public key for twin '${request.twin_id}': ${errorText(err)}`, err);
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeSignatureHex(sig?.signature ?? '');
    } catch (err) {
      return fail((err as Error).message, err);
    }
    // sr25519 only when named so; any other or empty type is verified as ed25519.
    const ok = sig?.signature_type === 'sr25519' ? sr25519VerifySignature(message, bytes, key) : ed25519VerifyCached(message, bytes, key);
    if (!ok) fail('failed to verify signature');
    weight += request.weight;
  }
  if (!originatorFound) fail('originator twin id must be in the signature requests');
  if (weight < sr.weight_required) fail('required signature weight is not reached');
}
