/**
 * The one mapping between an alarm's row and the API: the row a validated
 * create becomes, and AlarmView and FireView (SPEC 4.4) of a row.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { DEFAULT_MISFIRE, DEFAULT_TARGET, type AlarmView as AlarmViewSchema, type FireView as FireViewSchema } from '../api/alarms.js';
import { fireIdFor } from '../ids.js';
import { RawJson } from '../json/raw.js';
import type { AlarmRow, FireRow, NewAlarmRow } from '../store/alarms.js';
import type { CreateRequest } from './create-request.js';
import { toState } from './states.js';

/** AlarmView, with the payload as raw JSON text to splice into the answer. */
export type AlarmView = Omit<z.output<typeof AlarmViewSchema>, 'payload'> & { payload: RawJson };
/** FireView. */
export type FireView = z.output<typeof FireViewSchema>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The row of a new alarm `id` of `owner`, first due at `firstFireAt`. */
export function newAlarmRow(id: string, owner: string, req: CreateRequest, firstFireAt: Date): NewAlarmRow {
  const { schedule, fields } = req;
  return {
    id,
    owner,
    kind: schedule.kind,
    at: schedule.kind === 'once' ? schedule.at : null,
    at_local: schedule.kind === 'once' ? (schedule.atLocal ?? null) : null,
    cron: schedule.kind === 'cron' ? schedule.cron : null,
    rrule: schedule.kind === 'rrule' ? schedule.rrule : null,
    tz: schedule.tz,
    start_at: schedule.kind === 'once' ? null : schedule.start,
    until: schedule.until,
    max_fires: schedule.maxFires,
    label: fields.label ?? null,
    conversation_id: fields.conversation_id ?? null,
    wake_message: fields.wake_message,
    payload: req.payloadText,
    tags: fields.tags ?? [],
    target: fields.target ?? DEFAULT_TARGET,
    misfire: fields.misfire ?? DEFAULT_MISFIRE,
    status: toState('create'),
    next_fire_at: firstFireAt,
    occurrence_at: firstFireAt,
    fire_id: fireIdFor(id, firstFireAt),
    idempotency_key: req.idempotencyKey,
    request_fingerprint: req.fingerprint,
  };
}

/** The API's view of an alarm; `payload` is the stored JSON text, spliced in verbatim. */
export function alarmView(row: AlarmRow): AlarmView {
  return {
    id: row.id,
    owner: row.owner,
    kind: row.kind,
    label: row.label,
    conversation_id: row.conversation_id,
    ...(row.kind === 'once' ? { at: iso(row.at)! } : {}),
    ...(row.at_local !== null ? { at_local: row.at_local } : {}),
    ...(row.kind === 'cron' ? { cron: row.cron! } : {}),
    ...(row.kind === 'rrule' ? { rrule: row.rrule! } : {}),
    tz: row.tz,
    ...(row.kind !== 'once' ? { start: iso(row.start_at)! } : {}),
    until: iso(row.until),
    max_fires: row.max_fires,
    wake_message: row.wake_message,
    payload: new RawJson(row.payload),
    tags: row.tags,
    status: row.status,
    target: row.target,
    misfire: row.misfire,
    next_fire_at: iso(row.next_fire_at),
    fire_count: row.fire_count,
    attempt: row.attempt,
    last_fired_at: iso(row.last_fired_at),
    last_error: row.last_error,
    idempotency_key: row.idempotency_key,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/**
 * The version of an alarm as stored, for `ETag` and `If-Match` (SPEC 9.1):
 * a digest of the whole row, so that any change, by its owner or by the
 * dispatcher, makes another one on every replica.
 */
export function alarmVersion(row: AlarmRow): string {
  return createHash('sha256').update(JSON.stringify(row)).digest('base64url').slice(0, 22);
}

/** The API's view of one delivery attempt. */
export function fireView(row: FireRow): FireView {
  return {
    id: row.id,
    fire_id: row.fire_id,
    alarm_id: row.alarm_id,
    scheduled_for: iso(row.scheduled_for)!,
    attempt: row.attempt,
    started_at: iso(row.started_at)!,
    finished_at: iso(row.finished_at),
    outcome: row.outcome,
    status_code: row.status_code,
    error: row.error,
    duration_ms: row.duration_ms,
    target_type: row.target_type,
    manual: row.manual,
  };
}
