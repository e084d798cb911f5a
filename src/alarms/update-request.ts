/**
 * Validation of an update (SPEC 9.1): the JSON merge patch applied to the
 * alarm as a create body, and the result validated exactly as a create
 * (create-request.ts), so a PATCH answers the same codes and `details`
 * paths a create of the same fields would. Two rules on top of RFC 7396:
 * `payload` and `target` are replaced whole (the payload is kept as the
 * text sent); and when a patch names when the alarm fires (`at`,
 * `at_local`, `delay`, `cron`, `rrule`) the stored one is dropped, as a
 * new `kind` drops the whole stored schedule but `tz`, so that a patch says
 * only what it changes.
 */
import { InvalidInput } from '../errors.js';
import type { AlarmRow } from '../store/alarms.js';
import { parseCreateRequest, type CreateRequest } from './create-request.js';

/** A validated update: the alarm as a create request would make it, and whether its schedule changed. */
export interface UpdateRequest {
  readonly req: CreateRequest;
  /** The patch names a schedule field: the next occurrence is computed again from now. */
  readonly scheduleChanged: boolean;
}

const WHEN_FIELDS = ['at', 'at_local', 'delay', 'cron', 'rrule'] as const;
const SCHEDULE_FIELDS = ['kind', ...WHEN_FIELDS, 'tz', 'start', 'until', 'max_fires'] as const;

/** The create body that would make `row` as it is now (its payload apart). */
export function createBodyOf(row: AlarmRow): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: row.kind, tz: row.tz, wake_message: row.wake_message, target: row.target, misfire: row.misfire };
  if (row.kind === 'once') {
    if (row.at_local !== null) body.at_local = row.at_local;
    else body.at = row.at!.toISOString();
  } else {
    body[row.kind] = row.kind === 'cron' ? row.cron : row.rrule;
    body.start = row.start_at!.toISOString();
    if (row.until !== null) body.until = row.until.toISOString();
    if (row.max_fires !== null) body.max_fires = row.max_fires;
  }
  if (row.label !== null) body.label = row.label;
  if (row.conversation_id !== null) body.conversation_id = row.conversation_id;
  if (row.tags.length > 0) body.tags = row.tags;
  return body;
}

/**
 * Applies `patch` (the parsed body; `payloadText` the exact text of its
 * `payload` member, if any) to `row` and validates the result as a create
 * at `now`. Throws InvalidInput or TooLarge as a create does.
 */
export function parseUpdateRequest(row: AlarmRow, patch: unknown, payloadText: string | undefined, now: Date): UpdateRequest {
  // Not an object: exactly a create's answer to the same body.
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return { req: parseCreateRequest(patch, payloadText, undefined, now), scheduleChanged: false };
  const changes = patch as Record<string, unknown>;
  if ('idempotency_key' in changes && changes.idempotency_key !== row.idempotency_key) {
    throw new InvalidInput([{ path: 'idempotency_key', message: 'cannot be changed: leave it out of the patch' }]);
  }
  const merged = createBodyOf(row);
  if ('kind' in changes && changes.kind !== row.kind) {
    for (const f of SCHEDULE_FIELDS) if (f !== 'tz') delete merged[f];
  } else if (WHEN_FIELDS.some((f) => f in changes)) {
    for (const f of WHEN_FIELDS) delete merged[f];
  }
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'payload' || key === 'idempotency_key') continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  // A payload patched to null is removed, which leaves the default: null, as its text says.
  const payload = 'payload' in changes ? payloadText : row.payload;
  const req = parseCreateRequest(merged, payload, undefined, now);
  if (req.schedule.maxFires !== null && req.schedule.maxFires <= row.fire_count) {
    throw new InvalidInput([{ path: 'max_fires', message: `must be more than ${row.fire_count}: the alarm has already fired ${row.fire_count} times` }]);
  }
  // A start the patch leaves as stored stays to the millisecond (a given one is read to the second): an @every alarm keeps its phase.
  const keptStart = !('start' in changes) && req.schedule.kind === row.kind && req.schedule.kind !== 'once' && row.start_at !== null;
  const schedule = keptStart ? { ...req.schedule, start: row.start_at! } : req.schedule;
  return { req: { ...req, schedule, idempotencyKey: row.idempotency_key }, scheduleChanged: SCHEDULE_FIELDS.some((f) => f in changes) };
}
