import t from 'tap';
import { InvalidInput } from '../../src/errors.js';
import { parseSchedule, type ScheduleInput } from '../../src/schedule/parse.js';
import { canonicalZone, parseInstant } from '../../src/schedule/time.js';
import { nextOccurrence, previewOccurrences } from '../../src/schedule/next.js';

const now = new Date('2026-11-23T12:00:00.000Z');

function problems(input: ScheduleInput): { path: string; message: string }[] {
  try {
    parseSchedule(input, now);
  } catch (err) {
    if (err instanceof InvalidInput) return [...err.problems];
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

t.test('once: at or delay', async (t) => {
  const at = parseSchedule({ kind: 'once', at: '2026-11-23T13:00:00+01:00' }, now);
  t.same(at, { kind: 'once', at: new Date('2026-11-23T12:00:00.000Z'), tz: 'UTC', until: null, maxFires: null });
  const delay = parseSchedule({ kind: 'once', delay: '15m' }, now);
  t.equal(delay.kind === 'once' && delay.at.toISOString(), '2026-11-23T12:15:00.000Z');
  const past = parseSchedule({ kind: 'once', at: '2020-01-01T00:00:00Z' }, now);
  t.equal(past.kind === 'once' && past.at.toISOString(), '2020-01-01T00:00:00.000Z', 'a past time is accepted: it fires as soon as possible');
  t.ok(parseSchedule({ kind: 'once', at: '2036-11-23T12:00:00Z' }, now), 'exactly 10 years ahead is accepted');
  t.ok(parseSchedule({ kind: 'once', delay: '3650d' }, now), '3650d is accepted');
  t.ok(parseSchedule({ kind: 'once', at: '2026-11-23T12:00:00.123456789Z' }, now), 'nanosecond fractions are accepted');
});

t.test('once: at_local is a wall time read in tz, by the DST rule of fixed-time cron entries', async (t) => {
  const local = (at_local: string, tz: string) => {
    const s = parseSchedule({ kind: 'once', at_local, tz }, now);
    return s.kind === 'once' ? [s.at.toISOString(), s.atLocal] : [];
  };
  t.same(local('2027-03-01T09:00', 'Europe/Berlin'), ['2027-03-01T08:00:00.000Z', '2027-03-01T09:00'], 'winter: UTC+1');
  t.same(local('2027-07-01T09:00:30', 'Europe/Berlin'), ['2027-07-01T07:00:30.000Z', '2027-07-01T09:00:30'], 'summer: UTC+2, seconds kept');
  t.same(local('2027-03-14T02:30', 'America/New_York'), ['2027-03-14T07:00:00.000Z', '2027-03-14T02:30'], 'in the spring-forward gap: right after it, 03:00 EDT');
  t.same(local('2027-11-07T01:30', 'America/New_York'), ['2027-11-07T05:30:00.000Z', '2027-11-07T01:30'], 'repeated at fall-back: the first instance, EDT');
  t.same(local('2027-10-03T02:15', 'Australia/Lord_Howe'), ['2027-10-02T15:30:00.000Z', '2027-10-03T02:15'], 'a 30-minute gap: 02:30 +11');
  t.same(local('2028-02-29T23:59', 'Pacific/Kiritimati'), ['2028-02-29T09:59:00.000Z', '2028-02-29T23:59'], 'UTC+14, leap day');
  t.same(local('2027-01-01T00:00', 'UTC'), ['2027-01-01T00:00:00.000Z', '2027-01-01T00:00'], 'tz defaults to UTC');
  t.same(problems({ kind: 'once', at_local: '2027-03-01T09:00+01:00', tz: 'Europe/Berlin' }), [{ path: 'at_local', message: 'must be a local time without offset, like "2027-03-01T09:00" or "2027-03-01T09:00:30"' }], 'an offset belongs in at');
  t.same(problems({ kind: 'once', at_local: '2027-02-29T09:00' }).map((p) => p.path), ['at_local'], 'a date that does not exist');
  t.same(problems({ kind: 'once', at_local: '2037-01-01T00:00' }), [{ path: 'at_local', message: 'must be at most 10 years ahead' }]);
  t.same(problems({ kind: 'once', at_local: '2027-03-01T09:00', delay: '1h' }).map((p) => p.path), ['delay'], 'one of at, at_local, delay');
  t.same(problems({ kind: 'cron', cron: '@daily', at_local: '2027-03-01T09:00' }).map((p) => p.path), ['at_local'], 'only for once');
});

t.test('rejections name the field', async (t) => {
  const cases: [ScheduleInput, string, RegExp][] = [
    [{}, 'kind', /"once", "cron" or "rrule"/],
    [{ kind: 'weekly' }, 'kind', /"once", "cron" or "rrule"/],
    [{ kind: 'once' }, 'at', /exactly one of "at".*or "delay"/],
    [{ kind: 'once', at: '2026-11-23T13:00:00Z', delay: '5m' }, 'delay', /exactly one/],
    [{ kind: 'once', at: '2026-11-23T13:00:00' }, 'at', /^has no offset: add one, like "2026-11-23T13:00:00Z" or "2026-11-23T13:00:00\+01:00", or send the wall time as "at_local" with "tz"$/],
    [{ kind: 'once', at: '2026-11-23 13:00' }, 'at', /RFC 3339/],
    [{ kind: 'once', at: '2026-02-30T13:00:00Z' }, 'at', /RFC 3339/],
    [{ kind: 'once', at: '2026-11-23T24:00:00Z' }, 'at', /RFC 3339/],
    [{ kind: 'once', at: 1764000000 }, 'at', /RFC 3339/],
    [{ kind: 'once', at: '2036-11-23T12:00:01Z' }, 'at', /at most 10 years ahead/],
    [{ kind: 'once', delay: '0s' }, 'delay', /from 1s to 3650d/],
    [{ kind: 'once', delay: '999ms' }, 'delay', /from 1s to 3650d/],
    [{ kind: 'once', delay: '3651d' }, 'delay', /from 1s to 3650d/],
    [{ kind: 'once', delay: 'soon' }, 'delay', /from 1s to 3650d/],
    [{ kind: 'once', delay: 900 }, 'delay', /from 1s to 3650d/],
    [{ kind: 'once', delay: '5m', cron: '* * * * *' }, 'cron', /not allowed for kind "once"/],
    [{ kind: 'once', delay: '5m', until: '2027-01-01T00:00:00Z' }, 'until', /not allowed for kind "once"/],
    [{ kind: 'once', delay: '5m', tz: 'Mars/Olympus' }, 'tz', /IANA time zone/],
    [{ kind: 'once', delay: '5m', tz: '+01:00' }, 'tz', /IANA time zone/],
    [{ kind: 'once', delay: '5m', tz: 7 }, 'tz', /IANA time zone/],
    [{ kind: 'cron' }, 'cron', /required/],
    [{ kind: 'cron', cron: '   ' }, 'cron', /required/],
    [{ kind: 'cron', cron: '* * * *' }, 'cron', /has 4 fields: use 5/],
    [{ kind: 'cron', cron: '0 0 * * * * 2027' }, 'cron', /has 7 fields/],
    [{ kind: 'cron', cron: '61 * * * *' }, 'cron', /not a valid cron expression: .*minute/],
    [{ kind: 'cron', cron: '0 25 * * *' }, 'cron', /not a valid cron expression/],
    [{ kind: 'cron', cron: '@reboot' }, 'cron', /unknown descriptor @reboot/],
    [{ kind: 'cron', cron: '@every' }, 'cron', /@every needs a duration/],
    [{ kind: 'cron', cron: '@every 500ms' }, 'cron', /@every needs a duration from 1s/],
    [{ kind: 'cron', cron: '@every 90' }, 'cron', /@every needs a duration/],
    [{ kind: 'cron', cron: '0 0 30 2 *' }, 'cron', /never fires/],
    [{ kind: 'cron', cron: '0 0 31 4 *' }, 'cron', /never fires/],
    [{ kind: 'cron', cron: '0 9 * * *', until: '2026-11-23T08:00:00Z' }, 'until', /before the first occurrence \(2026-11-24T09:00:00.000Z\)/],
    [{ kind: 'cron', cron: '0 9 * * *', max_fires: 0 }, 'max_fires', /whole number from 1/],
    [{ kind: 'cron', cron: '0 9 * * *', max_fires: 1.5 }, 'max_fires', /whole number/],
    [{ kind: 'cron', cron: '0 9 * * *', max_fires: '3' }, 'max_fires', /whole number/],
    [{ kind: 'cron', cron: '0 9 * * *', start: 'tomorrow' }, 'start', /RFC 3339/],
    [{ kind: 'cron', cron: '0 9 * * *', at: '2027-01-01T00:00:00Z' }, 'at', /not allowed for kind "cron"/],
    [{ kind: 'rrule' }, 'rrule', /required/],
    [{ kind: 'rrule', rrule: 'BYDAY=MO' }, 'rrule', /FREQ is required/],
    [{ kind: 'rrule', rrule: 'FREQ=FORTNIGHTLY' }, 'rrule', /FREQ: "FORTNIGHTLY" is not a frequency/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;BYFOO=1' }, 'rrule', /unknown part BYFOO/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;BYHOUR=25' }, 'rrule', /BYHOUR: 25 is out of range 0..23/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;COUNT=x' }, 'rrule', /COUNT: "X" is not a positive whole number/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;COUNT=0' }, 'rrule', /COUNT/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z' }, 'rrule', /COUNT and UNTIL must not both/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;FREQ=WEEKLY' }, 'rrule', /FREQ is given twice/],
    [{ kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=XX' }, 'rrule', /"XX" is not a weekday/],
    [{ kind: 'rrule', rrule: 'FREQ=MONTHLY;BYMONTHDAY=0' }, 'rrule', /BYMONTHDAY: 0 is out of range/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;' }, 'rrule', /is not a NAME=VALUE part/],
    [{ kind: 'rrule', rrule: 'RRULE:FREQ=DAILY' }, 'rrule', /no "RRULE:" prefix/],
    [{ kind: 'rrule', rrule: 'DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY' }, 'rrule', /no DTSTART line/],
    [{ kind: 'rrule', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' }, 'rrule', /never fires: no month in BYMONTH has day 30/],
    [{ kind: 'rrule', rrule: 'FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31,-31' }, 'rrule', /never fires/],
    [{ kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=1MO' }, 'rrule', /ordinal .* needs FREQ=MONTHLY or YEARLY/],
    [{ kind: 'rrule', rrule: 'FREQ=MONTHLY;BYWEEKNO=5' }, 'rrule', /BYWEEKNO is only allowed with FREQ=YEARLY/],
    [{ kind: 'rrule', rrule: 'FREQ=WEEKLY;BYMONTHDAY=5' }, 'rrule', /BYMONTHDAY is not allowed with FREQ=WEEKLY/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;BYYEARDAY=5' }, 'rrule', /BYYEARDAY is not allowed with FREQ=DAILY/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;COUNT=2', start: '2026-01-01T00:00:00Z' }, 'rrule', /never fires: it has no occurrence after now/],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY;UNTIL=20260101T000000Z' }, 'rrule', /never fires/],
  ];
  for (const [input, path, message] of cases) {
    const found = problems(input);
    t.ok(found.some((p) => p.path === path && message.test(p.message)), `${JSON.stringify(input)} -> ${path}: ${message}`, { found });
  }
});

t.test('start is rounded up: never an occurrence before it, no stray seconds', async (t) => {
  const odd = new Date('2026-11-23T12:00:17.250Z');
  const daily9 = parseSchedule({ kind: 'rrule', rrule: 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0' }, odd);
  t.same(previewOccurrences(daily9, odd, 2).map((d) => d.toISOString()), ['2026-11-24T09:00:00.000Z', '2026-11-25T09:00:00.000Z'], 'the default start is the next whole minute: fires at :00');
  const count3 = parseSchedule({ kind: 'rrule', rrule: 'FREQ=DAILY;COUNT=3' }, odd);
  t.same(previewOccurrences(count3, odd, 4).map((d) => d.toISOString()), ['2026-11-23T12:01:00.000Z', '2026-11-24T12:01:00.000Z', '2026-11-25T12:01:00.000Z'], 'all three instances of COUNT=3 fire');
  const given = parseSchedule({ kind: 'rrule', rrule: 'FREQ=HOURLY;COUNT=2', start: '2026-11-23T13:00:00.500Z' }, odd);
  t.same(previewOccurrences(given, odd, 3).map((d) => d.toISOString()), ['2026-11-23T13:00:01.000Z', '2026-11-23T14:00:01.000Z'], 'a given start is rounded up to the second');
});

t.test('COUNT rules are evaluable through their last instance, or refused', async (t) => {
  const now = new Date('2026-11-23T12:00:00Z');
  const long = parseSchedule({ kind: 'rrule', rrule: 'FREQ=MINUTELY;COUNT=20000' }, now);
  const late = new Date('2026-12-01T12:00:00Z');
  t.equal(nextOccurrence(long, late)?.toISOString(), '2026-12-01T12:01:00.000Z', 'an instance 11,520 minutes in is still computed');
  t.equal(nextOccurrence(long, new Date('2026-12-07T09:19:00Z')), null, 'and the series ends after its 20,000th');
  t.same(problems({ kind: 'rrule', rrule: 'FREQ=MINUTELY;COUNT=200000' }).map((p) => p.path), ['rrule']);
  t.match(problems({ kind: 'rrule', rrule: 'FREQ=MINUTELY;COUNT=200000' })[0]!.message, /cannot be evaluated: more than 100000 recurrence periods/);
});

t.test('every problem is reported at once', async (t) => {
  const found = problems({ kind: 'cron', cron: '61 * * * *', tz: 'Nowhere/Else', max_fires: -1, at: 'x' });
  t.same(found.map((p) => p.path).sort(), ['at', 'cron', 'max_fires', 'tz']);
});

t.test('time helpers', async (t) => {
  t.equal(canonicalZone('utc'), 'UTC');
  t.equal(canonicalZone('europe/berlin'), 'Europe/Berlin');
  t.equal(canonicalZone('Nowhere/Else'), undefined);
  t.equal(canonicalZone('Asia/Kolkata'), 'Asia/Kolkata', 'an alias keeps the spelling the client sent');
  t.equal(canonicalZone('EST'), 'EST');
  t.equal(parseInstant('2026-11-23T12:00:00-05:30')?.toISOString(), '2026-11-23T17:30:00.000Z');
  t.equal(parseInstant('2024-02-29T00:00:00Z')?.toISOString(), '2024-02-29T00:00:00.000Z');
  t.equal(parseInstant('2026-02-29T00:00:00Z'), undefined, 'no Feb 29 in 2026');
  t.equal(parseInstant('0099-01-01T00:00:00Z'), undefined);
  t.equal(parseInstant('2026-11-23T12:00:00+24:00'), undefined);
});
