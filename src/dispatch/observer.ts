/**
 * What the dispatcher reports as it works (metrics/metrics.ts listens).
 * Called on the hot path: an implementation records a number and returns.
 */
import type { Target } from '../api/alarms.js';
import type { Decision } from './decide.js';

/** Listens to claims and attempts. */
export interface DispatchObserver {
  /** A claim statement took `durationMs` and claimed `rows` alarms (0 included). */
  claimed(durationMs: number, rows: number): void;
  /**
   * Attempt `attempt` (1: the first at its occurrence) at an alarm of target
   * `target` ended with `outcome`, `latenessMs` after the occurrence's
   * scheduled_for (to its answer, or its failure).
   */
  attempted(target: Target['type'], outcome: Decision['outcome'], attempt: number, latenessMs: number): void;
}

/** One observer that tells each of `observers` in turn. */
export function observeAll(...observers: DispatchObserver[]): DispatchObserver {
  return {
    claimed: (durationMs, rows) => observers.forEach((o) => o.claimed(durationMs, rows)),
    attempted: (target, outcome, attempt, latenessMs) => observers.forEach((o) => o.attempted(target, outcome, attempt, latenessMs)),
  };
}
