/** Transport layer (SPEC 4.1): `Authorization: Bearer <token>` on every /v1 route but the admin ones, compared in constant time. */
import { createMiddleware } from 'hono/factory';
import { bearerMatcher } from '../../auth/bearer.js';
import { ApiError } from '../errors.js';

/** Builds the check for the accepted tokens (at least one). */
export function transportAuth(tokens: readonly string[]) {
  const match = bearerMatcher(tokens);
  return createMiddleware(async (c, next) => {
    if (match(c.req.header('authorization')) < 0) throw new ApiError(401, 'unauthorized', 'missing or wrong transport token: send Authorization: Bearer <transport token>');
    await next();
  });
}
