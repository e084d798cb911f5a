/** Who makes a change through a request, for its audit entry (SPEC 10.3): the actor, the request id and the client's address. */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { ChangeBy } from '../audit/entry.js';
import type { AppEnv } from './env.js';

/** The caller's address; `app.request()` in tests has no socket. */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local';
  }
}

/** The request's actor (set by the principal or admin layer), id and client address. */
export function changeBy(c: Context<AppEnv>): ChangeBy {
  return { actor: c.get('actor'), requestId: c.get('requestId'), clientIp: clientAddress(c) };
}
