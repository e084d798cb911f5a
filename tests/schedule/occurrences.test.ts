/**
 * Table-driven: each row is a schedule, a "now", and the next instants
 * worked out by hand from the zone's DST rules (2026):
 * - America/New_York: 03-08 02:00 EST -> 03:00 EDT; 11-01 02:00 EDT -> 01:00 EST.
 * - Europe/Berlin: 03-29 02:00 CET -> 03:00 CEST; 10-25 03:00 CEST -> 02:00 CET.
 * - Australia/Lord_Howe (30-minute shift): 04-05 02:00 +11 -> 01:30 +10:30;
 *   10-04 02:00 +10:30 -> 02:30 +11.
 */
import t from 'tap';
import { parseSchedule, type ScheduleInput } from '../../src/schedule/parse.js';
import { previewOccurrences } from '../../src/schedule/next.js';

interface Row {
  name: string;
  input: ScheduleInput;
  now: string;
  expect: string[];
  /** The schedule has no occurrence after the last expected one. */
  ends?: true;
}

const cron = (expr: string, tz: string, extra: Partial<ScheduleInput> = {}): ScheduleInput => ({ kind: 'cron', cron: expr, tz, ...extra });
const rrule = (rule: string, tz: string, start: string, extra: Partial<ScheduleInput> = {}): ScheduleInput => ({ kind: 'rrule', rrule: rule, tz, start, ...extra });

