/**
 * Bounds the database work of each request: from its first database call,
 * `timeoutMs` for everything it waits on (a connection, its statements, a
 * group commit). Time spent reading the client's body before that does not
 * count. Past the deadline the work is cancelled and DatabaseTimeout reaches
 * `app.onError`, which answers 503 `database_unavailable` with Retry-After.
 */
import { createMiddleware } from 'hono/factory';
import { withDeadline } from '../../db/deadline.js';

/** Builds the middleware; `timeoutMs` must be positive. */
export function databaseDeadline(timeoutMs: number) {
  if (!(timeoutMs > 0)) throw new Error('databaseDeadline needs a positive timeout');
  return createMiddleware(async (_c, next) => withDeadline(timeoutMs, next));
}
