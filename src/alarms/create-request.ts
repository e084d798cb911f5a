/**
 * Validation of `POST /v1/alarms` (SPEC 4.3): every field checked, every
 * problem named with its path; sizes over a limit are 413, the rest 400.
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../http/errors.js';
import { compactJson } from '../json/raw.js';
import { InvalidInput, type FieldProblem } from '../problems.js';
import { parseSchedule } from '../schedule/parse.js';
import type { Schedule } from '../schedule/types.js';

/** A validated create request. */
export interface CreateRequest {
  readonly schedule: Schedule;
  readonly wakeMessage: string;
  /** The payload's JSON text exactly as sent (`null` when absent). */
  readonly payloadText: string;
  readonly label: string | null;
  readonly conversationId: string | null;
  readonly idempotencyKey: string | null;
  readonly tags: string[];
  /** sha256 of the request's fields, for idempotent replays. */
  readonly fingerprint: string;
}

const KNOWN_FIELDS = new Set(['kind', 'at', 'delay', 'cron', 'rrule', 'tz', 'start', 'until', 'max_fires', 'wake_message', 'payload', 'label', 'conversation_id', 'idempotency_key', 'tags']);
const WAKE_MESSAGE_MAX_BYTES = 8 * 1024;
const PAYLOAD_MAX_BYTES = 64 * 1024;
const TEXT_MAX_CHARS = 200;
const TAGS_MAX = 16;
const TAG_MAX_CHARS = 64;

/**
 * Problems with a string PostgreSQL stores as text: NUL cannot be stored,
 * and a lone surrogate cannot be encoded as UTF-8.
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (!value.isWellFormed()) return 'must not contain unpaired surrogates';
  return undefined;
}

function codePoints(s: string): number {
  return [...s].length;
}

/**
 * Validates the parsed body. `payloadText` is the payload member's exact
 * text (undefined when absent); `headerKey` the Idempotency-Key header.
 */
export function parseCreateRequest(body: unknown, payloadText: string | undefined, headerKey: string | undefined, now: Date): CreateRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInput([{ path: '', message: 'the body must be a JSON object' }]);
  }
  const b = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const tooLarge: FieldProblem[] = [];
  for (const key of Object.keys(b)) if (!KNOWN_FIELDS.has(key)) problems.push({ path: key, message: 'unknown field' });

  const optionalText = (path: string, value: unknown, maxChars: number): string | null => {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      problems.push({ path, message: 'must be a string' });
      return null;
    }
    const bad = textProblem(value) ?? (codePoints(value) > maxChars ? `must be at most ${maxChars} characters` : undefined);
    if (bad) problems.push({ path, message: bad });
    return value;
  };

  let wakeMessage = '';
  if (typeof b.wake_message !== 'string' || b.wake_message.length === 0) {
    problems.push({ path: 'wake_message', message: 'required: a non-empty string, the text the agent wakes up to' });
  } else {
    wakeMessage = b.wake_message;
    const bad = textProblem(wakeMessage);
    if (bad) problems.push({ path: 'wake_message', message: bad });
    if (Buffer.byteLength(wakeMessage) > WAKE_MESSAGE_MAX_BYTES) tooLarge.push({ path: 'wake_message', message: `must be at most ${WAKE_MESSAGE_MAX_BYTES} bytes of UTF-8` });
  }

  const payload = payloadText ?? 'null';
  if (Buffer.byteLength(payload) > PAYLOAD_MAX_BYTES) tooLarge.push({ path: 'payload', message: `must be at most ${PAYLOAD_MAX_BYTES} bytes of JSON text` });

  const label = optionalText('label', b.label, TEXT_MAX_CHARS);
  const conversationId = optionalText('conversation_id', b.conversation_id, TEXT_MAX_CHARS);

  const bodyKey = b.idempotency_key;
  let idempotencyKey: string | null = null;
  if (bodyKey !== undefined && bodyKey !== null) {
    idempotencyKey = optionalText('idempotency_key', bodyKey, TEXT_MAX_CHARS);
    if (idempotencyKey === '') problems.push({ path: 'idempotency_key', message: 'must be 1 to 200 characters' });
  }
  if (headerKey !== undefined) {
    const bad = textProblem(headerKey) ?? (headerKey.length === 0 || codePoints(headerKey) > TEXT_MAX_CHARS ? 'must be 1 to 200 characters' : undefined);
    if (bad) problems.push({ path: 'Idempotency-Key', message: bad });
    else if (idempotencyKey !== null && idempotencyKey !== headerKey) problems.push({ path: 'idempotency_key', message: 'differs from the Idempotency-Key header: give one, or the same in both' });
    else idempotencyKey = headerKey;
  }

  const tags: string[] = [];
  if (b.tags !== undefined && b.tags !== null) {
    if (!Array.isArray(b.tags)) problems.push({ path: 'tags', message: 'must be an array of strings' });
    else {
      if (b.tags.length > TAGS_MAX) problems.push({ path: 'tags', message: `must have at most ${TAGS_MAX} tags` });
      b.tags.forEach((tag: unknown, i) => {
        const path = `tags[${i}]`;
        if (typeof tag !== 'string') return problems.push({ path, message: 'must be a string' });
        const bad = textProblem(tag) ?? (tag.length === 0 || codePoints(tag) > TAG_MAX_CHARS ? `must be 1 to ${TAG_MAX_CHARS} characters` : undefined);
        if (bad) problems.push({ path, message: bad });
        tags.push(tag);
      });
    }
  }

  let schedule: Schedule | undefined;
  try {
    schedule = parseSchedule(b, now);
  } catch (err) {
    if (!(err instanceof InvalidInput)) throw err;
    problems.push(...err.problems);
  }
  if (tooLarge.length > 0) throw new ApiError(413, 'payload_too_large', tooLarge.map((p) => `${p.path} ${p.message}`).join('; '), tooLarge);
  if (problems.length > 0 || !schedule) throw new InvalidInput(problems);

  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        ['kind', 'at', 'delay', 'cron', 'rrule', 'tz', 'start', 'until', 'max_fires', 'wake_message', 'label', 'conversation_id'].map((k) => b[k] ?? null),
        tags,
        compactJson(payload),
      ]),
    )
    .digest('hex');
  return { schedule, wakeMessage, payloadText: payload, label, conversationId, idempotencyKey, tags, fingerprint };
}
