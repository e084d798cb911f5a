/**
 * Counts each request by its route template, `/v1/alarms/{id}` as in the
 * route table and the OpenAPI document, never by its raw path: a path no
 * route matches is `unmatched`, so no caller can add series.
 */
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';

/** The route label of a request no route matched. */
export const UNMATCHED = 'unmatched';

/** Records one answered request. */
export type RequestRecorder = (method: string, route: string, status: number, seconds: number) => void;

/** Builds the middleware; register it first, on `*`, so it times and counts everything. */
export function httpMetrics(record: RequestRecorder) {
  // Hono's `:id` to the table's `{id}`, once per registered path (a fixed set: the app's routes).
  const templates = new Map<string, string>();
  const template = (path: string): string => {
    let t = templates.get(path);
    if (t === undefined) templates.set(path, (t = path.replace(/:(\w+)/g, '{$1}')));
    return t;
  };
  return createMiddleware(async (c, next) => {
    const started = performance.now();
    await next();
    // The middleware run on wildcards; the route is the first match that is not one, reached or not (a 401 from the
    // token check in front of it is still that route's).
    let route = UNMATCHED;
    for (const r of matchedRoutes(c)) {
      if (!r.path.endsWith('*')) {
        route = template(r.path);
        break;
      }
    }
    record(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
  });
}
