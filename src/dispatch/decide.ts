/**
 * What an attempt's verdict does to its alarm (SPEC 4.5), as a pure
 * function: retry along the ladder, complete, advance a recurring alarm to
 * its next occurrence, or fail.
 */
import { scheduleOf } from '../alarms/schedule-of.js';
import { fireIdFor } from '../ids.js';
import { nextOccurrence } from '../schedule/next.js';
import type { ClaimedRow, SettlePatch } from '../store/claims.js';
import { classify, describeFailure, nextAttemptAt, type AttemptResult } from './ladder.js';
import type { MisfirePolicy } from './misfire.js';

/** The retry, failure and misfire policy. */
export interface Policy extends MisfirePolicy {
  readonly retryLadderMs: readonly number[];
  readonly maxConsecutiveFailures: number;
  readonly random?: () => number;
}

/** The patch for the alarm and the outcome of the attempt for the ledger. */
export interface Decision {
  readonly patch: SettlePatch;
  readonly outcome: 'delivered' | 'retrying' | 'failed';
  readonly error: string | null;
}

/** Decides the alarm's next state after attempt `row.attempt` ended with `result` at `nowMs`. */
export function decide(row: ClaimedRow, result: AttemptResult, nowMs: number, policy: Policy): Decision {
  const verdict = classify(result);
  if (verdict === 'delivered') {
    const patch = row.kind === 'once' ? finished(row, 'completed', null, true, 0) : advance(row, nowMs, row.fire_count + 1, 0, null, true);
    return { patch, outcome: 'delivered', error: null };
  }
  const error = describeFailure(result);
  if (verdict === 'retry') {
    const at = nextAttemptAt(nowMs, row.attempt, policy.retryLadderMs, result.kind === 'answered' ? result.retryAfterMs : undefined, policy.random);
    if (at !== null) return retryAt(row, at, error);
  }
  const reason = verdict === 'retry' ? `${error} (gave up after ${row.attempt} attempts)` : error;
  if (row.kind === 'once') return { patch: finished(row, 'failed', reason, false, row.consecutive_failures + 1), outcome: 'failed', error };
  const failures = row.consecutive_failures + 1;
  const patch =
    failures >= policy.maxConsecutiveFailures
      ? finished(row, 'failed', `${reason}; ${failures} occurrences failed in a row`, false, failures)
      : advance(row, nowMs, row.fire_count, failures, reason, false);
  return { patch, outcome: 'failed', error };
}

/**
 * An attempt cut off at shutdown (aborted at the drain timeout): it was
 * started, so it counts, but its outcome is unknown, so the wake goes again
 * at once with the same fire_id as the next attempt, whatever the ladder
 * says; as for a lease the reaper takes back (store/claims.ts).
 */
export function resendAtOnce(row: ClaimedRow, result: AttemptResult, nowMs: number): Decision {
  return retryAt(row, nowMs, `${describeFailure(result)}; the outcome is unknown, so it is sent again with the same fire_id`);
}

/** The same occurrence again at `atMs`, with the same fire_id, after a failed attempt. */
function retryAt(row: ClaimedRow, atMs: number, error: string): Decision {
  const patch: SettlePatch = {
    status: 'scheduled',
    nextFireAt: new Date(atMs),
    occurrenceAt: row.occurrence_at,
    fireId: row.fire_id,
    attempt: row.attempt,
    delivered: false,
    consecutiveFailures: row.consecutive_failures,
    lastError: error,
  };
  return { patch, outcome: 'retrying', error };
}

function finished(row: ClaimedRow, status: 'completed' | 'failed', lastError: string | null, delivered: boolean, failures: number): SettlePatch {
  return { status, nextFireAt: null, occurrenceAt: row.occurrence_at, fireId: row.fire_id, attempt: row.attempt, delivered, consecutiveFailures: failures, lastError };
}

/**
 * Moves a recurring alarm to its next occurrence after now: the occurrences
 * missed while it waited are not fired one by one (SPEC 4.5), unless its
 * misfire policy is `all`, which moves on to the occurrence after this one,
 * due at once if it was missed too (misfire.ts caps how many). Ends it when
 * max_fires is reached or the schedule has no further occurrence.
 */
function advance(row: ClaimedRow, nowMs: number, fireCount: number, failures: number, lastError: string | null, delivered: boolean): SettlePatch {
  if (row.max_fires !== null && fireCount >= row.max_fires) return finished(row, 'completed', lastError, delivered, failures);
  let next: Date | null;
  try {
    const occurrenceMs = row.occurrence_at?.getTime() ?? nowMs;
    const from = row.misfire === 'all' ? occurrenceMs : Math.max(nowMs, occurrenceMs);
    next = nextOccurrence(scheduleOf(row), new Date(from));
  } catch (err) {
    return finished(row, 'failed', `the schedule cannot be evaluated: ${(err as Error).message}`, delivered, failures);
  }
  if (next === null) return finished(row, 'completed', lastError, delivered, failures);
  return { status: 'scheduled', nextFireAt: next, occurrenceAt: next, fireId: fireIdFor(row.id, next), attempt: 0, delivered, consecutiveFailures: failures, lastError };
}