const rows: Row[] = [
  // cron, fixed time, New York
  { name: 'NY 02:30 daily: spring-forward gap fires right after it, at 03:00 EDT', input: cron('30 2 * * *', 'America/New_York'), now: '2026-03-07T12:00:00Z', expect: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z'] },
  { name: 'NY 01:30 daily: repeated hour fires once, at its first instance', input: cron('30 1 * * *', 'America/New_York'), now: '2026-10-31T12:00:00Z', expect: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'] },
  { name: 'NY list 01:30,13:30 is fixed time: once in the repeated hour', input: cron('30 1,13 * * *', 'America/New_York'), now: '2026-11-01T04:00:00Z', expect: ['2026-11-01T05:30:00.000Z', '2026-11-01T18:30:00.000Z', '2026-11-02T06:30:00.000Z'] },
  // cron, following the clock
  { name: 'NY */30: no fire inside the spring-forward gap', input: cron('*/30 * * * *', 'America/New_York'), now: '2026-03-08T05:59:00Z', expect: ['2026-03-08T06:00:00.000Z', '2026-03-08T06:30:00.000Z', '2026-03-08T07:00:00.000Z'] },
  { name: 'NY */30 in hour 1: fires in both copies of the repeated hour', input: cron('*/30 1 * * *', 'America/New_York'), now: '2026-11-01T04:00:00Z', expect: ['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:30:00.000Z', '2026-11-02T06:00:00.000Z'] },
  { name: 'NY range 1-2 follows the clock at fall-back', input: cron('30 1-2 * * *', 'America/New_York'), now: '2026-11-01T04:00:00Z', expect: ['2026-11-01T05:30:00.000Z', '2026-11-01T06:30:00.000Z', '2026-11-01T07:30:00.000Z'] },
  { name: 'NY range 2-3 skips the nonexistent 02:30 at spring-forward', input: cron('30 2-3 * * *', 'America/New_York'), now: '2026-03-08T05:00:00Z', expect: ['2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-09T07:30:00.000Z'] },
  // cron, Berlin
  { name: 'Berlin 02:30: spring-forward gap fires at 03:00 CEST', input: cron('30 2 * * *', 'Europe/Berlin'), now: '2026-03-28T12:00:00Z', expect: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'] },
  { name: 'Berlin 02:30: repeated at fall-back, fires at the CEST instance', input: cron('30 2 * * *', 'Europe/Berlin'), now: '2026-10-24T12:00:00Z', expect: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'] },
  { name: 'Berlin weekdays at 9, from a Saturday', input: cron('0 9 * * MON-FRI', 'Europe/Berlin'), now: '2026-11-21T10:00:00Z', expect: ['2026-11-23T08:00:00.000Z', '2026-11-24T08:00:00.000Z'] },
  // cron, Lord Howe (30-minute DST)
  { name: 'Lord Howe 02:15: inside the 30-minute gap, fires at 02:30 +11', input: cron('15 2 * * *', 'Australia/Lord_Howe'), now: '2026-10-03T00:00:00Z', expect: ['2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z'] },
  { name: 'Lord Howe 01:45: repeated half hour fires once, at +11', input: cron('45 1 * * *', 'Australia/Lord_Howe'), now: '2026-04-04T00:00:00Z', expect: ['2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z'] },
  { name: 'Lord Howe */15 in hour 1: both copies of 01:30 and 01:45', input: cron('*/15 1 * * *', 'Australia/Lord_Howe'), now: '2026-04-04T13:59:00Z', expect: ['2026-04-04T14:00:00.000Z', '2026-04-04T14:15:00.000Z', '2026-04-04T14:30:00.000Z', '2026-04-04T14:45:00.000Z', '2026-04-04T15:00:00.000Z', '2026-04-04T15:15:00.000Z', '2026-04-05T14:30:00.000Z'] },
  // cron, calendar edges
  { name: 'Feb 29 at noon: next leap year', input: cron('0 12 29 2 *', 'UTC'), now: '2026-03-01T00:00:00Z', expect: ['2028-02-29T12:00:00.000Z', '2032-02-29T12:00:00.000Z'] },
  { name: 'the 31st skips short months', input: cron('0 0 31 * *', 'UTC'), now: '2026-04-01T00:00:00Z', expect: ['2026-05-31T00:00:00.000Z', '2026-07-31T00:00:00.000Z', '2026-08-31T00:00:00.000Z'] },
  { name: 'L: last day of each month', input: cron('0 0 L * *', 'UTC'), now: '2026-02-01T00:00:00Z', expect: ['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-04-30T00:00:00.000Z'] },
  { name: '@yearly across the year boundary', input: cron('@yearly', 'UTC'), now: '2026-12-31T23:59:59Z', expect: ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'] },
  { name: '@yearly in UTC+14 is a day earlier in UTC', input: cron('@annually', 'Pacific/Kiritimati'), now: '2026-06-01T00:00:00Z', expect: ['2026-12-31T10:00:00.000Z', '2027-12-31T10:00:00.000Z'] },
  { name: 'descriptors @monthly @weekly @daily @midnight @hourly', input: cron('@hourly', 'UTC'), now: '2026-12-31T23:30:00Z', expect: ['2027-01-01T00:00:00.000Z', '2027-01-01T01:00:00.000Z'] },
  { name: '@weekly is Sunday midnight', input: cron('@weekly', 'UTC'), now: '2026-11-23T00:00:00Z', expect: ['2026-11-29T00:00:00.000Z'] },
  { name: 'day-of-month OR day-of-week (Vixie)', input: cron('0 9 13 * FRI', 'UTC'), now: '2026-11-01T00:00:00Z', expect: ['2026-11-06T09:00:00.000Z', '2026-11-13T09:00:00.000Z', '2026-11-20T09:00:00.000Z'] },
  { name: 'six fields: seconds first', input: cron('*/10 * * * * *', 'UTC'), now: '2026-01-01T00:00:00Z', expect: ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:10.000Z', '2026-01-01T00:00:20.000Z'] },
  { name: '@every 90s counts from creation', input: cron('@every 90s', 'UTC'), now: '2026-01-01T00:00:00.250Z', expect: ['2026-01-01T00:01:30.250Z', '2026-01-01T00:03:00.250Z'] },
  { name: '@every from a later start', input: cron('@every 1h30m', 'UTC', { start: '2026-01-02T00:00:00Z' }), now: '2026-01-01T00:00:00Z', expect: ['2026-01-02T01:30:00.000Z', '2026-01-02T03:00:00.000Z'] },
  { name: 'cron with until (inclusive) and start', input: cron('0 9 * * *', 'UTC', { start: '2026-01-02T00:00:00Z', until: '2026-01-04T09:00:00Z' }), now: '2026-01-01T00:00:00Z', expect: ['2026-01-02T09:00:00.000Z', '2026-01-03T09:00:00.000Z', '2026-01-04T09:00:00.000Z'], ends: true },
  { name: 'max_fires bounds the preview', input: cron('0 9 * * *', 'UTC', { max_fires: 2 }), now: '2026-01-01T00:00:00Z', expect: ['2026-01-01T09:00:00.000Z', '2026-01-02T09:00:00.000Z'], ends: true },
  { name: '@every ends at the last storable instant, 9999-12-31T23:59:59.999Z', input: cron('@every 4s', 'UTC', { start: '9999-12-31T23:59:50Z' }), now: '9999-12-31T00:00:00Z', expect: ['9999-12-31T23:59:54.000Z', '9999-12-31T23:59:58.000Z'], ends: true },
  { name: 'a time exactly now is the first occurrence', input: cron('0 9 * * *', 'UTC'), now: '2026-01-01T09:00:00Z', expect: ['2026-01-01T09:00:00.000Z'] },

  // rrule
  { name: 'rrule NY: nonexistent 02:30 is dropped and not counted (COUNT=4)', input: rrule('FREQ=DAILY;BYHOUR=2;BYMINUTE=30;COUNT=4', 'America/New_York', '2026-03-06T07:30:00Z'), now: '2026-03-01T00:00:00Z', expect: ['2026-03-06T07:30:00.000Z', '2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z'], ends: true },
  { name: 'rrule NY: repeated 01:30 is its first instance', input: rrule('FREQ=DAILY;BYHOUR=1;BYMINUTE=30;COUNT=3', 'America/New_York', '2026-10-31T05:30:00Z'), now: '2026-10-01T00:00:00Z', expect: ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'], ends: true },
  { name: 'rrule Berlin weekly MO,FR 09:00 across spring-forward', input: rrule('FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0', 'Europe/Berlin', '2026-03-20T00:00:00Z'), now: '2026-03-01T00:00:00Z', expect: ['2026-03-20T08:00:00.000Z', '2026-03-23T08:00:00.000Z', '2026-03-27T08:00:00.000Z', '2026-03-30T07:00:00.000Z'] },
  { name: 'rrule Lord Howe: 02:15 in the 30-minute gap is dropped, COUNT unaffected', input: rrule('FREQ=DAILY;BYHOUR=2;BYMINUTE=15;COUNT=3', 'Australia/Lord_Howe', '2026-10-01T15:45:00Z'), now: '2026-09-01T00:00:00Z', expect: ['2026-10-01T15:45:00.000Z', '2026-10-02T15:45:00.000Z', '2026-10-04T15:15:00.000Z'], ends: true },
  { name: 'rrule Feb 29 yearly: only leap years', input: rrule('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', 'UTC', '2024-02-29T12:00:00Z'), now: '2026-01-01T00:00:00Z', expect: ['2028-02-29T12:00:00.000Z', '2032-02-29T12:00:00.000Z'] },
  { name: 'rrule monthly on the 31st skips short months', input: rrule('FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3', 'UTC', '2026-01-31T09:00:00Z'), now: '2026-01-01T00:00:00Z', expect: ['2026-01-31T09:00:00.000Z', '2026-03-31T09:00:00.000Z', '2026-05-31T09:00:00.000Z'], ends: true },
  { name: 'rrule last day of month (BYMONTHDAY=-1)', input: rrule('FREQ=MONTHLY;BYMONTHDAY=-1', 'UTC', '2026-01-15T00:00:00Z'), now: '2026-01-01T00:00:00Z', expect: ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z'] },
  { name: 'rrule UNTIL across the year boundary', input: rrule('FREQ=DAILY;UNTIL=20270102T000000Z', 'UTC', '2026-12-30T12:00:00Z'), now: '2026-12-01T00:00:00Z', expect: ['2026-12-30T12:00:00.000Z', '2026-12-31T12:00:00.000Z', '2027-01-01T12:00:00.000Z'], ends: true },
  { name: 'rrule with a past start begins at the first occurrence from now', input: rrule('FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0', 'UTC', '2020-01-01T00:00:00Z'), now: '2026-11-23T10:00:00Z', expect: ['2026-11-24T09:00:00.000Z', '2026-11-25T09:00:00.000Z'] },
  { name: 'rrule ends in the year 9999', input: rrule('FREQ=YEARLY', 'UTC', '9998-07-01T00:00:00Z'), now: '9998-01-01T00:00:00Z', expect: ['9998-07-01T00:00:00.000Z', '9999-07-01T00:00:00.000Z'], ends: true },
  { name: 'rrule COUNT counts from start, not from now', input: rrule('FREQ=DAILY;COUNT=3', 'UTC', '2026-01-01T09:00:00Z'), now: '2026-01-02T10:00:00Z', expect: ['2026-01-03T09:00:00.000Z'], ends: true },
];

for (const row of rows) {
  t.test(row.name, async (t) => {
    const now = new Date(row.now);
    const schedule = parseSchedule(row.input, now);
    const got = previewOccurrences(schedule, now, row.expect.length + 1).map((d) => d.toISOString());
    t.same(got.slice(0, row.expect.length), row.expect);
    t.equal(got.length, row.ends ? row.expect.length : row.expect.length + 1, row.ends ? 'the series ends' : 'the series goes on');
  });
}
