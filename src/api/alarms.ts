/**
 * The alarm's shapes (SPEC 4.3, 4.4): the create request, the list queries,
 * AlarmView and FireView. The one description of each: request validation,
 * the MCP tools' input schemas, the OpenAPI document and the TypeScript
 * types all come from here; the row-to-view mapping is alarms/rows.ts.
 */
import { z } from 'zod';
import { STATUSES, type AlarmStatus } from '../alarms/states.js';
import { bodyObject, DecodedCursor, NextCursor, PageLimit, PageQuery, storedText, Timestamp } from './fields.js';

const RFC3339 = 'must be an RFC 3339 time with an offset, like "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00+01:00"';
const LOCAL_TIME = 'must be a local time without offset, like "2027-03-01T09:00" or "2027-03-01T09:00:30"';

/** An endpoint's id, as its create answered it. */
export const EndpointId = z.string({ error: (issue) => (issue.input === undefined ? 'required: the id of one of your webhook endpoints, like "ep_2XVW0VrjxyzEbf1m6Iv0"' : 'must be an endpoint id, like "ep_2XVW0VrjxyzEbf1m6Iv0"') }).regex(/^ep_[A-Za-z0-9_-]{20}$/, 'must be an endpoint id, like "ep_2XVW0VrjxyzEbf1m6Iv0"');

/** Where an alarm's wakes go (SPEC 8). */
export const Target = z
  .discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('router').describe('The wake of SPEC 6: POST <router_url>/internal/wake.') }),
      z.strictObject({
        type: z.literal('webhook').describe('POST (or the endpoint\'s method) to a webhook endpoint the caller registered at /v1/endpoints.'),
        endpoint: EndpointId.describe('The endpoint\'s id ("ep_...").'),
      }),
      z.strictObject({ type: z.literal('stream').describe('A message on the caller\'s own WebSocket, GET /v1/stream, acknowledged by the listener.') }),
    ],
    { error: 'must be {"type": "router"}, {"type": "webhook", "endpoint": "ep_..."} or {"type": "stream"}' },
  )
  .describe('Where the wakes go. Default {"type":"router"}.');
/** A target. */
export type Target = z.infer<typeof Target>;
/** A target's type. */
export const TargetType = z.enum(Target.options.map((o) => o.shape.type.value) as [Target['type'], ...Target['type'][]]);
/** The target of an alarm created without one. */
export const DEFAULT_TARGET: Target = { type: 'router' };

/** What happens to the occurrences of a recurring alarm missed while the daemon was down, the alarm paused or its owner suspended (SPEC 9.3). */
export const Misfire = z
  .enum(['coalesce', 'skip', 'all'], { error: 'must be "coalesce", "skip" or "all"' })
  .describe(
    'Missed occurrences (downtime, a pause): coalesce fires once for all of them, then continues; skip fires none of them; all fires each one, oldest first, at most dispatch.max_catchup (default 100, the most recent). A once alarm always fires, late. Default coalesce.',
  );
/** A misfire policy. */
export type Misfire = z.infer<typeof Misfire>;
/** The misfire policy of an alarm created without one. */
export const DEFAULT_MISFIRE: Misfire = 'coalesce';

/** The alarm's kinds. */
export const Kind = z.enum(['once', 'cron', 'rrule'], { error: 'must be "once", "cron" or "rrule"' });

/** The payload's size limit, in bytes of its JSON text. */
export const PAYLOAD_MAX_BYTES = 64 * 1024;
/** The wake message's size limit, in bytes of UTF-8. */
export const WAKE_MESSAGE_MAX_BYTES = 8 * 1024;

const textOf200 = (what: string) => storedText({ max: 200, message: `must be a string of at most 200 characters${what}` });

/**
 * The body of `POST /v1/alarms`: each field's type and form. What depends on
 * several fields (which fields a kind takes, whether the schedule ever
 * fires) is the schedule parser's; sizes in bytes are checked on the text.
 */
