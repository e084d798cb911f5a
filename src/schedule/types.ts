/** A validated schedule: what an alarm's time fields mean. */

interface Bounds {
  /** IANA zone the schedule is read in. */
  readonly tz: string;
  /** No occurrence after this instant. */
  readonly until: Date | null;
  /** At most this many delivered occurrences (enforced by the dispatcher). */
  readonly maxFires: number | null;
}

/** Fires once at `at` (a past `at` fires as soon as possible). */
export interface OnceSchedule extends Bounds {
  readonly kind: 'once';
  readonly at: Date;
  /** The wall time `at` was resolved from in `tz`, when it was given as one. */
  readonly atLocal?: string;
}

/** A cron expression, descriptor or `@every <duration>`, read in `tz` from `start`. */
export interface CronSchedule extends Bounds {
  readonly kind: 'cron';
  readonly cron: string;
  /** Not before this instant; the anchor of `@every`. */
  readonly start: Date;
}

/** An RFC 5545 RRULE value with DTSTART = `start` in `tz`. */
export interface RruleSchedule extends Bounds {
  readonly kind: 'rrule';
  readonly rrule: string;
  readonly start: Date;
}

/** Any schedule. */
export type Schedule = OnceSchedule | CronSchedule | RruleSchedule;
