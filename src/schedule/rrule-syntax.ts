/**
 * RRULE grammar checks (RFC 5545 section 3.3.10). The recurrence library
 * silently ignores unknown parts and out-of-range values; an agent must hear
 * about them instead, so every part is checked here first.
 */

type PartCheck = (value: string) => string | undefined;

const int = (min: number, max: number, allowNegative = false): PartCheck => (value) => {
  const items = value.split(',');
  for (const item of items) {
    if (!/^[+-]?\d{1,4}$/.test(item)) return `"${item}" is not a whole number`;
    const n = Number(item);
    const abs = Math.abs(n);
    if (n < 0 && !allowNegative) return `${item} must not be negative`;
    if (abs < min || abs > max || (allowNegative && n === 0)) return `${item} is out of range ${allowNegative ? `±${min}..${max}` : `${min}..${max}`}`;
  }
  return undefined;
};

const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

const PARTS: Record<string, PartCheck> = {
  FREQ: (v) => (['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(v) ? undefined : `"${v}" is not a frequency (SECONDLY .. YEARLY)`),
  UNTIL: (v) => (/^\d{8}(T\d{6}Z?)?$/.test(v) ? undefined : `"${v}" is not a date (YYYYMMDD) or UTC date-time (YYYYMMDDTHHMMSSZ)`),
  COUNT: (v) => (/^\d{1,6}$/.test(v) && Number(v) >= 1 ? undefined : `"${v}" is not a positive whole number`),
  INTERVAL: (v) => (/^\d{1,6}$/.test(v) && Number(v) >= 1 ? undefined : `"${v}" is not a positive whole number`),
  BYSECOND: int(0, 60),
  BYMINUTE: int(0, 59),
  BYHOUR: int(0, 23),
  BYDAY: (v) => {
    for (const item of v.split(',')) {
      const m = /^([+-]?\d{1,2})?([A-Z]{2})$/.exec(item);
      if (!m || !WEEKDAYS.includes(m[2]!)) return `"${item}" is not a weekday (SU, MO, .. SA, optionally with an ordinal like 1MO or -1FR)`;
      if (m[1] !== undefined && (Math.abs(Number(m[1])) < 1 || Math.abs(Number(m[1])) > 53)) return `ordinal in "${item}" is out of range ±1..53`;
    }
    return undefined;
  },
  BYMONTHDAY: int(1, 31, true),
  BYYEARDAY: int(1, 366, true),
  BYWEEKNO: int(1, 53, true),
  BYMONTH: int(1, 12),
  BYSETPOS: int(1, 366, true),
  WKST: (v) => (WEEKDAYS.includes(v) ? undefined : `"${v}" is not a weekday (SU, MO, .. SA)`),
};

/** Returns what is wrong with an RRULE value, or undefined when it is well formed. */
export function checkRruleSyntax(rrule: string): string | undefined {
  if (/^\s*(RRULE|DTSTART)[:;]/i.test(rrule) || /[\r\n]/.test(rrule)) {
    return 'give only the RRULE value, like FREQ=WEEKLY;BYDAY=MO (no "RRULE:" prefix, no DTSTART line: use start and tz)';
  }
  const seen = new Set<string>();
  for (const part of rrule.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `"${part}" is not a NAME=VALUE part`;
    const name = part.slice(0, eq).toUpperCase();
    const value = part.slice(eq + 1).toUpperCase();
    const check = PARTS[name];
    if (!check) return `unknown part ${name} (supported: ${Object.keys(PARTS).join(', ')})`;
    if (seen.has(name)) return `${name} is given twice`;
    seen.add(name);
    const problem = value === '' ? 'is empty' : check(value);
    if (problem) return `${name}: ${problem}`;
  }
  if (!seen.has('FREQ')) return 'FREQ is required, like FREQ=DAILY';
  if (seen.has('COUNT') && seen.has('UNTIL')) return 'COUNT and UNTIL must not both be given';
  return combinationProblem(parts(rrule));
}

function parts(rrule: string): Map<string, string> {
  return new Map(rrule.split(';').map((p) => [p.slice(0, p.indexOf('=')).toUpperCase(), p.slice(p.indexOf('=') + 1).toUpperCase()]));
}

// Most days a month can have (February in a leap year).
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** RFC 5545's rules on which parts go with which FREQ, and month/day pairs that never exist. */
function combinationProblem(p: Map<string, string>): string | undefined {
  const freq = p.get('FREQ')!;
  if (p.has('BYWEEKNO') && freq !== 'YEARLY') return 'BYWEEKNO is only allowed with FREQ=YEARLY';
  if (p.has('BYYEARDAY') && ['DAILY', 'WEEKLY', 'MONTHLY'].includes(freq)) return `BYYEARDAY is not allowed with FREQ=${freq}`;
  if (p.has('BYMONTHDAY') && freq === 'WEEKLY') return 'BYMONTHDAY is not allowed with FREQ=WEEKLY';
  if (/\d/.test(p.get('BYDAY') ?? '') && !['MONTHLY', 'YEARLY'].includes(freq)) return `BYDAY with an ordinal (like 1MO) needs FREQ=MONTHLY or YEARLY, not ${freq}`;
  if (/\d/.test(p.get('BYDAY') ?? '') && freq === 'YEARLY' && p.has('BYWEEKNO')) return 'BYDAY with an ordinal is not allowed with BYWEEKNO';
  const monthDays = p.get('BYMONTHDAY');
  if (monthDays && !p.has('BYYEARDAY') && !p.has('BYWEEKNO')) {
    const months = p.has('BYMONTH') ? p.get('BYMONTH')!.split(',').map(Number) : MONTH_DAYS.map((_, i) => i + 1);
    const longest = Math.max(...months.map((m) => MONTH_DAYS[m - 1]!));
    if (monthDays.split(',').every((d) => Math.abs(Number(d)) > longest)) return `never fires: no month in BYMONTH has day ${monthDays}`;
  }
  return undefined;
}