export const CreateAlarm = bodyObject({
  kind: Kind.describe('once: one wake (at or delay); cron: a cron expression; rrule: an RFC 5545 rule.'),
  wake_message: storedText({ min: 1, maxBytes: WAKE_MESSAGE_MAX_BYTES, message: 'required: a non-empty string, the text the agent wakes up to', missing: 'required: a non-empty string, the text the agent wakes up to' }).describe(
    'The message the agent wakes up to (at most 8 KiB of UTF-8).',
  ),
  delay: z.string({ error: 'must be a duration from 1s to 3650d, like "90s", "15m" or "1h30m"' }).nullish().describe('once: how long from now, like "90s", "15m", "1h30m", "2d".'),
  at: z
    .string({ error: RFC3339 })
    .meta({ format: 'date-time' })
    .nullish()
    .describe('once: an RFC 3339 time WITH an offset, like "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00+01:00" (a time without an offset is refused: use at_local).'),
  at_local: z
    .string({ error: LOCAL_TIME })
    .nullish()
    .describe('once: a local wall time WITHOUT an offset, like "2027-03-01T09:00", read in tz (give tz, like "Europe/Berlin"). A time skipped by a DST change fires right after the gap; one that happens twice, at its first instance.'),
  cron: z.string({ error: 'required: a cron expression like "0 9 * * MON-FRI", a descriptor like "@daily", or "@every 15m"' }).nullish().describe(
    'cron: 5 fields (minute hour day month weekday), 6 (seconds first), @daily, @hourly, ... or "@every 30m".',
  ),
  rrule: z.string({ error: 'required: an RFC 5545 RRULE value like "FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0"' }).nullish().describe('rrule: the RRULE value, like "FREQ=DAILY;BYHOUR=9;BYMINUTE=0" (no "RRULE:" prefix).'),
  tz: z.string({ error: 'must be an IANA time zone name, like "Europe/Berlin" or "UTC"' }).optional().describe('IANA time zone the schedule is read in, like "Europe/Berlin". Default UTC.'),
  start: z.string({ error: RFC3339 }).meta({ format: 'date-time' }).nullish().describe('cron/rrule: no wake before this RFC 3339 time WITH an offset, like "2026-12-01T00:00:00Z" (the RRULE DTSTART); at most 10 years ahead.'),
  until: z.string({ error: RFC3339 }).meta({ format: 'date-time' }).nullish().describe('cron/rrule: no wake after this RFC 3339 time WITH an offset, like "2027-03-01T00:00:00+01:00".'),
  max_fires: z.number({ error: 'must be a whole number from 1 to 2147483647' }).int().min(1).max(2_147_483_647).nullish().describe('cron/rrule: stop after this many delivered wakes.'),
  payload: z.unknown().optional().describe('Any JSON, handed back verbatim in the wake (at most 64 KiB of JSON text).'),
  label: textOf200('').nullish().describe('A short name for lists (at most 200 characters).'),
  conversation_id: textOf200('').nullish().describe('The conversation the agent resumes into; passed through to the wake.'),
  idempotency_key: storedText({ min: 1, max: 200, message: 'must be 1 to 200 characters' })
    .nullish()
    .describe('The same key and request return the existing alarm instead of a second one (also accepted as the Idempotency-Key header).'),
  tags: z
    .array(storedText({ min: 1, max: 64, message: 'must be 1 to 64 characters' }), { error: 'must be an array of strings' })
    .max(16, { error: 'must have at most 16 tags' })
    .nullish()
    .describe('Up to 16 tags of 1..64 characters, to filter lists.'),
  target: Target.optional(),
  misfire: Misfire.optional(),
});
/** A create body, as validated. */
export type CreateAlarm = z.infer<typeof CreateAlarm>;

/**
 * The body of `PATCH /v1/alarms/:id` as the API describes it: a JSON merge
 * patch over the create's fields (null removes a field). It is validated by
 * applying it and validating the result as a create (alarms/update-request.ts).
 */
export const UpdateAlarm = CreateAlarm.omit({ idempotency_key: true })
  .partial()
  .describe(
    'A JSON merge patch (RFC 7396) over the fields of a create: the fields given replace the stored ones, null removes one; payload and target are replaced whole. Naming when it fires (at, at_local, delay, cron, rrule) replaces the stored one; a new kind replaces the whole schedule but tz. The result is validated as a create.',
  )
  .meta({ id: 'UpdateAlarm' });

