/** The schedule engine's speed: next occurrences per second, per kind of schedule. */
import { nextOccurrence } from '../src/schedule/next.js';
import { parseSchedule, type ScheduleInput } from '../src/schedule/parse.js';

interface Row {
  name: string;
  input: ScheduleInput;
}

const SCHEDULE_ROWS: Row[] = [
  { name: 'cron 5 fields, UTC', input: { kind: 'cron', cron: '*/5 * * * *' } },
  { name: 'cron weekdays 09:00, Europe/Berlin', input: { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin' } },
  { name: 'cron 6 fields every 10 s, America/New_York', input: { kind: 'cron', cron: '*/10 * * * * *', tz: 'America/New_York' } },
  { name: '@every 90s', input: { kind: 'cron', cron: '@every 90s' } },
  { name: 'rrule weekly MO,FR 09:00, America/New_York', input: { kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0;BYSECOND=0', tz: 'America/New_York' } },
  { name: 'rrule monthly last Friday, start a year back', input: { kind: 'rrule', rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17;BYMINUTE=0', tz: 'Europe/London', start: '2025-11-23T00:00:00Z' } },
];

/** schedule: next-occurrence computations per second, per kind of schedule. */
export function benchSchedule(): void {
  const now = new Date('2026-11-23T12:00:00Z');
  console.log('## schedule: next occurrence\n');
  console.log('| schedule | next()/s (median of 5) | min | max |');
  console.log('|---|---:|---:|---:|');
  for (const row of SCHEDULE_ROWS) {
    const schedule = parseSchedule(row.input, now);
    const rates: number[] = [];
    for (let run = 0; run < 5; run++) {
      let at = now;
      let n = 0;
      const started = performance.now();
      // Walk the schedule forward for ~200 ms: each call starts from the previous occurrence, as the dispatcher does.
      while (performance.now() - started < 200) {
        at = nextOccurrence(schedule, at) ?? now;
        n++;
      }
      rates.push(n / ((performance.now() - started) / 1000));
    }
    rates.sort((a, b) => a - b);
    const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
    console.log(`| ${row.name} | ${fmt(rates[2]!)} | ${fmt(rates[0]!)} | ${fmt(rates[4]!)} |`);
  }
  console.log('');
}
