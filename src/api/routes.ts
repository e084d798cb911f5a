/**
 * Every route of the API, once: method, path, who may call it, what it takes
 * and what it answers. `http/` registers its handlers by these entries, and
 * the OpenAPI document (openapi.ts) is written from them, so the two cannot
 * drift; a test checks that the app serves exactly these.
 */
import { z } from 'zod';
import { AlarmId, AlarmPage, AlarmView, CreateAlarm, FireNowView, FirePage, ListAlarmsQuery, ListFiresQuery, UpdateAlarm } from './alarms.js';
import { ChallengeRequest, ChallengeView, TokenView, VerifyRequest, type Scope } from './auth.js';
import { CreateEndpoint, EndpointId, EndpointPage, EndpointView, EndpointWithSecret, ListEndpointsQuery, UpdateEndpoint } from './endpoints.js';
import { SearchFiresQuery } from './history.js';
import { PreviewRequest, PreviewView } from './schedules.js';
import { StreamQuery } from './stream.js';
import { WellKnownView } from './well-known.js';

/** Who may call a route (SPEC 4.1, 10.1): nobody in particular, a transport token, a principal token (and the transport token), an admin token alone. */
export type RouteAuth = 'none' | 'transport' | 'principal' | 'admin';

/** How a route is authenticated: a principal route names the scope its token must allow (SPEC 10.2). */
export type RouteAccess = { readonly auth: 'principal'; readonly scope: Scope } | { readonly auth: Exclude<RouteAuth, 'principal'>; readonly scope?: never };

