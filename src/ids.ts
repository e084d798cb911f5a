/** Identifiers: time-ordered alarm and attempt ids; a fire id derived from the occurrence. */
import { createHash, randomFillSync } from 'node:crypto';

// The base64url characters in ASCII order, so that a time written with them sorts as the time does, byte by byte
// (the C collation; a linguistic one ignores - and _ and folds case, so the order is only roughly kept there).
const SORTED_DIGITS = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
// 8 digits of 6 bits: milliseconds since the epoch until the year 10889.
const TIME_DIGITS = 8;
// 72 random bits an id, drawn from a pool filled 256 ids at a time: randomBytes(9) for each id cost 2.8 us (a
// call into the system's random source every time), the pool 0.08 us. Each byte is handed out once, as
// crypto.randomUUID's own cache does.
const RANDOM_BYTES = 9;
const randomPool = Buffer.alloc(RANDOM_BYTES * 256);
let randomOffset = randomPool.length;

/** 12 base64url characters of fresh randomness. */
function randomDigits(): string {
  if (randomOffset === randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const digits = randomPool.toString('base64url', randomOffset, randomOffset + RANDOM_BYTES);
  randomOffset += RANDOM_BYTES;
  return digits;
}

/**
 * 20 base64url characters: the creation millisecond (8 characters, sorting
 * as the time does), then 72 random bits. Ids made later sort later, so a
 * new row's primary-key entry lands at the right edge of the index, which
 * stays in cache, instead of at a random page of a large index: with
 * 1,000,000 alarms pending, random ids made each claim about 25% slower
 * than on an empty table (docs/benchmarks.md).
 */
export function timeOrderedSuffix(nowMs = Date.now()): string {
  let time = '';
  for (let i = 0, t = nowMs; i < TIME_DIGITS; i++, t = Math.floor(t / 64)) time = SORTED_DIGITS[t % 64]! + time;
  return time + randomDigits();
}

/** A new alarm id: `alm_` + {@link timeOrderedSuffix}. */
export function newAlarmId(): string {
  return `alm_${timeOrderedSuffix()}`;
}

/** A new attempt (FireView) id: `att_` + {@link timeOrderedSuffix}. */
export function newAttemptId(): string {
  return `att_${timeOrderedSuffix()}`;
}

/**
 * The fire id of one occurrence: the same for every attempt at it, on every
 * replica, after any crash, and different for each occurrence, because it is
 * derived from the alarm and the occurrence's instant.
 */
export function fireIdFor(alarmId: string, occurrenceAt: Date): string {
  const digest = createHash('sha256').update(`${alarmId}\n${occurrenceAt.getTime()}`).digest('base64url');
  return `fir_${digest.slice(0, 24)}`;
}

/** True for a string shaped like an alarm id (anything else cannot exist). */
export function isAlarmId(id: string): boolean {
  return /^alm_[A-Za-z0-9_-]{20}$/.test(id);
}