/** The answer of a fire now (SPEC 9.2). */
export const FireNowView = z.strictObject({ fire_id: z.string().describe('The fire_id of the extra occurrence: its wake and its attempts (manual: true) carry it.') }).meta({ id: 'FireNow' });

/** A comma list of statuses, for the `status` filter; parsed into the list. */
const StatusList = z
  .string()
  .transform((text, ctx) => {
    const list = text.split(',').map((x) => x.trim());
    if (list.every((x) => (STATUSES as readonly string[]).includes(x))) return list as AlarmStatus[];
    ctx.addIssue({ code: 'custom', message: `must be a comma list of ${STATUSES.join(', ')}` });
    return z.NEVER;
  })
  .describe(`A comma list of ${STATUSES.join(', ')}.`);

/** A page cursor, decoded; refused unless it is one this API made. */

/** The query of `GET /v1/alarms`. */
export const ListAlarmsQuery = z.strictObject({
  status: StatusList.optional(),
  tag: storedText({ min: 1, max: 64, message: 'must be 1 to 64 characters' }).optional().describe('Only alarms with this tag.'),
  target: z.enum(TargetType.options, { error: `must be one of ${TargetType.options.join(', ')}` }).optional().describe('Only alarms with this target type.'),
  limit: PageLimit.optional(),
  cursor: DecodedCursor.optional(),
});

/** The query of a list of fires. */
export const ListFiresQuery = PageQuery;

/** An alarm id in a path. */
export const AlarmId = z.string().describe('The alarm id, as its create (alarm_set) returned it, like "alm_2XVW0VrjxyzEbf1m6Iv0".');

/** AlarmView (SPEC 4.4). */
export const AlarmView = z
  .strictObject({
    id: z.string().describe('"alm_" and 20 characters.'),
    owner: z.string().describe('The DID of the agent that owns the alarm.'),
    kind: Kind,
    label: z.string().nullable(),
    conversation_id: z.string().nullable(),
    at: Timestamp.optional().describe('once: when it fires.'),
    at_local: z.string().optional().describe('once, when set by wall time: that time as given, read in tz (at is the instant it resolved to).'),
    cron: z.string().optional(),
    rrule: z.string().optional(),
    tz: z.string(),
    start: Timestamp.optional().describe('cron/rrule: no occurrence before this instant.'),
    until: Timestamp.nullable(),
    max_fires: z.number().int().nullable(),
    wake_message: z.string(),
    payload: z.unknown().describe('Exactly the JSON text the client sent.'),
    tags: z.array(z.string()),
    status: z.enum(STATUSES),
    target: Target,
    misfire: Misfire,
    next_fire_at: Timestamp.nullable(),
    fire_count: z.number().int().describe('Delivered occurrences.'),
    attempt: z.number().int().describe('Attempts made at the current occurrence (0 before the first).'),
    last_fired_at: Timestamp.nullable(),
    last_error: z.string().nullable(),
    idempotency_key: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'AlarmView' });

/** FireView (SPEC 4.4): one delivery attempt. */
export const FireView = z
  .strictObject({
    id: z.string().describe('"att_" and 20 characters.'),
    fire_id: z.string().describe('Shared by every attempt at one occurrence.'),
    alarm_id: z.string(),
    scheduled_for: Timestamp,
    attempt: z.number().int(),
    started_at: Timestamp,
    finished_at: Timestamp.nullable(),
    outcome: z.enum(['delivered', 'retrying', 'failed']),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    target_type: TargetType.describe('Where this attempt went.'),
    manual: z.boolean().describe('An attempt at a fire-now occurrence (POST /v1/alarms/:id/fire), not one of the schedule.'),
  })
  .meta({ id: 'FireView' });

/** A page of alarms. */
export const AlarmPage = z.strictObject({ alarms: z.array(AlarmView), next_cursor: NextCursor });
/** A page of fires. */
export const FirePage = z.strictObject({ fires: z.array(FireView), next_cursor: NextCursor });
