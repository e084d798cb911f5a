/** buildApp(deps): the whole HTTP surface as a Hono app, without listening. */
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { TokenService } from '../auth/token.js';
import { isConnectionError } from '../db/errors.js';
import type { Rate } from '../config/units.js';
import { InvalidInput } from '../problems.js';
import type { Schema } from '../store/schema.js';
import { ApiError } from './errors.js';
import { principalAuth, type PrincipalVars } from './middleware/principal.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestId, type RequestIdVars } from './middleware/request-id.js';
import { transportAuth } from './middleware/transport-auth.js';
import { alarmRoutes } from './routes/alarms.js';
import { authRoutes } from './routes/auth.js';
import { healthRoutes, type HealthDeps } from './routes/health.js';

/** Everything the routes need, injected by the daemon or a test. */
export interface AppDeps {
  readonly log: Logger;
  readonly db: Kysely<Schema>;
  readonly health: HealthDeps;
  readonly transportTokens: readonly string[];
  readonly tokens: TokenService;
  readonly challengeTtlMs: number;
  readonly maxActiveAlarms: number;
  readonly pollIntervalMs: number;
  readonly rate: Rate;
  readonly now: () => number;
}

/** The Hono environment every route shares. */
export type AppEnv = { Variables: RequestIdVars & PrincipalVars };

/** The caller's address; `app.request()` in tests has no socket. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local';
  }
}

/** Builds the app; the daemon serves it, tests call `app.request()`. */
export function buildApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requestId(deps.log));
  app.route('/', healthRoutes(deps.health));
  app.use('/v1/*', transportAuth(deps.transportTokens));
  app.use('/v1/auth/*', rateLimit(deps.rate, (c) => `addr:${clientAddress(c)}`, deps.now));
  app.route('/v1/auth', authRoutes(deps));
  // In Hono '/v1/alarms/*' also matches '/v1/alarms' itself.
  app.use('/v1/alarms/*', principalAuth(deps.tokens));
  app.use('/v1/alarms/*', rateLimit(deps.rate, (c) => `did:${c.get('did')}`, deps.now));
  app.route('/v1/alarms', alarmRoutes(deps));

  app.notFound((c) => c.json({ ok: false, error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof InvalidInput) {
      return c.json({ ok: false, error: { code: 'invalid_request', message: err.message, details: err.problems } }, 400);
    }
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      const error = err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
      return c.json({ ok: false, error }, err.status);
    }
    if (isConnectionError(err)) {
      (c.get('log') ?? deps.log).warn({ err }, 'database unreachable');
      c.header('Retry-After', '1');
      return c.json({ ok: false, error: { code: 'database_unavailable', message: 'the database does not answer: retry shortly (a create retried with the same Idempotency-Key is made once)' } }, 503);
    }
    (c.get('log') ?? deps.log).error({ err }, 'unhandled error');
    return c.json({ ok: false, error: { code: 'internal', message: 'internal error; see the server log for this request id' } }, 500);
  });
  return app;
}
