/**
 * `limits.rate` at the edge (SPEC 3.2, 4.3): per principal on alarm routes,
 * per client address on auth routes; a refused request is answered 429
 * `rate_limited` with Retry-After. The limiter holds the rate for the whole
 * deployment (limits/rate-limiter.ts).
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { RateLimiter } from '../../limits/rate-limiter.js';
import { ApiError } from '../errors.js';

/** Builds a middleware that takes one turn per request for the key `keyOf(c)`. */
export function rateLimit(limiter: RateLimiter, keyOf: (c: Context) => string) {
  const { perSecond, burst } = limiter.rate;
  return createMiddleware(async (c, next) => {
    const retryAfterS = await limiter.take(keyOf(c));
    if (retryAfterS !== undefined) {
      throw new ApiError(429, 'rate_limited', `too many requests: at most ${perSecond}/s with bursts of ${burst}; retry after ${retryAfterS}s`, undefined, { 'Retry-After': String(retryAfterS) });
    }
    await next();
  });
}
