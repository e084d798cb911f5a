/**
 * Validates the time fields of an alarm (SPEC 4.3) into a Schedule, naming
 * every offending field. Pure: `now` is passed in.
 */
import { parseDuration } from '../config/units.js';
import { InvalidInput, type FieldProblem } from '../errors.js';
import { compileCron, compileRrule, cronFields, evaluateRrule, everyIntervalMs, firstOccurrence, instantOfLocalTime, ScheduleEvaluationError } from './next.js';
import { checkRruleSyntax } from './rrule-syntax.js';
import { canonicalZone, parseInstant, parseLocalTime } from './time.js';
import type { Schedule } from './types.js';

/** The schedule fields of a create request, as received (types unchecked). */
export interface ScheduleInput {
  readonly kind?: unknown;
  readonly at?: unknown;
  readonly at_local?: unknown;
  readonly delay?: unknown;
  readonly cron?: unknown;
  readonly rrule?: unknown;
  readonly tz?: unknown;
  readonly start?: unknown;
  readonly until?: unknown;
  readonly max_fires?: unknown;
}

const DAY_MS = 86_400_000;
const MIN_DELAY_MS = 1_000;
const MAX_DELAY_MS = 3650 * DAY_MS;
const MIN_EVERY_MS = 1_000;
const MAX_FIRES = 2_147_483_647;
const MIN_INSTANT = Date.UTC(1970, 0, 1);

/** Fields each kind accepts besides `kind` and `tz`. */
const FIELDS_OF_KIND = {
  once: ['at', 'at_local', 'delay'],
  cron: ['cron', 'start', 'until', 'max_fires'],
  rrule: ['rrule', 'start', 'until', 'max_fires'],
} as const;
const SCHEDULE_FIELDS = ['at', 'at_local', 'delay', 'cron', 'rrule', 'start', 'until', 'max_fires'] as const;

/** Validates `input` as of `now`; throws InvalidInput listing every problem. */
export function parseSchedule(input: ScheduleInput, now: Date): Schedule {
  const problems: FieldProblem[] = [];
  const problem = (path: string, message: string) => {
    problems.push({ path, message });
  };
  const kind = input.kind;
  if (kind !== 'once' && kind !== 'cron' && kind !== 'rrule') {
    problem('kind', 'must be "once", "cron" or "rrule"');
    throw new InvalidInput(problems);
  }
  for (const f of SCHEDULE_FIELDS) {
    if (input[f] !== undefined && !(FIELDS_OF_KIND[kind] as readonly string[]).includes(f)) {
      problem(f, `is not allowed for kind "${kind}" (allowed: ${FIELDS_OF_KIND[kind].join(', ')}, tz)`);
    }
  }

  let tz = 'UTC';
  if (input.tz !== undefined) {
    const zone = typeof input.tz === 'string' ? canonicalZone(input.tz) : undefined;
    if (zone === undefined) problem('tz', 'must be an IANA time zone name, like "Europe/Berlin" or "UTC"');
    else tz = zone;
  }
  const until = optionalInstant(input.until, 'until', problem);
  const givenStart = withinHorizon(optionalInstant(input.start, 'start', problem), 'start', now, problem);
  // Occurrences never come before start, so start is rounded up, never down: a
  // given start to the whole second (DTSTART has no milliseconds), the default
  // to the whole minute, so that an RRULE without BYSECOND fires at :00.
  const start = givenStart ? ceilTo(givenStart, 1_000) : kind === 'rrule' ? ceilTo(now, 60_000) : now;
  let maxFires: number | null = null;
  if (input.max_fires !== undefined && input.max_fires !== null) {
    if (typeof input.max_fires !== 'number' || !Number.isInteger(input.max_fires) || input.max_fires < 1 || input.max_fires > MAX_FIRES) {
      problem('max_fires', `must be a whole number from 1 to ${MAX_FIRES}`);
    } else maxFires = input.max_fires;
  }

  let schedule: Schedule | undefined;
  if (kind === 'once') {
    const once = onceInstant(input, tz, now, problem);
    if (once) schedule = { kind, ...once, tz, until: null, maxFires: null };
  } else if (kind === 'cron') {
    const cron = cronExpression(input.cron, tz, problem);
    if (cron !== undefined) schedule = { kind, cron, tz, start, until, maxFires };
  } else {
    const rrule = rruleValue(input.rrule, tz, start, problem);
    if (rrule !== undefined) schedule = { kind, rrule, tz, start, until, maxFires };
  }
  if (problems.length > 0 || !schedule) throw new InvalidInput(problems);

  let first: Date | null;
  try {
    first = schedule.kind === 'once' ? schedule.at : firstOccurrence(schedule, now);
  } catch (err) {
    if (!(err instanceof ScheduleEvaluationError)) throw err;
    problem(schedule.kind, err.message);
    throw new InvalidInput(problems);
  }
  if (first === null) {
    const withoutEnd = firstOccurrence({ ...schedule, until: null }, now);
    if (withoutEnd && until) problem('until', `is before the first occurrence (${withoutEnd.toISOString()}): the alarm would never fire`);
    else problem(schedule.kind, 'never fires: it has no occurrence after now');
    throw new InvalidInput(problems);
  }
  return schedule;
}

function ceilTo(date: Date, unitMs: number): Date {
  return new Date(Math.ceil(date.getTime() / unitMs) * unitMs);
}

