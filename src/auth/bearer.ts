/** Bearer tokens compared in constant time (SPEC 4.1, 10.1): the transport tokens and the admin tokens. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Builds a matcher for `tokens` (at least one, none empty): given an
 * `Authorization` header, the index of the token it carries as
 * `Bearer <token>`, or -1. Every accepted token is compared, each through a
 * fixed-length digest, so the time depends neither on which one matches nor
 * on where, or whether, the lengths differ.
 */
export function bearerMatcher(tokens: readonly string[]): (authorization: string | undefined) => number {
  if (tokens.length === 0 || tokens.some((t) => t.length === 0)) throw new Error('a bearer check needs at least one non-empty token');
  const accepted = tokens.map(digest);
  return (authorization) => {
    const m = /^Bearer ([^\s]+)$/.exec(authorization ?? '');
    const given = digest(m?.[1] ?? '');
    let found = -1;
    for (const [i, a] of accepted.entries()) if (timingSafeEqual(a, given) && m) found = i;
    return found;
  };
}
