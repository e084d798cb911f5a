/**
 * Occurrence math: the next occurrence strictly after an instant, the first
 * one at creation, and a preview. Pure: every function takes the time it
 * reasons about. DST follows SPEC 4.3 (Vixie cron for cron, RFC 5545 for rrule).
 */
import { Cron } from 'croner';
import { RRuleTemporal } from 'rrule-temporal';
import { parseDuration } from '../config/units.js';
import { LAST_INSTANT_MS, localParts, type LocalTime } from './time.js';

const DAY_MS = 86_400_000;
import type { CronSchedule, RruleSchedule, Schedule } from './types.js';

/** `@yearly` .. `@hourly` as the five-field expressions Vixie cron gives them. */
export const CRON_DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const EVERY = /^@every\s+(\S+)$/i;

/** The interval of an `@every <duration>` expression in ms, or undefined for other expressions. */
export function everyIntervalMs(cron: string): number | undefined {
  const m = EVERY.exec(cron.trim());
  return m ? parseDuration(m[1]!) : undefined;
}

/**
 * SPEC 4.3: a fixed-time entry has no wildcard, range or step in its second,
 * minute and hour fields; it fires once per local day across DST. Others
 * follow the clock. Returns croner's rule that gives that behaviour.
 */
export function fixedTimeRule(fields: readonly string[]): 'no-wildcard' | 'single-value' {
  const timeFields = fields.length === 6 ? fields.slice(0, 3) : fields.slice(0, 2);
  // croner's no-wildcard counts lists and ranges as fixed, single-value neither;
  // the SPEC counts lists but not ranges, so lists pick no-wildcard.
  return timeFields.every((f) => !/[*?/-]/.test(f)) ? 'no-wildcard' : 'single-value';
}

/** Splits a cron expression into fields, expanding descriptors. */
export function cronFields(cron: string): string[] {
  const trimmed = cron.trim();
  const expanded = CRON_DESCRIPTORS[trimmed.toLowerCase()] ?? trimmed;
  return expanded.split(/\s+/);
}

/** Builds the croner job for a cron schedule (not `@every`). Throws on a bad pattern or zone. */
export function compileCron(cron: string, tz: string): Cron {
  const fields = cronFields(cron);
  return new Cron(fields.join(' '), { timezone: tz, paused: true, mode: '5-or-6-parts', fixedTimeRule: fixedTimeRule(fields) });
}

/**
 * The instant of the wall time `local` in `tz`, by the rule of a fixed-time
 * cron entry (SPEC 4.3): a time skipped by a DST change is the end of the
 * gap, a time that happens twice its first instance. It is that entry's
 * first run from two days before the date (no zone is 26 hours off UTC).
 */
export function instantOfLocalTime(local: LocalTime, tz: string): Date {
  const job = new Cron(`${local.second} ${local.minute} ${local.hour} ${local.day} ${local.month} *`, { timezone: tz, paused: true, mode: '6-part', fixedTimeRule: 'no-wildcard' });
  const run = job.nextRun(new Date(Date.UTC(local.year, local.month - 1, local.day) - 2 * DAY_MS));
  if (!run) throw new Error(`no instant for ${JSON.stringify(local)} in ${tz}`);
  return run;
}

/**
 * Recurrence periods the RRULE library may walk for one answer. COUNT rules
 * are walked from DTSTART; 100,000 minutes take about 70 ms here, and the
 * bound keeps a pathological rule from holding a core for seconds.
 */
export const RRULE_MAX_PERIODS = 100_000;

/** An RRULE the library could not evaluate within {@link RRULE_MAX_PERIODS}. */
export class ScheduleEvaluationError extends Error {
  override name = 'ScheduleEvaluationError';
}

/** Builds the RRULE evaluator with DTSTART = `start` in `tz` (whole seconds: the caller rounds). */
export function compileRrule(rrule: string, tz: string, start: Date): RRuleTemporal {
  const p = localParts(start, tz);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const dtstart = `${pad(p.year, 4)}${pad(p.month)}${pad(p.day)}T${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
  return new RRuleTemporal({ rruleString: `DTSTART;TZID=${tz}:${dtstart}\nRRULE:${rrule.toUpperCase()}`, maxIterations: RRULE_MAX_PERIODS });
}

/** Runs a library call, turning its give-up into ScheduleEvaluationError (never into "no more occurrences"). */
export function evaluateRrule<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw new ScheduleEvaluationError(`cannot be evaluated: more than ${RRULE_MAX_PERIODS} recurrence periods from start (${(err as Error).message}); use a later start, a coarser FREQ or a smaller COUNT`, { cause: err });
  }
}

// Compiled evaluators by schedule; bounded so a fleet of distinct rules cannot grow it without limit.
const CACHE_LIMIT = 10_000;
const cache = new Map<string, (after: Date) => Date | null>();

function evaluator(s: CronSchedule | RruleSchedule): (after: Date) => Date | null {
  const key = s.kind === 'cron' ? `c|${s.tz}|${s.start.getTime()}|${s.cron}` : `r|${s.tz}|${s.start.getTime()}|${s.rrule}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const fn = build(s);
  cache.set(key, fn);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return fn;
}

function build(s: CronSchedule | RruleSchedule): (after: Date) => Date | null {
  if (s.kind === 'cron') {
    const every = everyIntervalMs(s.cron);
    if (every !== undefined) {
      const anchor = s.start.getTime();
      return (after) => new Date(anchor + (Math.max(0, Math.floor((after.getTime() - anchor) / every)) + 1) * every);
    }
    const job = compileCron(s.cron, s.tz);
    return (after) => job.nextRun(after);
  }
  const rule = compileRrule(s.rrule, s.tz, s.start);
  return (after) => {
    const z = evaluateRrule(() => rule.next(after));
    return z ? new Date(z.epochMilliseconds) : null;
  };
}

/**
 * The first occurrence strictly after `after`, within `until`; null when
 * there is none. Throws ScheduleEvaluationError when an RRULE cannot be
 * evaluated (parseSchedule refuses such rules up front).
 */
export function nextOccurrence(s: Schedule, after: Date): Date | null {
  let next: Date | null;
  if (s.kind === 'once') {
    next = s.at > after ? s.at : null;
  } else {
    // Never before start: search from just before it.
    const from = after < s.start ? new Date(s.start.getTime() - 1) : after;
    next = evaluator(s)(from);
  }
  if (next && s.until && next > s.until) return null;
  // A schedule ends where stored instants end.
  if (next && next.getTime() > LAST_INSTANT_MS) return null;
  return next;
}

/**
 * The occurrence an alarm created at `now` waits for: `at` for once (even in
 * the past), else the first occurrence at or after both `now` and `start`.
 */
export function firstOccurrence(s: Schedule, now: Date): Date | null {
  if (s.kind === 'once') return s.at;
  if (s.kind === 'cron' && everyIntervalMs(s.cron) !== undefined) return nextOccurrence(s, now < s.start ? s.start : now);
  return nextOccurrence(s, new Date(now.getTime() - 1));
}

/** Up to `n` occurrences from the first one at `now`. */
export function previewOccurrences(s: Schedule, now: Date, n: number): Date[] {
  const out: Date[] = [];
  let next = firstOccurrence(s, now);
  while (next && out.length < n && (s.maxFires === null || out.length < s.maxFires)) {
    out.push(next);
    next = nextOccurrence(s, next);
  }
  return out;
}