function optionalInstant(value: unknown, path: string, problem: (p: string, m: string) => void): Date | null {
  if (value === undefined || value === null) return null;
  const date = typeof value === 'string' ? parseInstant(value) : undefined;
  if (!date || date.getTime() < MIN_INSTANT) {
    // A wall time without an offset is the usual slip: say what it lacks, and where a wall time goes.
    const local = typeof value === 'string' && parseLocalTime(value.replace(/\.\d+$/, '')) !== undefined;
    const alternative = path === 'at' ? ', or send the wall time as "at_local" with "tz"' : '';
    problem(path, local ? `has no offset: add one, like "${value as string}Z" or "${value as string}+01:00"${alternative}` : 'must be an RFC 3339 time with an offset, like "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00+01:00"');
    return null;
  }
  return date;
}

function onceInstant(input: ScheduleInput, tz: string, now: Date, problem: (p: string, m: string) => void): { at: Date; atLocal?: string } | undefined {
  const given = (['at', 'at_local', 'delay'] as const).filter((f) => input[f] !== undefined && input[f] !== null);
  if (given.length !== 1) {
    problem(given[1] ?? 'at', 'give exactly one of "at" (an RFC 3339 time with an offset), "at_local" (a wall time read in tz, like "2027-03-01T09:00") or "delay" (a duration like "15m")');
    return undefined;
  }
  if (given[0] === 'at_local') {
    const local = typeof input.at_local === 'string' ? parseLocalTime(input.at_local) : undefined;
    if (!local) {
      problem('at_local', 'must be a local time without offset, like "2027-03-01T09:00" or "2027-03-01T09:00:30"');
      return undefined;
    }
    const at = withinHorizon(instantOfLocalTime(local, tz), 'at_local', now, problem);
    return at ? { at, atLocal: input.at_local as string } : undefined;
  }
  if (given[0] === 'delay') {
    let ms: number | undefined;
    try {
      ms = typeof input.delay === 'string' ? parseDuration(input.delay) : undefined;
    } catch {
      ms = undefined;
    }
    if (ms === undefined || ms < MIN_DELAY_MS || ms > MAX_DELAY_MS) {
      problem('delay', 'must be a duration from 1s to 3650d, like "90s", "15m" or "1h30m"');
      return undefined;
    }
    return { at: new Date(now.getTime() + ms) };
  }
  const at = withinHorizon(optionalInstant(input.at, 'at', problem), 'at', now, problem);
  return at ? { at } : undefined;
}

/** `date` unless it lies more than 10 years after `now` (then a problem of `path`): the bound of `at` and `start`. */
function withinHorizon(date: Date | null, path: string, now: Date, problem: (p: string, m: string) => void): Date | null {
  if (!date) return null;
  const horizon = new Date(now);
  horizon.setUTCFullYear(horizon.getUTCFullYear() + 10);
  if (date <= horizon) return date;
  problem(path, 'must be at most 10 years ahead');
  return null;
}

function cronExpression(value: unknown, tz: string, problem: (p: string, m: string) => void): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    problem('cron', 'required: a cron expression like "0 9 * * MON-FRI", a descriptor like "@daily", or "@every 15m"');
    return undefined;
  }
  const cron = value.trim().replace(/\s+/g, ' ');
  if (/^@every\b/i.test(cron)) {
    let ms: number | undefined;
    try {
      ms = everyIntervalMs(cron);
    } catch {
      ms = undefined;
    }
    if (ms === undefined || ms < MIN_EVERY_MS || ms > MAX_DELAY_MS) {
      problem('cron', '@every needs a duration from 1s to 3650d, like "@every 90s" or "@every 1h30m"');
      return undefined;
    }
    return cron;
  }
  if (cron.startsWith('@') && cronFields(cron).length === 1) {
    problem('cron', `unknown descriptor ${cron}: use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>`);
    return undefined;
  }
  const fields = cronFields(cron);
  if (fields.length !== 5 && fields.length !== 6) {
    problem('cron', `has ${fields.length} fields: use 5 (minute hour day month weekday) or 6 (second first)`);
    return undefined;
  }
  try {
    compileCron(cron, tz);
  } catch (err) {
    problem('cron', `is not a valid cron expression: ${(err as Error).message.replace(/^CronPattern:\s*/, '')}`);
    return undefined;
  }
  return cron;
}

function rruleValue(value: unknown, tz: string, start: Date, problem: (p: string, m: string) => void): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    problem('rrule', 'required: an RFC 5545 RRULE value like "FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0"');
    return undefined;
  }
  const rrule = value.trim();
  const syntax = checkRruleSyntax(rrule);
  if (syntax) {
    problem('rrule', syntax);
    return undefined;
  }
  let rule;
  try {
    rule = compileRrule(rrule, tz, start);
  } catch (err) {
    problem('rrule', `is not a valid RRULE: ${(err as Error).message}`);
    return undefined;
  }
  if (/(^|;)COUNT=/i.test(rrule)) {
    // Walk a COUNT rule to its last instance now, so that it cannot become
    // unevaluable halfway through its life.
    try {
      evaluateRrule(() => rule.all());
    } catch (err) {
      problem('rrule', (err as Error).message);
      return undefined;
    }
  }
  return rrule;
}
