/** Principal layer (SPEC 4.1): `X-Chronos-Principal: <token>` proves the DID; the DID goes to c.var.did. */
import { createMiddleware } from 'hono/factory';
import type { TokenService } from '../../auth/token.js';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

/** What this middleware puts on the context. */
export interface PrincipalVars {
  did: string;
}

/** Builds the principal check around the token service. */
export function principalAuth(tokens: TokenService) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const token = c.req.header('x-chronos-principal');
    if (!token || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      throw new ApiError(401, 'invalid_token', 'missing or malformed X-Chronos-Principal: get a token from /v1/auth/challenge and /v1/auth/verify');
    }
    c.set('did', await tokens.verify(token));
    await next();
  });
}
