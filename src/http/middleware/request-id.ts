/** X-Request-Id: keep a well-formed incoming id, else mint one; expose it and a child logger on c.var. */
import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';

const VALID_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Values this middleware puts on the context. */
export interface RequestIdVars {
  requestId: string;
  log: Logger;
}

/** Builds the request-id middleware around the process logger. */
export function requestId(log: Logger) {
  return createMiddleware<{ Variables: RequestIdVars }>(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const id = incoming !== undefined && VALID_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', id);
    c.set('log', log.child({ request_id: id }));
    c.header('X-Request-Id', id);
    await next();
  });
}
