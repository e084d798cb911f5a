/**
 * Admin layer (SPEC 10.1): `Authorization: Bearer <admin token>` and nothing
 * else; the token's name becomes the actor, `admin:<name>`. Without admin
 * tokens configured every request is refused.
 */
import { createMiddleware } from 'hono/factory';
import { bearerMatcher } from '../../auth/bearer.js';
import type { AdminToken } from '../../config/keys.js';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

/** Builds the check for the configured admin tokens (none: every request is 401). */
export function adminAuth(tokens: readonly AdminToken[]) {
  const match = tokens.length > 0 ? bearerMatcher(tokens.map((t) => t.token)) : () => -1;
  return createMiddleware<AppEnv>(async (c, next) => {
    const i = match(c.req.header('authorization'));
    if (i < 0) {
      const hint = tokens.length > 0 ? 'send Authorization: Bearer <admin token> (a transport or principal token is not one)' : 'no admin tokens are configured: set CHRONOS_ADMIN_TOKENS (name:token)';
      throw new ApiError(401, 'unauthorized', `missing or wrong admin token: ${hint}`);
    }
    c.set('actor', `admin:${tokens[i]!.name}`);
    await next();
  });
}
