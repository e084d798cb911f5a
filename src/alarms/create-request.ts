/**
 * Validation of a create (SPEC 4.3): the body against the CreateAlarm
 * schema, then what depends on several fields (the schedule), every problem
 * named with its path; sizes over a limit are TooLarge, the rest InvalidInput.
 */
import { createHash } from 'node:crypto';
import { CreateAlarm, PAYLOAD_MAX_BYTES } from '../api/alarms.js';
import { codePoints, textProblem } from '../api/fields.js';
import { compactJson } from '../json/raw.js';
import { parseScheduleBody } from './schedule-body.js';
import type { Schedule } from '../schedule/types.js';

/** A validated create request: the body's fields as the schema gave them, and what was made of them. */
export interface CreateRequest {
  readonly fields: CreateAlarm;
  readonly schedule: Schedule;
  /** The payload's JSON text exactly as sent (`null` when absent). */
  readonly payloadText: string;
  /** From the body or the Idempotency-Key header. */
  readonly idempotencyKey: string | null;
  /** sha256 of the request's fields, for idempotent replays. */
  readonly fingerprint: string;
}

// The fields whose values make a request the same as another, in the order the fingerprint has always had
// (tags and the payload follow them, compared in their own form); every field added since joins after them
// when given, so an alarm made before it still matches its replay.
const FINGERPRINT_FIELDS: readonly string[] = ['kind', 'at', 'delay', 'cron', 'rrule', 'tz', 'start', 'until', 'max_fires', 'wake_message', 'label', 'conversation_id'];
const FINGERPRINT_OWN_FORM: readonly string[] = ['tags', 'payload', 'idempotency_key'];
const FINGERPRINT_LATER_FIELDS = Object.keys(CreateAlarm.shape).filter((k) => !FINGERPRINT_FIELDS.includes(k) && !FINGERPRINT_OWN_FORM.includes(k)) as (keyof CreateAlarm)[];

/** The Idempotency-Key header's problem, if any. */
function headerKeyProblem(key: string): string | undefined {
  return textProblem(key) ?? (key.length === 0 || codePoints(key) > 200 ? 'must be 1 to 200 characters' : undefined);
}

/**
 * Validates the parsed body. `payloadText` is the payload member's exact
 * text (undefined when absent); `headerKey` the Idempotency-Key header.
 */
export function parseCreateRequest(body: unknown, payloadText: string | undefined, headerKey: string | undefined, now: Date): CreateRequest {
  const payload = payloadText ?? 'null';
  let idempotencyKey: string | null = null;
  const { data: fields, schedule } = parseScheduleBody(CreateAlarm, body, now, (b, { problems, tooLarge }) => {
    if (Buffer.byteLength(payload) > PAYLOAD_MAX_BYTES) tooLarge.push({ path: 'payload', message: `must be at most ${PAYLOAD_MAX_BYTES} bytes of JSON text` });
    idempotencyKey = typeof b.idempotency_key === 'string' ? b.idempotency_key : null;
    if (headerKey !== undefined) {
      const bad = headerKeyProblem(headerKey);
      if (bad) problems.push({ path: 'Idempotency-Key', message: bad });
      else if (idempotencyKey !== null && idempotencyKey !== headerKey) problems.push({ path: 'idempotency_key', message: 'differs from the Idempotency-Key header: give one, or the same in both' });
      else idempotencyKey = headerKey;
    }
  });
  const b = body as Record<string, unknown>;

  const later = FINGERPRINT_LATER_FIELDS.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]]);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([FINGERPRINT_FIELDS.map((k) => b[k] ?? null), fields.tags ?? [], compactJson(payload), ...(later.length > 0 ? [later] : [])]))
    .digest('hex');
  return { fields, schedule, payloadText: payload, idempotencyKey, fingerprint };
}
