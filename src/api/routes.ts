/**
 * Every route of the API, once: method, path, who may call it, what it takes
 * and what it answers. `http/` registers its handlers by these entries, and
 * the OpenAPI document (openapi.ts) is written from them, so the two cannot
 * drift; a test checks that the app serves exactly these.
 */
import { z } from 'zod';
import type { AuditAction } from '../audit/entry.js';
import { AdminStatusView, ListAdminAlarmsQuery, OwnerDid, OwnerView, SuspendRequest } from './admin.js';
import { AuditPage, ListAuditQuery } from './audit.js';
import { AlarmId, AlarmPage, AlarmView, CreateAlarm, FireNowView, FirePage, ListAlarmsQuery, ListFiresQuery, UpdateAlarm } from './alarms.js';
import { ChallengeRequest, ChallengeView, TokenView, VerifyRequest, type Scope } from './auth.js';
import { CreateEndpoint, EndpointId, EndpointPage, EndpointView, EndpointWithSecret, ListEndpointsQuery, UpdateEndpoint } from './endpoints.js';
import { SearchFiresQuery } from './history.js';
import { LatenessQuery, LatenessView } from './lateness.js';
import { AlarmPreviewQuery, PreviewRequest, PreviewView } from './schedules.js';
import { StreamQuery } from './stream.js';
import { WellKnownView } from './well-known.js';

/** Who may call a route (SPEC 4.1, 10.1): nobody in particular, a transport token, a principal token (and the transport token), an admin token alone. */
export type RouteAuth = 'none' | 'transport' | 'principal' | 'admin';

/** How a route is authenticated: a principal route names the scope its token must allow (SPEC 10.2). */
export type RouteAccess = { readonly auth: 'principal'; readonly scope: Scope } | { readonly auth: Exclude<RouteAuth, 'principal'>; readonly scope?: never };

/**
 * What a route changes: every route but a GET names the audit action it
 * writes with its change (SPEC 10.3), or null when it changes nothing the
 * audit log records (a challenge, a preview); a test calls each one and
 * looks for its entry.
 */
export type RouteChange = { readonly method: 'get'; readonly audit?: never } | { readonly method: 'post' | 'patch' | 'delete'; readonly audit: AuditAction | null };

