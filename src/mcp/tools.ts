/**
 * The agent's tools (SPEC 5, and part II's control verbs), defined once:
 * name, description with examples, input schema, the API routes each calls
 * and what it does with the typed client. Input schemas are the API's own
 * (api/alarms.ts), so a tool takes exactly what its route takes. The MCP
 * server registers exactly these, and chronos-tools.json is written from
 * what that server lists (i8). Every tool error ends with what to do next
 * (NEXT_STEPS), for each code the tool's routes can answer.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AlarmId, AlarmPage, AlarmView as AlarmViewSchema, CreateAlarm, FireNowView, FirePage, type FireView, ListAlarmsQuery, UpdateAlarm } from '../api/alarms.js';
import { SCOPES, type Scope } from '../api/auth.js';
import { SearchFiresQuery } from '../api/history.js';
import { ROUTES, type RouteSpec } from '../api/routes.js';
import { PreviewRequest, PreviewView } from '../api/schedules.js';
import { ChronosApiError, type AlarmViewData, type ChronosClient } from '../client/client.js';
import { DomainError } from '../errors.js';

/** What a tool returns: a short text an agent reads well, and the structured view. */
export interface ToolResult {
  readonly text: string;
  readonly structured: Record<string, unknown>;
}

/** One tool. */
export interface ToolDef {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** The API's schema of the tool's input: validated before `run`, and listed to clients. */
  readonly input: z.ZodObject;
  /** The schema of `structured`, from the API's views: listed to clients, and checked by the SDK. */
  readonly output: z.ZodObject;
  /** What calling it does, for clients that ask before a call with effects. */
  readonly annotations: ToolAnnotations;
  /** The routes it calls, by their names in api/routes.ts: their error codes are the ones it can meet. */
  readonly routes: readonly string[];
  readonly run: (client: ChronosClient, args: Record<string, unknown>) => Promise<ToolResult>;
}

type FireViewData = z.output<typeof FireView>;

function describeAlarm(a: AlarmViewData): string {
  const what = a.kind === 'once' ? 'once' : a.kind === 'cron' ? `cron "${a.cron}" in ${a.tz}` : `rrule "${a.rrule}" in ${a.tz}`;
  const next = a.next_fire_at ? `next wake ${a.next_fire_at}` : a.status === 'paused' ? 'no wake until resumed' : 'no further wake';
  const error = a.last_error ? `; last error: ${a.last_error}` : '';
  return `${a.id}${a.label ? ` (${a.label})` : ''}: ${a.status}, ${what}, ${next}, ${a.fire_count} delivered${error}`;
}

function describeFire(f: FireViewData): string {
  const status = f.status_code === null ? '' : ` (${f.status_code})`;
  return `${f.started_at} ${f.alarm_id} ${f.fire_id} attempt ${f.attempt}${f.manual ? ' (fire_now)' : ''}: ${f.outcome}${status}${f.error ? `: ${f.error}` : ''}`;
}

const alarmPath = (args: Record<string, unknown>) => `/v1/alarms/${encodeURIComponent(String(args.id))}`;

/** `?k=v&...` of the arguments given, or ''. */
function queryOf(args: Record<string, unknown>): string {
  const query = new URLSearchParams(Object.entries(args).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]]))).toString();
  return query ? `?${query}` : '';
}

const ETag = z.string().describe("The alarm's version: pass it as if_match to alarm_update to change the alarm only if it is still as you read it.");
const byId = z.strictObject({ id: AlarmId });
const oneAlarm = z.strictObject({ alarm: AlarmViewSchema });
const versionedAlarm = z.strictObject({ alarm: AlarmViewSchema, etag: ETag });

/** alarm_update's input: the id, the patch (UpdateAlarm's fields) and an optional if_match. */
const UpdateInput = z.strictObject({
  id: AlarmId,
  ...UpdateAlarm.shape,
  if_match: ETag.optional().describe('The etag of your last alarm_get (or alarm_update, alarm_control): the change is made only if the alarm is still that version, else precondition_failed.'),
});

const ACTIONS = ['pause', 'resume', 'fire_now'] as const;
const ControlInput = z.strictObject({
  id: AlarmId,
  action: z.enum(ACTIONS, { error: 'must be "pause", "resume" or "fire_now"' }).describe('pause: nothing fires until resume. resume: scheduled again from now. fire_now: one extra wake now, the schedule unchanged.'),
});
const ControlAnswer = z.strictObject({
  alarm: AlarmViewSchema.optional().describe('pause and resume: the alarm as it is now.'),
  etag: ETag.optional(),
  fire_id: FireNowView.shape.fire_id.optional().describe('fire_now: the fire_id of the extra wake; its attempts show in alarm_history with manual: true.'),
});

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
/** `Mon 2026-12-07T09:00:00.000+01:00 = 2026-12-07T08:00:00.000Z`: the local date's weekday, so that a schedule can be checked by eye. */
function describeOccurrence(o: { at: string; local: string }): string {
  return `${WEEKDAYS[new Date(`${o.local.slice(0, 10)}T00:00:00Z`).getUTCDay()]} ${o.local} = ${o.at}`;
}

