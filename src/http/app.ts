/** buildApp(deps): the whole HTTP surface as a Hono app, without listening. */
import { Hono, type Handler, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { openApiDocument } from '../api/openapi.js';
import { honoPath, ROUTES, type RouteName, type RouteSpec } from '../api/routes.js';
import type { AdminService } from '../admin/service.js';
import type { FireHistory } from '../alarms/history.js';
import type { AuditLog } from '../audit/log.js';
import type { AlarmService } from '../alarms/service.js';
import type { EndpointService } from '../endpoints/service.js';
import type { OwnerControls } from '../auth/owner-controls.js';
import type { TokenService } from '../auth/token.js';
import type { WakeSigner } from '../auth/wake-signer.js';
import type { AdminToken } from '../config/keys.js';
import type { Rate } from '../config/units.js';
import { isConnectionError } from '../db/errors.js';
import { DomainError, type ErrorKind } from '../errors.js';
import { RateLimiter } from '../limits/rate-limiter.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Schema } from '../store/schema.js';
import type { AppEnv } from './env.js';
import { clientAddress } from './change-by.js';
import { ApiError } from './errors.js';
import { adminAuth } from './middleware/admin-auth.js';
import { databaseDeadline } from './middleware/database-deadline.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { principalAuth } from './middleware/principal.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestId } from './middleware/request-id.js';
import { transportAuth } from './middleware/transport-auth.js';
import { adminHandlers, auditHandlers } from './routes/admin.js';
import { alarmHandlers } from './routes/alarms.js';
import { authHandlers } from './routes/auth.js';
import { endpointHandlers } from './routes/endpoints.js';
import { healthHandlers, type HealthDeps } from './routes/health.js';
import { historyHandlers } from './routes/history.js';
import { latenessHandlers } from './routes/lateness.js';
import { scheduleHandlers } from './routes/schedules.js';
import { streamHandlers } from './routes/stream.js';
import { wellKnownHandlers } from './routes/well-known.js';
import { serveUi } from './ui.js';

export type { AppEnv } from './env.js';

/** Everything the routes need, injected by the daemon or a test. */
export interface AppDeps {
  readonly log: Logger;
  readonly db: Kysely<Schema>;
  readonly alarms: AlarmService;
  /** The delivery history search (GET /v1/fires). */
  readonly history: FireHistory;
  readonly endpoints: EndpointService;
  readonly admin: AdminService;
  readonly audit: AuditLog;
  readonly health: HealthDeps;
  readonly transportTokens: readonly string[];
  /** auth.admin_tokens; none: the admin routes refuse every request. */
  readonly adminTokens: readonly AdminToken[];
  readonly tokens: TokenService;
  /** The admin's suspensions and revocations, as this replica knows them. */
  readonly owners: OwnerControls;
  /** Publishes the wake signing keys. */
  readonly signer: WakeSigner;
  readonly challengeTtlMs: number;
  /** limits.rate, held by every replica on the database together. */
  readonly rate: Rate;
  /** How long the database work of one /v1 request may take, from its first database call (db.request_timeout). */
  readonly databaseTimeoutMs: number;
  readonly version: string;
  readonly now: () => number;
  /** Served at GET /metrics (metrics.enabled); none: no /metrics, and requests are not counted. */
  readonly metrics?: Metrics;
  /** metrics.public: /metrics without the admin token. */
  readonly metricsPublic?: boolean;
}

const ADMIN_PREFIX = '/v1/admin/';

/** The status of each kind of domain error: the one place that maps the domain to HTTP. */
const STATUS_OF: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition: 412,
  too_large: 413,
  limit: 429,
};

/** Builds the app; the daemon serves it, tests call `app.request()`. */
export function buildApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const metrics = deps.metrics;
  if (metrics) app.use('*', httpMetrics((method, route, status, seconds) => metrics.requestAnswered(method, route, status, seconds)));
  app.use('*', requestId(deps.log));
  // The admin routes take the admin token alone; every other /v1 path, a route or not, the transport token first.
  const transport = transportAuth(deps.transportTokens);
  const admin = adminAuth(deps.adminTokens);
  app.use('/v1/*', (c, next) => (c.req.path.startsWith(ADMIN_PREFIX) ? admin(c, next) : transport(c, next)));
  app.use('/v1/*', databaseDeadline(deps.databaseTimeoutMs));

  // Each layer's checks after the token above, in order (SPEC 4.1, 10.2).
  const limiter = new RateLimiter({ db: deps.db, rate: deps.rate, log: deps.log, now: deps.now, timeoutMs: deps.databaseTimeoutMs });
  const byAddress = rateLimit(limiter, (c) => `addr:${clientAddress(c)}`);
  const byPrincipal = rateLimit(limiter, (c) => `did:${c.get('did')}`);
  const layers = (route: RouteSpec): MiddlewareHandler<AppEnv>[] => {
    if (route.auth === 'principal') return [principalAuth(deps.tokens, deps.owners, route.scope), byPrincipal];
    return route.auth === 'transport' ? [byAddress] : [];
  };
  // One handler per route of the table: a route without one, or one without a route, does not compile.
  const handlers: Record<RouteName, Handler<AppEnv>> = {
    ...healthHandlers(deps.health),
    ...wellKnownHandlers(deps.signer),
    ...authHandlers(deps),
    ...alarmHandlers(deps.alarms, deps.now),
    ...historyHandlers(deps.history),
    ...scheduleHandlers(deps.now),
    ...endpointHandlers(deps.endpoints, deps.now),
    ...streamHandlers(),
    ...auditHandlers(deps.audit),
    ...adminHandlers(deps),
    ...latenessHandlers(deps.db),
  };
  for (const [name, route] of Object.entries(ROUTES) as [RouteName, (typeof ROUTES)[RouteName]][]) {
    if (((route as RouteSpec).auth === 'admin') !== route.path.startsWith(ADMIN_PREFIX)) throw new Error(`route ${name}: admin routes, and only they, live under ${ADMIN_PREFIX}`);
    const chain: Handler<AppEnv>[] = [...layers(route), handlers[name]];
    app.on(route.method.toUpperCase(), [honoPath(route)], ...(chain as [Handler<AppEnv>]));
  }
  serveUi(app, deps.version);
  const document = JSON.stringify(openApiDocument(deps.version));
  app.get('/openapi.json', (c) => c.body(document, 200, { 'Content-Type': 'application/json' }));
  if (metrics) {
    const serve: Handler<AppEnv> = async (c) => c.body(await metrics.exposition(), 200, { 'Content-Type': metrics.contentType });
    if (deps.metricsPublic) app.get('/metrics', serve);
    else app.get('/metrics', admin, serve);
  }

  app.notFound((c) => c.json({ ok: false, error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => {
    if (err instanceof DomainError || err instanceof ApiError) {
      const status = err instanceof DomainError ? STATUS_OF[err.kind] : err.status;
      if (err instanceof ApiError) for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      const error = err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
      return c.json({ ok: false, error }, status);
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
