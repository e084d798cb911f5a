/** did:key for ed25519 keys: `did:key:z` + base58btc(0xed 0x01 + 32-byte public key). */
import { base58 } from '@scure/base';
import { checkPublicKey, RefusedPublicKey, type Ed25519PublicKey } from './ed25519.js';

const ED25519_MULTICODEC = [0xed, 0x01] as const;
const MAX_DID_LENGTH = 128;

/** A DID Chronos cannot verify; the API answers 400 unsupported_did. */
export class UnsupportedDid extends Error {
  override name = 'UnsupportedDid';
}

/** The 32-byte ed25519 public key of a did:key, checked to be one that signatures can prove control of, or UnsupportedDid saying why not. */
export function publicKeyFromDid(did: string): Ed25519PublicKey {
  if (did.length > MAX_DID_LENGTH || !did.startsWith('did:')) throw new UnsupportedDid('expected a DID like did:key:z6Mk...');
  if (!did.startsWith('did:key:')) throw new UnsupportedDid(`only did:key is supported, not did:${did.split(':')[1] ?? ''}`);
  const multibase = did.slice('did:key:'.length);
  if (!multibase.startsWith('z')) throw new UnsupportedDid('did:key must use base58btc multibase (a "z" prefix)');
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(multibase.slice(1));
  } catch {
    throw new UnsupportedDid('did:key is not valid base58btc');
  }
  if (bytes.length !== 34 || bytes[0] !== ED25519_MULTICODEC[0] || bytes[1] !== ED25519_MULTICODEC[1]) {
    throw new UnsupportedDid('did:key must hold an ed25519 public key (multicodec 0xed01, 32 bytes)');
  }
  try {
    return checkPublicKey(bytes.slice(2));
  } catch (err) {
    if (err instanceof RefusedPublicKey) throw new UnsupportedDid(`did:key holds a refused ed25519 public key: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The did:key of a 32-byte ed25519 public key. */
export function didFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new Error('an ed25519 public key is 32 bytes');
  return `did:key:z${base58.encode(Uint8Array.from([...ED25519_MULTICODEC, ...publicKey]))}`;
}