// Chronos is the only system a tool touches: no tool reaches an open world.
const CLOSED = { openWorldHint: false } as const;

/** The example of schedule_preview's and alarm_set's descriptions: an agent copies it, and a test runs it. */
const BERLIN = '{"kind":"cron","cron":"0 9 * * MON-FRI","tz":"Europe/Berlin","until":"2030-03-01T00:00:00+01:00"';

/** The registry. */
export const TOOLS: readonly ToolDef[] = [
  {
    name: 'alarm_set',
    title: 'Set an alarm',
    description: [
      'Schedule a wake-up for yourself. When it is due, Chronos wakes you with wake_message and payload exactly as given, so write down what you need to continue.',
      'Examples: in 15 minutes: {"kind":"once","delay":"15m","wake_message":"Check the deploy of build 4f2a9c"}.',
      'At a local time: {"kind":"once","at_local":"2030-03-01T09:00","tz":"Europe/Berlin",...} (no offset: Chronos resolves it in tz, DST included); or an exact instant: {"kind":"once","at":"2026-12-01T09:00:00+01:00",...} (an offset is required in at, start and until).',
      `Every weekday at 9 in Berlin until March 2030: ${BERLIN},"wake_message":"Post the standup summary."} (check a schedule first with schedule_preview).`,
      'Every Monday and Friday at 9 in New York: {"kind":"rrule","rrule":"FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0","tz":"America/New_York",...}.',
      'Give an idempotency_key to make retries of this call safe.',
    ].join(' '),
    input: CreateAlarm,
    output: oneAlarm,
    // Idempotent only with an idempotency_key; the hint describes every call.
    annotations: { ...CLOSED, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    routes: ['createAlarm'],
    run: async (client, args) => {
      const answer = await client.call<AlarmViewData>('POST', '/v1/alarms', { body: args });
      const verb = answer.status === 201 ? 'Alarm set' : 'Alarm already existed (same idempotency key)';
      return { text: `${verb}: ${describeAlarm(answer.data)}`, structured: { alarm: answer.data } };
    },
  },
  {
    name: 'schedule_preview',
    title: 'Preview a schedule',
    description: [
      'List the next times a schedule fires, from now, without setting anything: the schedule fields of alarm_set plus count (default 10), checked exactly as alarm_set checks them.',
      'Each occurrence is given in UTC (at) and as local time in tz with its offset (local).',
      `Example, every weekday at 9 in Berlin until March 2030, the next five: ${BERLIN},"count":5}.`,
      'Then set it with alarm_set: the same fields without count, plus wake_message.',
    ].join(' '),
    input: PreviewRequest,
    output: PreviewView,
    annotations: { ...CLOSED, readOnlyHint: true },
    routes: ['previewSchedule'],
    run: async (client, args) => {
      const answer = await client.previewSchedule(args as z.input<typeof PreviewRequest>);
      const list = answer.data.occurrences;
      return { text: `${list.length} occurrence(s)${list.length ? `:\n${list.map(describeOccurrence).join('\n')}` : '.'}`, structured: answer.data };
    },
  },
  {
    name: 'alarm_get',
    title: 'Get an alarm',
    description: 'Show one of your alarms: its schedule, status (scheduled, paused, firing, completed, failed, cancelled), next wake, last error, and its etag (for if_match of alarm_update).',
    input: byId,
    output: versionedAlarm,
    annotations: { ...CLOSED, readOnlyHint: true },
    routes: ['getAlarm'],
    run: async (client, args) => {
      const answer = await client.call<AlarmViewData>('GET', alarmPath(args));
      const etag = answer.headers.get('etag') ?? '';
      return { text: `${describeAlarm(answer.data)}; etag ${etag}`, structured: { alarm: answer.data, etag } };
    },
  },
  {
    name: 'alarm_list',
    title: 'List alarms',
    description: 'List your alarms, newest first. Example: only active ones: {"status":"scheduled,firing,paused"}; by tag: {"tag":"deploy"}. Pass next_cursor back as cursor for more.',
    input: ListAlarmsQuery,
    output: AlarmPage,
    annotations: { ...CLOSED, readOnlyHint: true },
    routes: ['listAlarms'],
    run: async (client, args) => {
      const answer = await client.call<{ alarms: AlarmViewData[]; next_cursor: string | null }>('GET', `/v1/alarms${queryOf(args)}`);
      const lines = answer.data.alarms.map(describeAlarm);
      const more = answer.data.next_cursor ? `\nMore: call again with cursor "${answer.data.next_cursor}".` : '';
      return { text: `${lines.length} alarm(s)${lines.length ? `:\n${lines.join('\n')}` : '.'}${more}`, structured: answer.data };
    },
  },
  {
    name: 'alarm_update',
    title: 'Change an alarm',
    description: [
      'Change one of your scheduled or paused alarms in place: its id and only the fields to change (alarm_set\'s fields; null removes one; payload, target and tags are replaced whole).',
      'A new time (at, at_local, delay, cron or rrule) replaces the old one and counts from now; a new kind replaces the whole schedule but tz.',
      'Examples: {"id":"alm_...","label":"standup, team B"}; move it to 10:30: {"id":"alm_...","cron":"30 10 * * MON-FRI"}; end it sooner: {"id":"alm_...","until":"2027-02-01T00:00:00+01:00"}.',
      'To change it only if nobody else did since you read it, pass the etag of alarm_get as if_match.',
    ].join(' '),
    input: UpdateInput,
    output: versionedAlarm,
    // It overwrites fields; the same patch again is not a no-op when it holds a delay, read from now.
    annotations: { ...CLOSED, readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    routes: ['updateAlarm'],
    run: async (client, args) => {
      const { id, if_match: ifMatch, ...patch } = args;
      const answer = await client.updateAlarm(String(id), patch, ifMatch === undefined ? {} : { ifMatch: String(ifMatch) });
      return { text: `Updated: ${describeAlarm(answer.data)}; etag ${answer.etag}`, structured: { alarm: answer.data, etag: answer.etag } };
    },
  },
  {
    name: 'alarm_control',
    title: 'Pause, resume or fire an alarm now',
    description: [
      'Pause, resume, or fire now one of your alarms. Example: {"id":"alm_...","action":"pause"}.',
      'pause: nothing fires until resume (pausing again is fine).',
      'resume: scheduled again at its next occurrence from now; the ones missed while paused follow the alarm\'s misfire policy (coalesce: one wake for them all, skip: none, all: each).',
      'fire_now: one extra wake now, with its own fire_id and manual: true; the schedule is unchanged (on scheduled or paused alarms).',
    ].join(' '),
    input: ControlInput,
    output: ControlAnswer,
    // fire_now sends a wake each time: not idempotent, but nothing is lost.
    annotations: { ...CLOSED, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    routes: ['pauseAlarm', 'resumeAlarm', 'fireAlarm'],
    run: async (client, args) => {
      const id = String(args.id);
      if (args.action === 'fire_now') {
        const { fire_id } = (await client.fireAlarm(id)).data;
        return { text: `Firing now: ${id}, fire_id ${fire_id}; its attempts show in alarm_history with manual: true. The schedule is unchanged.`, structured: { fire_id } };
      }
      const answer = args.action === 'pause' ? await client.pauseAlarm(id) : await client.resumeAlarm(id);
      return { text: `${args.action === 'pause' ? 'Paused' : 'Resumed'}: ${describeAlarm(answer.data)}; etag ${answer.etag}`, structured: { alarm: answer.data, etag: answer.etag } };
    },
  },
  {
    name: 'alarm_history',
    title: 'Delivery history',
    description: [
      'Your wake deliveries across all your alarms, newest first: each attempt with its outcome (delivered, retrying, failed), status code and error; manual: true marks a fire_now.',
      'Filters: alarm_id, tag, outcome, since and until (on when the attempt started), limit. Example, the failures since Monday: {"outcome":"failed","since":"2026-12-07T00:00:00+01:00"}. Pass next_cursor back as cursor for more.',
    ].join(' '),
    input: SearchFiresQuery,
    output: FirePage,
    annotations: { ...CLOSED, readOnlyHint: true },
    routes: ['searchFires'],
    run: async (client, args) => {
      const answer = await client.call<{ fires: FireViewData[]; next_cursor: string | null }>('GET', `/v1/fires${queryOf(args)}`);
      const lines = answer.data.fires.map(describeFire);
      const more = answer.data.next_cursor ? `\nMore: call again with cursor "${answer.data.next_cursor}".` : '';
      return { text: `${lines.length} attempt(s)${lines.length ? `:\n${lines.join('\n')}` : '.'}${more}`, structured: answer.data };
    },
  },
  {
    name: 'alarm_cancel',
    title: 'Cancel an alarm',
    description: 'Cancel one of your scheduled, paused or firing alarms: no further wake starts. Cancelling again is fine; completed or failed alarms cannot be cancelled.',
    input: byId,
    output: oneAlarm,
    // Cancelling again answers the same: idempotent.
    annotations: { ...CLOSED, readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    routes: ['cancelAlarm'],
    run: async (client, args) => {
      const answer = await client.call<AlarmViewData>('DELETE', alarmPath(args));
      return { text: `Cancelled: ${describeAlarm(answer.data)}`, structured: { alarm: answer.data } };
    },
  },
];

/** Routes every tool calls: the client proves the agent's DID before its first call and when its token runs out. */
export const AUTH_ROUTES: readonly string[] = ['challenge', 'verify'];

/** The scopes the tools' routes need (SPEC 10.2): chronos mcp asks for these and no more. */
export function toolScopes(): Scope[] {
  const needed = new Set(TOOLS.flatMap((tool) => tool.routes).map((name) => (ROUTES as Record<string, RouteSpec>)[name]?.scope));
  return SCOPES.filter((scope) => needed.has(scope));
}

/**
 * What to do next, by error code: every code a tool's routes (and the
 * client's authentication) can answer, the client's own (`unreachable`,
 * `bad_response`) and `internal`. A test checks the table covers them.
 */
export const NEXT_STEPS: Readonly<Record<string, string>> = {
  invalid_request: 'fix the fields named above (this tool\'s input schema describes each) and call again.',
  invalid_json: 'send the arguments as one JSON object and call again.',
  payload_too_large: 'make the field named above smaller (payload at most 64 KiB of JSON, wake_message at most 8 KiB) and call again; keep big data elsewhere and put a reference to it in the payload.',
  unsupported_media_type: 'this is a bug in chronos mcp: tell your operator this message.',
  not_found: 'check the id: alarm_list lists your alarms.',
  not_cancellable: 'the alarm has already finished (completed or failed): there is nothing to cancel; alarm_get shows how it ended.',
  not_updatable: 'the alarm has finished (completed, failed or cancelled) and cannot change: set a new one with alarm_set.',
  alarm_busy: 'a wake of this alarm is being sent right now: wait a few seconds and call again.',
  precondition_failed: 'the alarm changed since you read it: alarm_get it again, check that your change still makes sense, and call again with its new etag as if_match.',
  idempotency_conflict: 'this idempotency_key already made a different alarm (named above): use a new key for a new alarm, or alarm_get that one.',
  quota_exceeded: 'cancel alarms you no longer need (alarm_list, then alarm_cancel) and call again.',
  rate_limited: 'wait a few seconds and call again.',
  database_unavailable: 'Chronos cannot reach its database: wait a minute and call again (after a change, alarm_get or alarm_list first to see whether it was made).',
  unauthorized: 'chronosd refused this server\'s transport token: run selftest and tell your operator what it says.',
  invalid_token: 'call again (a new token is fetched); if it repeats, run selftest.',
  token_expired: 'call again (a new token is fetched); if it repeats, run selftest and check the clock.',
  token_revoked: 'an operator revoked this agent\'s tokens: call again (a new token is fetched); if it repeats, ask your operator.',
  insufficient_scope: 'this server\'s token lacks the scope named above: tell your operator (chronos mcp asks for alarms:read and alarms:write).',
  owner_suspended: 'an operator suspended this agent (the reason is above): nothing you call works and no alarm fires until they lift it; tell your user or operator.',
  unsupported_did: 'chronosd refused this agent\'s key: run selftest and tell your operator what it says.',
  invalid_signature: 'chronosd refused this agent\'s key: run selftest and tell your operator what it says.',
  invalid_nonce: 'call again; if it repeats, run selftest and check the clock.',
  unreachable: 'chronosd cannot be reached: run selftest and tell your operator what it says.',
  bad_response: 'something other than chronosd answered: run selftest and tell your operator what it says.',
  internal: 'run selftest; if it passes, tell your operator this message.',
};

/** A tool error an agent can act on: the API's code and message, then what to do next. */
export function toolErrorText(err: unknown): string {
  // The API's messages already name every offending field; the code says what kind of problem it is.
  const [code, message] = err instanceof ChronosApiError || err instanceof DomainError ? [err.code, err.message] : ['internal', (err as Error).message];
  const retryAfter = err instanceof ChronosApiError ? Number(err.headers?.get('retry-after')) : NaN;
  const next = code === 'rate_limited' && retryAfter > 0 ? `wait ${retryAfter} s and call again.` : (NEXT_STEPS[code] ?? NEXT_STEPS.internal);
  return `${code}: ${message}\nNext: ${next}`;
}
