/**
 * Principal tokens (SPEC 4.1, 10.2): HS256 JWTs with sub = DID, aud =
 * chronos, iat, exp, jti and scope (space-separated, as OAuth writes it). The
 * first secret signs; every secret verifies, so secrets rotate without
 * logging anyone out.
 */
import { randomBytes } from 'node:crypto';
import { sign, verify } from 'hono/jwt';
import { JwtTokenSignatureMismatched } from 'hono/utils/jwt/types';
import { SCOPES, type Scope } from '../api/auth.js';
import { DomainError } from '../errors.js';

const AUDIENCE = 'chronos';
// Verified tokens are remembered (by their exact text, so by their signature) up to this many: an agent sends
// the same token with every call for its lifetime, and an HMAC through WebCrypto costs more than the rest of a create.
const VERIFIED_CACHE_MAX = 10_000;

/** Who a valid token speaks for and what it allows. */
export interface Principal {
  readonly did: string;
  readonly scopes: readonly Scope[];
  /** When it was issued (the JWT's iat; to the millisecond since scopes came, whole seconds before). */
  readonly issuedAtMs: number;
}

/** Issues and verifies principal tokens with an injected clock. */
export interface TokenService {
  /** A token for `did` allowing `scopes` (all of them when left out). */
  issue(did: string, scopes?: readonly Scope[]): Promise<{ token: string; did: string; scopes: Scope[]; expires_at: string }>;
  /** The principal of a valid token; throws 401 token_expired or invalid_token. */
  verify(token: string): Promise<Principal>;
}

interface Claims extends Principal {
  readonly expMs: number;
}

/** The scopes of a token's scope claim; a token without one (issued before scopes existed) allows them all. */
function scopesOf(claim: unknown): Scope[] | undefined {
  if (claim === undefined) return [...SCOPES];
  if (typeof claim !== 'string') return undefined;
  const names = claim.split(' ');
  return names.every((n): n is Scope => (SCOPES as readonly string[]).includes(n)) ? names : undefined;
}

/** The claims of a token signed by one of `secrets` for our audience; throws 401 invalid_token. */
async function signedClaims(token: string, secrets: readonly string[]): Promise<Claims> {
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
  const { sub, exp, iat } = payload;
  const scopes = scopesOf(payload.scope);
  if (typeof sub !== 'string' || !sub.startsWith('did:') || typeof exp !== 'number' || typeof iat !== 'number' || !scopes) throw invalid();
  return { did: sub, scopes, issuedAtMs: Math.round(iat * 1000), expMs: exp * 1000 };
}

/** Builds the service; `secrets[0]` signs. */
export function tokenService(secrets: readonly string[], ttlMs: number, now: () => number): TokenService {
  if (secrets.length === 0) throw new Error('at least one token secret is required');
  const verified = new Map<string, Claims>();
  return {
    async issue(did, scopes = SCOPES) {
      // iat to the millisecond (a NumericDate may be fractional, RFC 7519 2): a revocation refuses the tokens issued
      // until its instant, and a token issued right after it, in the same second, stays good.
      const iat = now() / 1000;
      const exp = Math.floor(iat) + Math.max(1, Math.floor(ttlMs / 1000));
      // In the order SCOPES lists them, once each.
      const granted = SCOPES.filter((s) => scopes.includes(s));
      const token = await sign({ sub: did, aud: AUDIENCE, iat, exp, jti: randomBytes(12).toString('base64url'), scope: granted.join(' ') }, secrets[0]!, 'HS256');
      return { token, did, scopes: granted, expires_at: new Date(exp * 1000).toISOString() };
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
      return claims;
    },
  };
}
