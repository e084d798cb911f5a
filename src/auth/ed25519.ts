/**
 * ed25519 with node:crypto (about 13x faster than @noble/ed25519 here, byte-identical signatures).
 * OpenSSL verifies strictly: S < L, R compared byte for byte with the canonical encoding of SB - hA
 * (cofactorless), but it takes any 32 bytes as a public key; `checkPublicKey` (with @noble/curves)
 * refuses the keys for which that equation proves nothing.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';

export { generateSeed } from './seed.js';

// PKCS#8 DER header of an ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
}

declare const checked: unique symbol;

/** A public key that passed `checkPublicKey`; only such a key can verify a signature. */
export type Ed25519PublicKey = Uint8Array & { readonly [checked]: true };

/** Why 32 bytes are not an ed25519 public key a signature can be verified with. */
export class RefusedPublicKey extends Error {
  override name = 'RefusedPublicKey';
}

/**
 * `publicKey` as a key to verify with, or RefusedPublicKey: a non-canonical encoding (y >= p, or
 * x = 0 with the sign bit set) or a point of small order (the 8 torsion points). Under a key of
 * order n, the signature R = identity, S = 0 verifies one message in n (every one under the
 * identity), so anyone can sign by retrying. A key derived from a seed is a multiple of the base
 * point: never refused.
 */
export function checkPublicKey(publicKey: Uint8Array): Ed25519PublicKey {
  if (decodeStrict(publicKey).isSmallOrder()) throw new RefusedPublicKey('a point of small order, for which anyone can make a signature');
  return publicKey as Ed25519PublicKey;
}

// zip215 = false: RFC 8032's decoding, which refuses every non-canonical encoding.
function decodeStrict(publicKey: Uint8Array) {
  try {
    return ed25519.Point.fromBytes(publicKey, false);
  } catch (err) {
    throw new RefusedPublicKey('not the canonical encoding of a point of ed25519', { cause: err });
  }
}

/** True when `signature` (64 bytes) is `publicKey`'s signature of `message`. */
export function verifySignature(publicKey: Ed25519PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** An ed25519 key pair from its 32-byte seed. */
export interface Ed25519Key {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Derives the key pair of a 32-byte seed. */
export function keyFromSeed(seed: Uint8Array): Ed25519Key {
  if (seed.length !== 32) throw new Error(`an ed25519 seed is 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const publicKey = Buffer.from(jwk.x!, 'base64url');
  return { seed, publicKey, sign: (message) => sign(null, message, privateKey) };
}
