/** Transport layer (SPEC 4.1): `Authorization: Bearer <token>` on every /v1 route, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Builds the check for the accepted tokens (at least one). */
export function transportAuth(tokens: readonly string[]) {
  if (tokens.length === 0 || tokens.some((t) => t.length === 0)) throw new Error('transportAuth needs at least one non-empty token');
  // Comparing fixed-length digests keeps the time independent of where, and whether, the lengths differ.
  const accepted = tokens.map(digest);
  return createMiddleware(async (c, next) => {
    const m = /^Bearer ([^\s]+)$/.exec(c.req.header('authorization') ?? '');
    const given = digest(m?.[1] ?? '');
    let ok = false;
    for (const a of accepted) ok = timingSafeEqual(a, given) || ok;
    if (!m || !ok) throw new ApiError(401, 'unauthorized', 'missing or wrong transport token: send Authorization: Bearer <transport token>');
    await next();
  });
}
