/**
 * Misfires (SPEC 9.3), as pure functions: what the dispatcher does with a
 * claimed occurrence of a recurring alarm that it reaches late (the daemon
 * was down, the owner suspended, the alarm paused and resumed through
 * "all"), before sending it. `coalesce` sends it (one wake for all that was
 * missed; decide.ts then moves on from now); `skip` drops one later than the
 * threshold and moves on from now; `all` sends each missed occurrence, the
 * oldest first (decide.ts moves on from the occurrence, not from now), at
 * most `maxCatchup` of them: the most recent ones.
 */
import { scheduleOf } from '../alarms/schedule-of.js';
import { fireIdFor } from '../ids.js';
import { nextOccurrence } from '../schedule/next.js';
import type { Schedule } from '../schedule/types.js';
import type { ClaimedRow, SettlePatch } from '../store/claims.js';

/** How late an occurrence is missed, and how many missed ones `all` fires. */
export interface MisfirePolicy {
  readonly misfireThresholdMs: number;
  readonly maxCatchup: number;
}

/**
 * The alarm's new state when the claimed occurrence is not to be sent (it
 * is missed and dropped), or null: send it. Only a first attempt is judged:
 * a retry is late by design. A once alarm and a fire-now occurrence always
 * fire.
 */
export function misfireReschedule(row: ClaimedRow, nowMs: number, policy: MisfirePolicy): SettlePatch | null {
  if (row.misfire === 'coalesce' || row.kind === 'once' || row.manual_of !== null || row.attempt !== 1 || row.occurrence_at === null) return null;
  const occurrenceMs = row.occurrence_at.getTime();
  if (nowMs <= occurrenceMs) return null;
  let schedule: Schedule;
  try {
    schedule = scheduleOf(row);
    if (row.misfire === 'skip') {
      if (nowMs - occurrenceMs <= policy.misfireThresholdMs) return null;
      const next = nextOccurrence(schedule, new Date(nowMs));
      return rescheduled(row, next, `the occurrence of ${row.occurrence_at.toISOString()} was missed (${Math.round((nowMs - occurrenceMs) / 1000)}s late): not sent (misfire skip)`);
    }
    const first = oldestOfRecent(schedule, row.occurrence_at, nowMs, policy.maxCatchup);
    if (first.getTime() === occurrenceMs) return null;
    return rescheduled(row, first, `more than ${policy.maxCatchup} occurrences were missed: the older ones are not sent (misfire all, dispatch.max_catchup)`);
  } catch {
    // A schedule that cannot be evaluated is sent, and the settle after it ends the alarm with the reason.
    return null;
  }
}

/** Counts the occurrences in [fromMs, nowMs], up to `cap`. */
function countFrom(schedule: Schedule, fromMs: number, nowMs: number, cap: number): number {
  let n = 0;
  for (let at = nextOccurrence(schedule, new Date(fromMs - 1)); at !== null && at.getTime() <= nowMs && n < cap; at = nextOccurrence(schedule, at)) n++;
  return n;
}

/**
 * The oldest of the `max` most recent occurrences from `missed` (itself an
 * occurrence) to now: `missed` itself when no more than `max` are due. A
 * binary search over the instants, each step a walk of at most max + 1
 * occurrences, so a long outage of a frequent schedule costs no more than
 * a short one.
 */
function oldestOfRecent(schedule: Schedule, missed: Date, nowMs: number, max: number): Date {
  let lo = missed.getTime();
  if (countFrom(schedule, lo, nowMs, max + 1) <= max) return missed;
  // countFrom(lo) > max, countFrom(hi) < max: find the last instant from which at least max are due.
  let hi = nowMs + 1;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (countFrom(schedule, mid, nowMs, max + 1) >= max) lo = mid;
    else hi = mid;
  }
  return nextOccurrence(schedule, new Date(lo - 1))!;
}

function rescheduled(row: ClaimedRow, next: Date | null, why: string): SettlePatch {
  const base = { attempt: 0, delivered: false, consecutiveFailures: row.consecutive_failures, lastError: why };
  if (next === null) return { ...base, status: 'completed', nextFireAt: null, occurrenceAt: row.occurrence_at, fireId: row.fire_id };
  return { ...base, status: 'scheduled', nextFireAt: next, occurrenceAt: next, fireId: fireIdFor(row.id, next) };
}