/** One route. */
export type RouteSpec = RouteAccess & RouteChange & {
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
    audit: null,
    summary: 'Ask for a nonce to sign with the key of a did:key.',
    auth: 'transport',
    body: ChallengeRequest,
    ok: { 200: { description: 'The challenge: sign message with the DID\'s key.', data: ChallengeView } },
    errors: ['unsupported_did', 'rate_limited'],
  },
  verify: {
    method: 'post',
    path: '/v1/auth/verify',
    audit: null,
    summary: 'Prove the DID with the signed challenge; answers a principal token.',
    auth: 'transport',
    body: VerifyRequest,
    ok: { 200: { description: 'A principal token for X-Chronos-Principal.', data: TokenView } },
    errors: ['unsupported_did', 'invalid_nonce', 'invalid_signature', 'rate_limited'],
  },
  createAlarm: {
    method: 'post',
    path: '/v1/alarms',
    audit: 'alarm.create',
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
    audit: 'alarm.update',
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
    audit: 'alarm.pause',
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
    audit: 'alarm.resume',
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
    audit: 'alarm.fire',
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
    audit: 'alarm.cancel',
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
  alarmPreview: {
    method: 'get',
    path: '/v1/alarms/{id}/preview',
    summary: 'The coming occurrences of one of the caller\'s alarms from now, as it will fire them: none once it is finished, at most its fires left under max_fires; a paused alarm\'s as if resumed now.',
    auth: 'principal',
    scope: 'alarms:read',
    params: { id: AlarmId },
    query: AlarmPreviewQuery,
    ok: { 200: { description: 'The occurrences, oldest first.', data: PreviewView } },
    errors: ['not_found', 'rate_limited'],
  },
  lateness: {
    method: 'get',
    path: '/v1/lateness',
    summary: 'How late the caller\'s wakes were, per minute: first attempts, scheduled_for to answer, counted in the buckets of the chronos_wake_lateness_seconds metric; and its due backlog now.',
    auth: 'principal',
    scope: 'alarms:read',
    query: LatenessQuery,
    ok: { 200: { description: 'The plot.', data: LatenessView } },
    errors: ['rate_limited'],
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
    audit: null,
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
    audit: 'endpoint.create',
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
    audit: 'endpoint.update',
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
    audit: 'endpoint.delete',
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
    audit: 'endpoint.rotate_secret',
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
  listAudit: {
    method: 'get',
    path: '/v1/audit',
    summary: 'The audit log of the caller\'s own alarms, endpoints and account, newest first: who changed what, when, through which request.',
    auth: 'principal',
    scope: 'alarms:read',
    query: ListAuditQuery,
    ok: { 200: { description: 'A page of entries.', data: AuditPage } },
    errors: ['rate_limited'],
  },
  adminListAlarms: {
    method: 'get',
    path: '/v1/admin/alarms',
    summary: 'Every owner\'s alarms, newest first, narrowed by owner, status, tag and target type.',
    auth: 'admin',
    query: ListAdminAlarmsQuery,
    ok: { 200: { description: 'A page of alarms.', data: AlarmPage } },
    errors: [],
  },
  adminGetAlarm: {
    method: 'get',
    path: '/v1/admin/alarms/{id}',
    summary: 'Any owner\'s alarm.',
    auth: 'admin',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm.', data: AlarmView } },
    errors: ['not_found'],
  },
  adminCancelAlarm: {
    method: 'post',
    path: '/v1/admin/alarms/{id}/cancel',
    audit: 'alarm.cancel',
    summary: 'Cancel any owner\'s alarm, as its owner\'s DELETE does; the audit log names the admin.',
    auth: 'admin',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm, cancelled.', data: AlarmView } },
    errors: ['not_found', 'not_cancellable'],
  },
  adminPauseAlarm: {
    method: 'post',
    path: '/v1/admin/alarms/{id}/pause',
    audit: 'alarm.pause',
    summary: 'Pause any owner\'s alarm, as its owner\'s pause does; the audit log names the admin.',
    auth: 'admin',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm, paused.', data: AlarmView } },
    errors: ['not_found', 'alarm_busy', 'not_updatable'],
  },
  adminResumeAlarm: {
    method: 'post',
    path: '/v1/admin/alarms/{id}/resume',
    audit: 'alarm.resume',
    summary: 'Resume any owner\'s paused alarm, as its owner\'s resume does; the audit log names the admin.',
    auth: 'admin',
    params: { id: AlarmId },
    ok: { 200: { description: 'The alarm, scheduled again (or completed).', data: AlarmView } },
    errors: ['not_found', 'not_updatable', 'quota_exceeded'],
  },
  adminFireAlarm: {
    method: 'post',
    path: '/v1/admin/alarms/{id}/fire',
    audit: 'alarm.fire',
    summary: 'Fire any owner\'s scheduled or paused alarm once now, as its owner\'s fire does; the audit log names the admin.',
    auth: 'admin',
    params: { id: AlarmId },
    ok: { 202: { description: 'The extra occurrence is due now.', data: FireNowView } },
    errors: ['not_found', 'alarm_busy', 'not_updatable'],
  },
  adminListFires: {
    method: 'get',
    path: '/v1/admin/alarms/{id}/fires',
    summary: 'Every delivery attempt of any owner\'s alarm, newest first.',
    auth: 'admin',
    params: { id: AlarmId },
    query: ListFiresQuery,
    ok: { 200: { description: 'A page of attempts.', data: FirePage } },
    errors: ['not_found'],
  },
  adminAlarmPreview: {
    method: 'get',
    path: '/v1/admin/alarms/{id}/preview',
    summary: 'The coming occurrences of any owner\'s alarm, as GET /v1/alarms/{id}/preview answers its owner.',
    auth: 'admin',
    params: { id: AlarmId },
    query: AlarmPreviewQuery,
    ok: { 200: { description: 'The occurrences, oldest first.', data: PreviewView } },
    errors: ['not_found'],
  },
  adminLateness: {
    method: 'get',
    path: '/v1/admin/lateness',
    summary: 'How late the wakes of every replica were, per minute: the first attempts counted by chronos_wake_lateness_seconds, stored by each replica every few seconds and summed; with the due backlog the replicas counted.',
    auth: 'admin',
    query: LatenessQuery,
    ok: { 200: { description: 'The plot.', data: LatenessView } },
    errors: [],
  },
  adminGetOwner: {
    method: 'get',
    path: '/v1/admin/owners/{did}',
    summary: 'What applies to an owner: its suspension and the revocation of its tokens.',
    auth: 'admin',
    params: { did: OwnerDid },
    ok: { 200: { description: 'The owner\'s controls (none for an owner nobody acted on).', data: OwnerView } },
    errors: [],
  },
  adminSuspendOwner: {
    method: 'post',
    path: '/v1/admin/owners/{did}/suspend',
    audit: 'owner.suspend',
    summary: 'Suspend an owner: its alarms do not fire (they wait, then follow their misfire policy once it is unsuspended) and its requests answer 403 owner_suspended, on every replica within seconds.',
    auth: 'admin',
    params: { did: OwnerDid },
    body: SuspendRequest,
    ok: { 200: { description: 'The owner, suspended.', data: OwnerView } },
    errors: [],
  },
  adminUnsuspendOwner: {
    method: 'post',
    path: '/v1/admin/owners/{did}/unsuspend',
    audit: 'owner.unsuspend',
    summary: 'Lift an owner\'s suspension: its alarms are due again, those missed following their misfire policy.',
    auth: 'admin',
    params: { did: OwnerDid },
    ok: { 200: { description: 'The owner, not suspended.', data: OwnerView } },
    errors: [],
  },
  adminRevokeTokens: {
    method: 'post',
    path: '/v1/admin/owners/{did}/revoke-tokens',
    audit: 'owner.revoke_tokens',
    summary: 'Refuse every principal token of the DID issued until now (401 token_revoked), on every replica within 5 s; the agent gets a new one by proving its key again.',
    auth: 'admin',
    params: { did: OwnerDid },
    ok: { 200: { description: 'The owner, with the instant its tokens were revoked.', data: OwnerView } },
    errors: [],
  },
  adminStatus: {
    method: 'get',
    path: '/v1/admin/status',
    summary: 'The deployment at a glance, from real counts: alarms by status and target, the due backlog, attempts by outcome, the replicas seen in the last 30 s, the owners with most active alarms.',
    auth: 'admin',
    ok: { 200: { description: 'The status.', data: AdminStatusView } },
    errors: [],
  },
  adminListAudit: {
    method: 'get',
    path: '/v1/admin/audit',
    summary: 'The whole audit log, newest first, narrowed by actor, action, target and time.',
    auth: 'admin',
    query: ListAuditQuery,
    ok: { 200: { description: 'A page of entries.', data: AuditPage } },
    errors: [],
  },
} as const satisfies Record<string, RouteSpec>;

/** A route's name. */
export type RouteName = keyof typeof ROUTES;

/** A route's path as Hono writes it: `/v1/alarms/:id`. */
export function honoPath(route: RouteSpec): string {
  return route.path.replace(/\{(\w+)\}/g, ':$1');
}
