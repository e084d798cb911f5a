/**
 * Principal tokens (SPEC 4.1): HS256 JWTs with sub = DID, aud = chronos,
 * iat, exp and jti. The first secret signs; every secret verifies, so
 * secrets rotate without logging anyone out.
 */
import { randomBytes } from 'node:crypto';
import { sign, verify } from 'hono/jwt';
import { JwtTokenSignatureMismatched } from 'hono/utils/jwt/types';
import { DomainError } from '../errors.js';

const AUDIENCE = 'chronos';
// Verified tokens are remembered (by their exact text, so by their signature) up to this many: an agent sends
// the same token with every call for its lifetime, and an HMAC through WebCrypto costs more than the rest of a create.
const VERIFIED_CACHE_MAX = 10_000;

/** Issues and verifies principal tokens with an injected clock. */
export interface TokenService {
  issue(did: string): Promise<{ token: string; did: string; expires_at: string }>;
  /** The DID of a valid token; throws 401 token_expired or invalid_token. */
  verify(token: string): Promise<string>;
}

/** The DID and expiry of a token signed by one of `secrets` for our audience; throws 401 invalid_token. */
async function signedClaims(token: string, secrets: readonly string[]): Promise<{ did: string; expMs: number }> {
  const invalid = () => new DomainError('unauthenticated', 'invalid_token', 'the principal token is not valid: get a new one from /v1/auth/challenge and /v1/auth/verify');
  let payload: Record<string, unknown> | undefined;
  for (const secret of secrets) {
    try {
      // Signature and audience first; time claims by the caller, with our clock.
      payload = await verify(token, secret, { alg: 'HS256', aud: AUDIENCE, exp: false, nbf: false, iat: false });
      break;
    } catch (err) {
      if (err instanceof JwtTokenSignatureMismatched) continue;
      throw invalid();
    }
  }
  if (!payload) throw invalid();
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || !sub.startsWith('did:') || typeof exp !== 'number') throw invalid();
  return { did: sub, expMs: exp * 1000 };
}

/** Builds the service; `secrets[0]` signs. */
export function tokenService(secrets: readonly string[], ttlMs: number, now: () => number): TokenService {
  if (secrets.length === 0) throw new Error('at least one token secret is required');
  const verified = new Map<string, { did: string; expMs: number }>();
  return {
    async issue(did) {
      const iat = Math.floor(now() / 1000);
      const exp = iat + Math.max(1, Math.floor(ttlMs / 1000));
      const token = await sign({ sub: did, aud: AUDIENCE, iat, exp, jti: randomBytes(12).toString('base64url') }, secrets[0]!, 'HS256');
      return { token, did, expires_at: new Date(exp * 1000).toISOString() };
    },
    async verify(token) {
      let claims = verified.get(token);
      if (!claims) {
        claims = await signedClaims(token, secrets);
        if (verified.size >= VERIFIED_CACHE_MAX) verified.delete(verified.keys().next().value!);
        verified.set(token, claims);
      }
      if (claims.expMs <= now()) {
        verified.delete(token);
        throw new DomainError('unauthenticated', 'token_expired', 'the principal token expired: get a new one from /v1/auth/challenge and /v1/auth/verify');
      }
      return claims.did;
    },
  };
}
