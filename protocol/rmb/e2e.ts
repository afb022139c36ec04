/**
 * Optional end-to-end encryption of RMB payloads (rmb-tfchain.md §A6): a twin publishes `pk`, the 33-byte
 * compressed secp256k1 public key of its 32-byte seed (the substrate mini-secret, or the raw hex seed).
 * Shared key = SHA-256(X coordinate of ECDH(my secret, their pk)); cipher = 12-byte nonce ‖ AES-256-GCM
 * ciphertext ‖ 16-byte tag. Nonces come from a CSPRNG (the official TS client's `Math.random` is not copied).
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'crypto';
import { secp256k1 } from '@noble/curves/secp256k1';
import { RmbError } from '../common/errors';
import { RMB_ERROR_CODE } from './envelope';

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

/** The compressed secp256k1 public key (33 bytes) that a twin publishes as `pk` for a 32-byte seed. */
export function e2ePublicKey(seed: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(seed, true);
}

/** SHA-256 of the ECDH X coordinate: the AES-256 key both sides derive. */
export function e2eSharedKey(seed: Uint8Array, theirPk: Uint8Array): Buffer {
  let point: Uint8Array;
  try {
    point = secp256k1.getSharedSecret(seed, theirPk, true);
  } catch (err) {
    throw new RmbError(`e2e: the peer's public key (${theirPk.length} bytes) is not a secp256k1 point`, { code: RMB_ERROR_CODE.E2E }, { cause: err });
  }
  return createHash('sha256').update(point.subarray(1, 33)).digest();
}

/** Encrypts `plain` for the holder of `theirPk`. `nonce` is for tests only; the default is random. */
export function e2eEncrypt(seed: Uint8Array, theirPk: Uint8Array, plain: Uint8Array, nonce?: Uint8Array): Uint8Array {
  return e2eEncryptWithKey(e2eSharedKey(seed, theirPk), plain, nonce);
}

/** Encrypts with an already derived shared key (ECDH is the slow part; peers cache keys per twin). */
export function e2eEncryptWithKey(key: Uint8Array, plain: Uint8Array, nonce: Uint8Array = randomBytes(NONCE_LENGTH)): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from(nonce), body, c.getAuthTag()]);
}

/** Decrypts a payload from the holder of `theirPk`; RmbError code 106 when it does not authenticate. */
export function e2eDecrypt(seed: Uint8Array, theirPk: Uint8Array, cipher: Uint8Array): Uint8Array {
  return e2eDecryptWithKey(e2eSharedKey(seed, theirPk), cipher);
}

/** Decrypts with an already derived shared key. */
export function e2eDecryptWithKey(key: Uint8Array, cipher: Uint8Array): Uint8Array {
  if (cipher.length < NONCE_LENGTH + TAG_LENGTH) {
    throw new RmbError(`e2e: cipher of ${cipher.length} bytes is shorter than nonce and tag`, { code: RMB_ERROR_CODE.E2E });
  }
  const buf = Buffer.from(cipher.buffer, cipher.byteOffset, cipher.byteLength);
  const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, NONCE_LENGTH));
  d.setAuthTag(buf.subarray(buf.length - TAG_LENGTH));
  try {
    return Buffer.concat([d.update(buf.subarray(NONCE_LENGTH, buf.length - TAG_LENGTH)), d.final()]);
  } catch (err) {
    throw new RmbError('e2e: payload failed to decrypt (wrong key or tampered cipher)', { code: RMB_ERROR_CODE.E2E }, { cause: err });
  }
}

/**
 * `e2eSharedKey` memoised per peer pk: the curve math costs far more than AES. Cleared past 10 000 keys.
 * One cache per local seed; the peer's caller and server share it.
 */
export function createSharedKeyCache(seed: Uint8Array): (theirPk: Uint8Array) => Uint8Array {
  const keys = new Map<string, Uint8Array>();
  return (pk) => {
    const k = Buffer.from(pk).toString('hex');
    let key = keys.get(k);
    if (!key) {
      key = e2eSharedKey(seed, pk);
      if (keys.size > 10_000) keys.clear();
      keys.set(k, key);
    }
    return key;
  };
}
