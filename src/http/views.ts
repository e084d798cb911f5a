/** AlarmView and FireView (SPEC 4.4), and the opaque list cursor. */
import { RawJson } from '../json/raw.js';
import type { AlarmRow, FireRow, ListCursor } from '../store/alarms.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The API's view of an alarm; `payload` is the stored JSON text, spliced in verbatim. */
export function alarmView(row: AlarmRow): Record<string, unknown> {
  return {
    id: row.id,
    owner: row.owner,
    kind: row.kind,
    label: row.label,
    conversation_id: row.conversation_id,
    ...(row.kind === 'once' ? { at: iso(row.at) } : {}),
    ...(row.kind === 'cron' ? { cron: row.cron } : {}),
    ...(row.kind === 'rrule' ? { rrule: row.rrule } : {}),
    tz: row.tz,
    ...(row.kind !== 'once' ? { start: iso(row.start_at) } : {}),
    until: iso(row.until),
    max_fires: row.max_fires,
    wake_message: row.wake_message,
    payload: new RawJson(row.payload),
    tags: row.tags,
    status: row.status,
    next_fire_at: iso(row.next_fire_at),
    fire_count: row.fire_count,
    attempt: row.attempt,
    last_fired_at: iso(row.last_fired_at),
    last_error: row.last_error,
    idempotency_key: row.idempotency_key,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** The API's view of one delivery attempt. */
export function fireView(row: FireRow): Record<string, unknown> {
  return {
    id: row.id,
    fire_id: row.fire_id,
    alarm_id: row.alarm_id,
    scheduled_for: iso(row.scheduled_for),
    attempt: row.attempt,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    outcome: row.outcome,
    status_code: row.status_code,
    error: row.error,
    duration_ms: row.duration_ms,
  };
}

/** An opaque cursor naming the last row of a page. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.getTime(), id])).toString('base64url');
}

/** Reads a cursor made by {@link encodeCursor}; undefined when it is not one. */
export function decodeCursor(text: string): ListCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [ms, id] = value as unknown[];
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || typeof id !== 'string' || id.length > 64 || !/^[a-z]{3}_[A-Za-z0-9_-]+$/.test(id)) return undefined;
    return { at: new Date(ms), id };
  } catch {
    return undefined;
  }
}
