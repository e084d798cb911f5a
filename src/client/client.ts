/**
 * A typed client of the Chronos API for agents, tools and tests: it proves
 * the agent's DID itself (challenge, sign, verify), renews the principal
 * token before it expires and once after a 401, and turns error envelopes
 * into ChronosApiError carrying the API's code. ChronosAdminClient calls
 * the admin API with an admin token.
 */
import type { z } from 'zod';
import type { AdminStatusView, ListAdminAlarmsQuery, OwnerView, SuspendRequest } from '../api/admin.js';
import type { AlarmPage, AlarmView, FireNowView, FirePage, UpdateAlarm } from '../api/alarms.js';
import type { AuditPage, ListAuditQuery } from '../api/audit.js';
import type { Scope } from '../api/auth.js';
import type { CreateEndpoint, EndpointPage, EndpointView, EndpointWithSecret, UpdateEndpoint } from '../api/endpoints.js';
import type { PreviewRequest, PreviewView } from '../api/schedules.js';
import { didFromPublicKey } from '../auth/did-key.js';
import { keyFromSeed, type Ed25519Key } from '../auth/ed25519.js';

/** An error answer of the API, or a transport failure (`status` 0, code `unreachable`). */
export class ChronosApiError extends Error {
  override name = 'ChronosApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Headers,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** How to reach Chronos and who the agent is. */
export interface ClientOptions {
  /** Base URL, like http://127.0.0.1:8080. */
  readonly url: string;
  readonly transportToken: string;
  /** The agent's 32-byte ed25519 seed. */
  readonly seed: Uint8Array;
  /** The scopes to ask for (SPEC 10.2); all of them when left out. */
  readonly scopes?: readonly Scope[];
  /** Renew the token when less than this is left (default 60 s). */
  readonly renewBeforeMs?: number;
  /** Injected for tests (e.g. app.request); defaults to global fetch. */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
  readonly now?: () => number;
}

/** Request options. */
export interface CallOptions {
  readonly body?: unknown;
  /** A body already serialized (to send JSON text exactly as written). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

/** The success answer: status, data and headers. */
export interface ApiAnswer<T> {
  readonly status: number;
  readonly data: T;
  readonly headers: Headers;
  /** The body as received: the payload in it is exactly as stored (parsing would respell numbers). */
  readonly text: string;
}

/** An endpoint with its signing secret: the create and rotation answers (SPEC 8.2). */
export type EndpointWithSecretView = z.output<typeof EndpointWithSecret>;

/** Which page of endpoints: `cursor` is the previous page's `next_cursor`, as it came. */
export interface EndpointPageQuery {
  readonly limit?: number;
  readonly cursor?: string;
}

/** What GET /v1/fires searches: every member narrows it; `since` inclusive, `until` exclusive, on started_at. */
export interface FireSearchQuery {
  readonly alarm_id?: string | undefined;
  readonly tag?: string | undefined;
  readonly outcome?: 'delivered' | 'retrying' | 'failed' | undefined;
  /** An RFC 3339 time with an offset, or a Date. */
  readonly since?: string | Date | undefined;
  readonly until?: string | Date | undefined;
  readonly limit?: number | undefined;
  /** The previous page's `next_cursor`, as it came. */
  readonly cursor?: string | undefined;
}

/** An alarm as the API shows it. */
export type AlarmViewData = z.output<typeof AlarmView>;

/** An answer about one alarm, with the alarm's version: pass `etag` as `ifMatch` to change it only if it is still as read. */
export interface VersionedAlarm extends ApiAnswer<AlarmViewData> {
  readonly etag: string;
}

/** Options of an update. */
export interface UpdateOptions {
  /** The `etag` of an earlier answer, quoted or not: the change is made only while the alarm is still that version (else 412 precondition_failed). */
  readonly ifMatch?: string;
}

/** A principal token and when it expires. */
export interface PrincipalToken {
  readonly token: string;
  readonly did: string;
  readonly expires_at: string;
}

/** The client. One per agent key. */
export class ChronosClient {
  readonly did: string;
  private readonly key: Ed25519Key;
  private readonly base: string;
  private readonly doFetch: (input: string, init: RequestInit) => Promise<Response>;
  private readonly now: () => number;
  private readonly renewBeforeMs: number;
  private token: PrincipalToken | undefined;
  private pending: Promise<PrincipalToken> | undefined;

