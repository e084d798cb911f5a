/**
 * Principal layer (SPEC 4.1, 10.1, 10.2): `X-Chronos-Principal: <token>`
 * proves the DID, which goes to c.var.did (and is the actor of what the
 * request changes); the admin's controls must let it through (not revoked,
 * not suspended) and the token must allow the route's scope.
 */
import { createMiddleware } from 'hono/factory';
import type { Scope } from '../../api/auth.js';
import type { OwnerControls } from '../../auth/owner-controls.js';
import type { TokenService } from '../../auth/token.js';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

/** What this middleware puts on the context. */
export interface PrincipalVars {
  did: string;
}

/** Builds the principal check around the token service and the owners' controls, for a route that needs `scope`. */
export function principalAuth(tokens: TokenService, owners: OwnerControls, scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const token = c.req.header('x-chronos-principal');
    if (!token || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      throw new ApiError(401, 'invalid_token', 'missing or malformed X-Chronos-Principal: get a token from /v1/auth/challenge and /v1/auth/verify');
    }
    const principal = await tokens.verify(token);
    owners.check(principal);
    if (!principal.scopes.includes(scope)) {
      throw new ApiError(403, 'insufficient_scope', `this token does not allow ${scope}: get one whose scopes include it from /v1/auth/verify`, { scope, token_scopes: principal.scopes });
    }
    c.set('did', principal.did);
    c.set('actor', principal.did);
    await next();
  });
}
