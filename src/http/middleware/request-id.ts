/** X-Request-Id: keep a well-formed incoming id, else mint one; expose it and a child logger on c.var; log each request at debug. */
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
    const child = log.child({ request_id: id });
    c.set('requestId', id);
    c.set('log', child);
    c.header('X-Request-Id', id);
    const started = performance.now();
    await next();
    // Debug level: at thousands of requests a second an info line each would cost more than the request.
    child.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 10) / 10 }, 'request');
  });
}
