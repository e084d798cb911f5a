/**
 * Token buckets per key (SPEC 3.2 `limits.rate`): per principal on alarm
 * routes, per client address on auth routes. Buckets live in this process,
 * so each replica enforces the rate on its own.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Rate } from '../../config/units.js';
import { ApiError } from '../errors.js';

interface Bucket {
  tokens: number;
  atMs: number;
}

// Full buckets are forgotten once this many keys are tracked, so the map stays bounded.
const MAX_TRACKED_KEYS = 100_000;

/** Builds a limiter that takes one token per request from the bucket of `keyOf(c)`. */
export function rateLimit(rate: Rate, keyOf: (c: Context) => string, now: () => number) {
  if (!(rate.perSecond > 0) || !(rate.burst >= 1)) throw new Error('rateLimit needs a positive rate and a burst of at least 1');
  const buckets = new Map<string, Bucket>();
  const refill = (b: Bucket, t: number) => {
    b.tokens = Math.min(rate.burst, b.tokens + ((t - b.atMs) / 1000) * rate.perSecond);
    b.atMs = t;
  };
  return createMiddleware(async (c, next) => {
    const t = now();
    const key = keyOf(c);
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= MAX_TRACKED_KEYS) {
        for (const [k, b] of buckets) {
          refill(b, t);
          if (b.tokens >= rate.burst) buckets.delete(k);
        }
      }
      bucket = { tokens: rate.burst, atMs: t };
      buckets.set(key, bucket);
    }
    refill(bucket, t);
    if (bucket.tokens < 1) {
      const retryAfterS = Math.max(1, Math.ceil((1 - bucket.tokens) / rate.perSecond));
      throw new ApiError(429, 'rate_limited', `too many requests: at most ${rate.perSecond}/s with bursts of ${rate.burst}; retry after ${retryAfterS}s`, undefined, { 'Retry-After': String(retryAfterS) });
    }
    bucket.tokens -= 1;
    await next();
  });
}