  constructor(private readonly options: ClientOptions) {
    this.key = keyFromSeed(options.seed);
    this.did = didFromPublicKey(this.key.publicKey);
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
    this.renewBeforeMs = options.renewBeforeMs ?? 60_000;
  }

  /** Calls an unauthenticated-principal route (transport token only). */
  async transport<T>(method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer<T>> {
    return this.send<T>(method, path, options, undefined);
  }

  /** Calls a principal route, authenticating first when needed and once more after a 401. */
  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer<T>> {
    const token = await this.principal();
    try {
      return await this.send<T>(method, path, options, token.token);
    } catch (err) {
      if (!(err instanceof ChronosApiError) || err.status !== 401 || !['invalid_token', 'token_expired'].includes(err.code)) throw err;
      this.token = undefined;
      return this.send<T>(method, path, options, (await this.principal()).token);
    }
  }

  /** POST /v1/endpoints: registers a webhook endpoint; the answer holds its secret, this once. */
  createEndpoint(body: z.input<typeof CreateEndpoint>): Promise<ApiAnswer<EndpointWithSecretView>> {
    return this.call('POST', '/v1/endpoints', { body });
  }

  /** GET /v1/endpoints: a page of the agent's endpoints, newest first. */
  listEndpoints(query: EndpointPageQuery = {}): Promise<ApiAnswer<z.output<typeof EndpointPage>>> {
    return this.call('GET', `/v1/endpoints${queryString(query)}`);
  }

  /** GET /v1/endpoints/:id. */
  getEndpoint(id: string): Promise<ApiAnswer<EndpointView>> {
    return this.call('GET', endpointPath(id));
  }

  /** PATCH /v1/endpoints/:id: the fields given replace the stored ones; `description: null` clears it. */
  updateEndpoint(id: string, patch: z.input<typeof UpdateEndpoint>): Promise<ApiAnswer<EndpointView>> {
    return this.call('PATCH', endpointPath(id), { body: patch });
  }

  /** DELETE /v1/endpoints/:id: answers the endpoint as it was; `endpoint_in_use` while an active alarm targets it. */
  deleteEndpoint(id: string): Promise<ApiAnswer<EndpointView>> {
    return this.call('DELETE', endpointPath(id));
  }

  /** POST /v1/endpoints/:id/rotate-secret: a new secret, this once; the old one signs beside it until `secret_grace_until`. */
  rotateEndpointSecret(id: string): Promise<ApiAnswer<EndpointWithSecretView>> {
    return this.call('POST', `${endpointPath(id)}/rotate-secret`);
  }

  /** POST /v1/schedules/preview: the next occurrences of a create's schedule fields from now (`count`, default 10), validated as a create validates them. */
  previewSchedule(body: z.input<typeof PreviewRequest>): Promise<ApiAnswer<z.output<typeof PreviewView>>> {
    return this.call('POST', '/v1/schedules/preview', { body });
  }

  /** GET /v1/fires: a page of every delivery attempt of the agent's alarms, newest first. */
  searchFires(query: FireSearchQuery = {}): Promise<ApiAnswer<z.output<typeof FirePage>>> {
    return this.call('GET', `/v1/fires${queryString(query)}`);
  }

  /**
   * PATCH /v1/alarms/:id: a JSON merge patch over the create's fields (null
   * removes one), validated as a create; the alarm as changed and its new
   * ETag. A string patch is sent as written, so a payload in it arrives verbatim.
   */
  async updateAlarm(id: string, patch: z.input<typeof UpdateAlarm> | string, options: UpdateOptions = {}): Promise<VersionedAlarm> {
    const headers: Record<string, string> = { 'Content-Type': 'application/merge-patch+json', ...(options.ifMatch !== undefined ? { 'If-Match': strongETag(options.ifMatch) } : {}) };
    return versioned(await this.call<AlarmViewData>('PATCH', alarmPath(id), { ...(typeof patch === 'string' ? { rawBody: patch } : { body: patch }), headers }));
  }

  /** POST /v1/alarms/:id/pause: nothing fires until it is resumed; again on a paused alarm is fine. */
  async pauseAlarm(id: string): Promise<VersionedAlarm> {
    return versioned(await this.call<AlarmViewData>('POST', `${alarmPath(id)}/pause`));
  }

  /** POST /v1/alarms/:id/resume: scheduled again at its next occurrence from now; missed ones follow its misfire policy. */
  async resumeAlarm(id: string): Promise<VersionedAlarm> {
    return versioned(await this.call<AlarmViewData>('POST', `${alarmPath(id)}/resume`));
  }

  /** POST /v1/alarms/:id/fire: one extra occurrence now (manual: true), beside the schedule; answers its fire_id. */
  fireAlarm(id: string): Promise<ApiAnswer<z.output<typeof FireNowView>>> {
    return this.call('POST', `${alarmPath(id)}/fire`);
  }

  /** A valid principal token: the cached one, or a new one from challenge and verify. */
  async principal(): Promise<PrincipalToken> {
    if (this.token && Date.parse(this.token.expires_at) - this.now() > this.renewBeforeMs) return this.token;
    this.pending ??= this.authenticate().finally(() => {
      this.pending = undefined;
    });
    this.token = await this.pending;
    return this.token;
  }

  private async authenticate(): Promise<PrincipalToken> {
    const challenge = await this.transport<{ nonce: string; message: string }>('POST', '/v1/auth/challenge', { body: { did: this.did } });
    const signature = Buffer.from(this.key.sign(Buffer.from(challenge.data.message, 'utf8'))).toString('base64url');
    const scopes = this.options.scopes ? { scopes: this.options.scopes } : {};
    const verified = await this.transport<PrincipalToken>('POST', '/v1/auth/verify', { body: { did: this.did, nonce: challenge.data.nonce, signature, ...scopes } });
    return verified.data;
  }

  private send<T>(method: string, path: string, options: CallOptions, principal: string | undefined): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.options.transportToken}`, ...options.headers };
    if (principal) headers['X-Chronos-Principal'] = principal;
    return request<T>(this.doFetch, this.base, method, path, { ...options, headers });
  }
}

/** How to reach the admin API. */
export interface AdminClientOptions {
  /** Base URL, like http://127.0.0.1:8080. */
  readonly url: string;
  /** One of chronosd's `auth.admin_tokens`, without its name. */
  readonly adminToken: string;
  /** Injected for tests (e.g. app.request); defaults to global fetch. */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** A query as the client sends it: the parameters of its schema in api/, a number where the schema reads one from the text. */
export type QueryOf<S extends z.ZodType> = { readonly [K in keyof z.input<S>]?: (unknown extends z.input<S>[K] ? number : z.input<S>[K]) | undefined };

/** An alarm list's page. */
export type AlarmPageData = z.output<typeof AlarmPage>;

/** What applies to an owner: suspension and token revocation. */
export type OwnerViewData = z.output<typeof OwnerView>;

/** The admin API (SPEC 10.1): every owner's alarms, an owner's controls, the status and the whole audit log. Each call carries the admin token and nothing else. */
export class ChronosAdminClient {
  private readonly base: string;
  private readonly doFetch: (input: string, init: RequestInit) => Promise<Response>;

  constructor(private readonly options: AdminClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** GET /v1/admin/status: counts from the database, the replicas seen, the busiest owners. */
  status(): Promise<ApiAnswer<z.output<typeof AdminStatusView>>> {
    return this.call('GET', '/v1/admin/status');
  }

  /** GET /v1/admin/alarms: a page of every owner's alarms, newest first. */
  listAlarms(query: QueryOf<typeof ListAdminAlarmsQuery> = {}): Promise<ApiAnswer<AlarmPageData>> {
    return this.call('GET', `/v1/admin/alarms${queryString(query)}`);
  }

  /** GET /v1/admin/alarms/:id: any owner's alarm. */
  getAlarm(id: string): Promise<ApiAnswer<AlarmViewData>> {
    return this.call('GET', `/v1/admin/alarms/${encodeURIComponent(id)}`);
  }

  /** POST /v1/admin/alarms/:id/cancel|pause|resume: changes any owner's alarm as its owner would; the audit log names the admin. */
  changeAlarm(id: string, verb: 'cancel' | 'pause' | 'resume'): Promise<ApiAnswer<AlarmViewData>> {
    return this.call('POST', `/v1/admin/alarms/${encodeURIComponent(id)}/${verb}`);
  }

  /** POST /v1/admin/alarms/:id/fire: one extra occurrence of any owner's alarm now; the audit log names the admin. */
  fireAlarm(id: string): Promise<ApiAnswer<z.output<typeof FireNowView>>> {
    return this.call('POST', `/v1/admin/alarms/${encodeURIComponent(id)}/fire`);
  }

  /** GET /v1/admin/owners/:did: an owner's suspension and token revocation (none for a DID nobody acted on). */
  owner(did: string): Promise<ApiAnswer<OwnerViewData>> {
    return this.call('GET', ownerPath(did));
  }

  /** POST /v1/admin/owners/:did/suspend: its requests answer 403 owner_suspended with the reason; its alarms wait. */
  suspend(did: string, body: z.input<typeof SuspendRequest>): Promise<ApiAnswer<OwnerViewData>> {
    return this.call('POST', `${ownerPath(did)}/suspend`, body);
  }

  /** POST /v1/admin/owners/:did/unsuspend: its alarms fire again, missed occurrences by their misfire policy. */
  unsuspend(did: string): Promise<ApiAnswer<OwnerViewData>> {
    return this.call('POST', `${ownerPath(did)}/unsuspend`);
  }

  /** POST /v1/admin/owners/:did/revoke-tokens: every principal token issued until now is refused (401 token_revoked). */
  revokeTokens(did: string): Promise<ApiAnswer<OwnerViewData>> {
    return this.call('POST', `${ownerPath(did)}/revoke-tokens`);
  }

  /** GET /v1/admin/audit: a page of the whole audit log, newest first. */
  listAudit(query: QueryOf<typeof ListAuditQuery> = {}): Promise<ApiAnswer<z.output<typeof AuditPage>>> {
    return this.call('GET', `/v1/admin/audit${queryString(query)}`);
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    return request<T>(this.doFetch, this.base, method, path, { body, headers: { Authorization: `Bearer ${this.options.adminToken}` } });
  }
}

/** One request: the envelope's `data`, or a ChronosApiError with the API's code (`unreachable` when nothing answered). */
async function request<T>(doFetch: (input: string, init: RequestInit) => Promise<Response>, base: string, method: string, path: string, options: CallOptions): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['Content-Type'] ??= 'application/json';
  let res: Response;
  try {
    res = await doFetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  } catch (err) {
    throw new ChronosApiError(0, 'unreachable', `is chronosd running at ${base}? (${connectFailure(err)})`, undefined, undefined, { cause: err });
  }
  const text = await res.text();
  let envelope: { ok?: boolean; data?: T; error?: { code?: string; message?: string; details?: unknown } } | undefined;
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    envelope = undefined;
  }
  if (res.ok && envelope?.ok === true) return { status: res.status, data: envelope.data as T, headers: res.headers, text };
  const error = envelope?.error;
  throw new ChronosApiError(res.status, error?.code ?? 'bad_response', error?.message ?? `unexpected answer ${res.status}: ${text.slice(0, 200)}`, error?.details, res.headers);
}

/** `?k=v&...` of the members given (a Date as RFC 3339 UTC), or '' for none; URLSearchParams encodes the + of an offset. */
function queryString(query: object): string {
  const params = new URLSearchParams(Object.entries(query).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, v instanceof Date ? v.toISOString() : String(v)]]))).toString();
  return params ? `?${params}` : '';
  }

function alarmPath(id: string): string {
  return `/v1/alarms/${encodeURIComponent(id)}`;
}

// An ETag is a quoted string (RFC 9110 8.8.3); people and agents often pass it without its quotes.
function strongETag(tag: string): string {
  return /^(W\/)?".*"$|^\*$/.test(tag) ? tag : `"${tag}"`;
}

// Every answer about one alarm carries its ETag (http/routes/alarms.ts).
function versioned(answer: ApiAnswer<AlarmViewData>): VersionedAlarm {
  return { ...answer, etag: answer.headers.get('etag') ?? '' };
}

function ownerPath(did: string): string {
  return `/v1/admin/owners/${encodeURIComponent(did)}`;
}

function endpointPath(id: string): string {
  return `/v1/endpoints/${encodeURIComponent(id)}`;
}

/** Why a fetch failed to connect: the system's code (ECONNREFUSED, ENOTFOUND, ...), not fetch's "fetch failed". */
/** What a failed fetch ran into: the connection error's code (ECONNREFUSED), or its message. */
export function connectFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return (err as Error).message;
}
