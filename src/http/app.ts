/** buildApp(deps): the whole HTTP surface as a Hono app, without listening. */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { ApiError } from './errors.js';
import { requestId, type RequestIdVars } from './middleware/request-id.js';
import { healthRoutes, type HealthDeps } from './routes/health.js';

/** Everything the routes need, injected by the daemon or a test. */
export interface AppDeps {
  readonly log: Logger;
  readonly health: HealthDeps;
}

/** The Hono environment every route shares. */
export type AppEnv = { Variables: RequestIdVars };

/** Builds the app; the daemon serves it, tests call `app.request()`. */
export function buildApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requestId(deps.log));
  app.route('/', healthRoutes(deps.health));
  app.notFound((c) => c.json({ ok: false, error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      const error = err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
      return c.json({ ok: false, error }, err.status);
    }
    (c.get('log') ?? deps.log).error({ err }, 'unhandled error');
    return c.json({ ok: false, error: { code: 'internal', message: 'internal error; see the server log for this request id' } }, 500);
  });
  return app;
}
