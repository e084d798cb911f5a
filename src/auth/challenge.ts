/** The DID challenge (SPEC 4.1): a single-use nonce, a fixed message, an ed25519 signature. */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DomainError } from '../errors.js';
import { consumeNonce, insertNonce } from '../store/nonces.js';
import type { Schema } from '../store/schema.js';
import { publicKeyFromDid, UnsupportedDid } from './did-key.js';
import { verifySignature, type Ed25519PublicKey } from './ed25519.js';

/** The exact text an agent signs. */
export function challengeMessage(did: string, nonce: string, expiresAt: string): string {
  return `chronos-auth-v1\n${did}\n${nonce}\n${expiresAt}`;
}

/** A challenge as the API returns it. */
export interface Challenge {
  readonly did: string;
  readonly nonce: string;
  readonly message: string;
  readonly expires_at: string;
}

/** Checks the DID, then stores a fresh nonce for it. */
export async function createChallenge(db: Kysely<Schema>, did: string, ttlMs: number): Promise<Challenge> {
  checkDid(did);
  const nonce = randomBytes(24).toString('base64url');
  const expiresAt = (await insertNonce(db, nonce, did, ttlMs)).toISOString();
  return { did, nonce, message: challengeMessage(did, nonce, expiresAt), expires_at: expiresAt };
}

/** Consumes the nonce and checks the signature; resolves when `did` is proven, else throws the SPEC's 401/400. */
export async function verifyChallenge(db: Kysely<Schema>, did: string, nonce: string, signature: string): Promise<void> {
  const publicKey = checkDid(did);
  const consumed = await consumeNonce(db, nonce, did);
  if (!consumed) throw new DomainError('unauthenticated', 'invalid_nonce', 'unknown or already used nonce for this DID: ask for a new challenge');
  if (!consumed.valid) throw new DomainError('unauthenticated', 'invalid_nonce', 'the challenge expired: ask for a new challenge');
  const sig = decodeSignature(signature);
  const message = Buffer.from(challengeMessage(did, nonce, consumed.expiresAt.toISOString()), 'utf8');
  if (!sig || !verifySignature(publicKey, message, sig)) {
    throw new DomainError('unauthenticated', 'invalid_signature', 'the signature does not verify: sign the UTF-8 bytes of message with the key of the DID (64-byte ed25519 signature, base64url or base64)');
  }
}

function checkDid(did: string): Ed25519PublicKey {
  try {
    return publicKeyFromDid(did);
  } catch (err) {
    if (err instanceof UnsupportedDid) throw new DomainError('invalid', 'unsupported_did', err.message);
    throw err;
  }
}

function decodeSignature(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  return bytes.length === 64 ? bytes : undefined;
}