/** One route. */
export type RouteSpec = RouteAccess & {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI form: `/v1/alarms/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly params?: Readonly<Record<string, z.ZodType>>;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Success answers by status: a description and the `data` of the envelope (null: no body, as a 101). */
  readonly ok: Readonly<Record<number, { readonly description: string; readonly data: z.ZodType | null }>>;
  /** The error codes the route may answer besides the ones every route of its auth layer may. */
  readonly errors: readonly string[];
};

/** The health object (SPEC 4.2), the one answer without an envelope. */
export const HealthView = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    db: z.enum(['ok', 'down']),
    dispatch: z.string().describe('"running", "stopping", or "idle: <why>".'),
    version: z.string(),
    uptime_s: z.number().int(),
  })
  .meta({ id: 'Health' });

/** The routes, by name. */
export const ROUTES = {
  health: {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and readiness: 200 while the database answers, 503 (status degraded) while it does not.',
    auth: 'none',
    ok: { 200: { description: 'Healthy (the bare health object, no envelope).', data: HealthView } },
    errors: [],
  },
  wellKnown: {
    method: 'get',
    path: '/.well-known/chronos',
    summary: 'The public keys that sign wakes, as did:keys (the bare document, no envelope): a receiver checks a wake\'s v1a signature with them.',
    auth: 'none',
    ok: { 200: { description: 'The keys, the signing one first.', data: WellKnownView } },
    errors: [],
  },
  challenge: {
    method: 'post',
    path: '/v1/auth/challenge',
    summary: 'Ask for a nonce to sign with the key of a did:key.',
    auth: 'transport',
    body: ChallengeRequest,
    ok: { 200: { description: 'The challenge: sign message with the DID\'s key.', data: ChallengeView } },
    errors: ['unsupported_did', 'rate_limited'],
  },
  verify: {
    method: 'post',
    path: '/v1/auth/verify',
    summary: 'Prove the DID with the signed challenge; answers a principal token.',
    auth: 'transport',
    body: VerifyRequest,
    ok: { 200: { description: 'A principal token for X-Chronos-Principal.', data: TokenView } },
    errors: ['unsupported_did', 'invalid_nonce', 'invalid_signature', 'rate_limited'],
  },
  createAlarm: {
    method: 'post',
    path: '/v1/alarms',
    summary: 'Set an alarm: once, cron or rrule, with a wake message and an opaque payload.',
    auth: 'principal',
    scope: 'alarms:write',
    body: CreateAlarm,
    ok: { 201: { description: 'Created.', data: AlarmView }, 200: { description: 'The existing alarm of a replayed idempotency key.', data: AlarmView } },
    errors: ['idempotency_conflict', 'quota_exceeded', 'rate_limited'],
  },
  listAlarms: {
    method: 'get',
    path: '/v1/alarms',
    summary: 'The caller\'s alarms, newest first.',
    auth: 'principal',
    scope: 'alarms:read',
    query: ListAlarmsQuery,
    ok: { 200: { description: 'A page of alarms.', data: AlarmPage } },
    errors: ['rate_limited'],
  },
  getAlarm: {
    method: 'get',
    path: '/v1/alarms/{id}',
    summary: 'One of the caller\'s alarms.',
    auth: 'principal',
    scope: 'alarms:read',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm.', data: AlarmView } },
    errors: ['not_found', 'rate_limited'],
  },
  updateAlarm: {
    method: 'patch',
    path: '/v1/alarms/{id}',
    summary:
      'Change a scheduled or paused alarm in place: a JSON merge patch (application/merge-patch+json or application/json), validated as a create. A changed schedule is due at its first occurrence from now. If-Match with the ETag of a GET makes the change only if the alarm is still as read.',
    auth: 'principal',
    scope: 'alarms:write',
    params: { id: AlarmId },
    body: UpdateAlarm,
    ok: { 200: { description: 'The alarm as changed (its new ETag in the header).', data: AlarmView } },
    errors: ['not_found', 'alarm_busy', 'not_updatable', 'precondition_failed', 'rate_limited'],
  },
  pauseAlarm: {
    method: 'post',
    path: '/v1/alarms/{id}/pause',
    summary: 'Pause a scheduled alarm: nothing fires until it is resumed; again on a paused one is fine.',
    auth: 'principal',
    scope: 'alarms:write',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm, paused.', data: AlarmView } },
    errors: ['not_found', 'alarm_busy', 'not_updatable', 'rate_limited'],
  },
  resumeAlarm: {
    method: 'post',
    path: '/v1/alarms/{id}/resume',
    summary: 'Resume a paused alarm at its next occurrence; the occurrences missed while paused follow its misfire policy. Again on a scheduled one is fine.',
    auth: 'principal',
    scope: 'alarms:write',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm, scheduled again (or completed, when its schedule ended while paused and its misfire policy is skip).', data: AlarmView } },
    errors: ['not_found', 'not_updatable', 'quota_exceeded', 'rate_limited'],
  },
  fireAlarm: {
    method: 'post',
    path: '/v1/alarms/{id}/fire',
    summary: 'Fire a scheduled or paused alarm once now, beside its schedule (which stays as it is): the wake and its attempts carry manual: true and a fire_id of their own.',
    auth: 'principal',
    scope: 'alarms:write',
    params: { id: AlarmId },
    ok: { 202: { description: 'The extra occurrence is due now; its attempts show in the alarm\'s fires.', data: FireNowView } },
    errors: ['not_found', 'alarm_busy', 'not_updatable', 'rate_limited'],
  },
  cancelAlarm: {
    method: 'delete',
    path: '/v1/alarms/{id}',
    summary: 'Cancel a scheduled, firing or paused alarm (and any fire-now occurrence of it still to be sent); again on a cancelled one is fine.',
    auth: 'principal',
    scope: 'alarms:write',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm, cancelled.', data: AlarmView } },
    errors: ['not_found', 'not_cancellable', 'rate_limited'],
  },
  listFires: {
    method: 'get',
    path: '/v1/alarms/{id}/fires',
    summary: 'Every delivery attempt of one of the caller\'s alarms, newest first.',
    auth: 'principal',
    scope: 'alarms:read',
    params: { id: AlarmId },
    query: ListFiresQuery,
    ok: { 200: { description: 'A page of attempts.', data: FirePage } },
    errors: ['not_found', 'rate_limited'],
  },
  searchFires: {
    method: 'get',
    path: '/v1/fires',
    summary: 'Every delivery attempt of every alarm of the caller, newest first, narrowed by alarm, tag, outcome and start time (since inclusive, until exclusive).',
    auth: 'principal',
    scope: 'alarms:read',
    query: SearchFiresQuery,
    ok: { 200: { description: 'A page of attempts.', data: FirePage } },
    errors: ['rate_limited'],
  },
  previewSchedule: {
    method: 'post',
    path: '/v1/schedules/preview',
    summary: 'The next occurrences of a schedule from now, in UTC and in its tz, validated exactly as a create validates its schedule fields; nothing is stored.',
    auth: 'principal',
    scope: 'alarms:read',
    body: PreviewRequest,
    ok: { 200: { description: 'The occurrences, oldest first (fewer than count when until or max_fires ends the schedule).', data: PreviewView } },
    errors: ['rate_limited'],
  },
  createEndpoint: {
    method: 'post',
    path: '/v1/endpoints',
    summary: 'Register a webhook endpoint; the answer shows its signing secret, this once.',
    auth: 'principal',
    scope: 'endpoints:write',
    body: CreateEndpoint,
    ok: { 201: { description: 'Created, with its secret.', data: EndpointWithSecret } },
    errors: ['destination_not_allowed', 'quota_exceeded', 'rate_limited'],
  },
  listEndpoints: {
    method: 'get',
    path: '/v1/endpoints',
    summary: 'The caller\'s webhook endpoints, newest first (without secrets).',
    auth: 'principal',
    scope: 'alarms:read',
    query: ListEndpointsQuery,
    ok: { 200: { description: 'A page of endpoints.', data: EndpointPage } },
    errors: ['rate_limited'],
  },
  getEndpoint: {
    method: 'get',
    path: '/v1/endpoints/{id}',
    summary: 'One of the caller\'s webhook endpoints (without its secret).',
    auth: 'principal',
    scope: 'alarms:read',
    params: { id: EndpointId },
    ok: { 200: { description: 'The endpoint.', data: EndpointView } },
    errors: ['not_found', 'rate_limited'],
  },
  updateEndpoint: {
    method: 'patch',
    path: '/v1/endpoints/{id}',
    summary: 'Change an endpoint: the fields given replace the stored ones (a JSON merge patch; description null clears it).',
    auth: 'principal',
    scope: 'endpoints:write',
    params: { id: EndpointId },
    body: UpdateEndpoint,
    ok: { 200: { description: 'The endpoint as changed.', data: EndpointView } },
    errors: ['not_found', 'destination_not_allowed', 'rate_limited'],
  },
  deleteEndpoint: {
    method: 'delete',
    path: '/v1/endpoints/{id}',
    summary: 'Delete an endpoint; refused while an alarm that may still fire targets it.',
    auth: 'principal',
    scope: 'endpoints:write',
    params: { id: EndpointId },
    ok: { 200: { description: 'The endpoint as it was.', data: EndpointView } },
    errors: ['not_found', 'endpoint_in_use', 'rate_limited'],
  },
  rotateEndpointSecret: {
    method: 'post',
    path: '/v1/endpoints/{id}/rotate-secret',
    summary: 'A new signing secret, shown this once; the old one keeps signing beside it for webhook.secret_grace (default 24h).',
    auth: 'principal',
    scope: 'endpoints:write',
    params: { id: EndpointId },
    ok: { 200: { description: 'The endpoint with its new secret.', data: EndpointWithSecret } },
    errors: ['not_found', 'rate_limited'],
  },
  stream: {
    method: 'get',
    path: '/v1/stream',
    summary:
      'The agent\'s own stream of wakes (SPEC 8.3): a WebSocket. The tokens go as headers, or as the query parameters access_token and principal; each wake is a text message, answered {"type":"ack","fire_id"} or {"type":"nack","fire_id","retry","error"?} (docs/targets.md). A GET without Upgrade: websocket is answered 426.',
    auth: 'principal',
    scope: 'stream',
    query: StreamQuery,
    ok: { 101: { description: 'Switching Protocols: the WebSocket is open; a {"type":"ready"} message says the connection is a listener.', data: null } },
    errors: ['upgrade_required', 'too_many_connections', 'stream_unavailable', 'rate_limited'],
  },
} as const satisfies Record<string, RouteSpec>;

/** A route's name. */
export type RouteName = keyof typeof ROUTES;

/** A route's path as Hono writes it: `/v1/alarms/:id`. */
export function honoPath(route: RouteSpec): string {
  return route.path.replace(/\{(\w+)\}/g, ':$1');
}
