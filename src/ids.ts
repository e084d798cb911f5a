/** Identifiers: random alarm and attempt ids; a fire id derived from the occurrence. */
import { createHash, randomBytes } from 'node:crypto';

/** A new alarm id: `alm_` + 20 base64url characters (120 random bits). */
export function newAlarmId(): string {
  return `alm_${randomBytes(15).toString('base64url')}`;
}

/** A new attempt (FireView) id. */
export function newAttemptId(): string {
  return `att_${randomBytes(15).toString('base64url')}`;
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
