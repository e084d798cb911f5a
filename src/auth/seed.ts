/** ed25519 seeds as configuration carries them (agent keys, wake signing keys): Node's own code only, so that loading the configuration loads no dependency. */
import { randomBytes } from 'node:crypto';

/** A new random seed. */
export function generateSeed(): Uint8Array {
  return randomBytes(32);
}

/** Parses a 32-byte seed written as 64 hex digits or 43 base64url characters. */
export function parseSeed(text: string): Uint8Array {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9_-]{43}=?$/.test(t)) return Buffer.from(t.replace(/=$/, ''), 'base64url');
  throw new Error('an agent key is a 32-byte seed: 64 hex digits or 43 base64url characters');
}
