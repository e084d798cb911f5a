/** `chronos schedule '<json>'`: validate schedule fields as the API would and print the next occurrences. */
import { parseInteger } from '../config/units.js';
import { InvalidInput } from '../errors.js';
import { previewOccurrences } from '../schedule/next.js';
import { parseSchedule, type ScheduleInput } from '../schedule/parse.js';
import { localParts, parseInstant } from '../schedule/time.js';

const USAGE = `usage: chronos schedule '<json>' [--count N] [--now RFC3339]

Prints the next occurrences of the schedule fields of an alarm, in UTC and in its tz.
  chronos schedule '{"kind":"cron","cron":"0 9 * * MON-FRI","tz":"Europe/Berlin"}' --count 3`;

/** Returns 0, 1 when the schedule is invalid, or 2 on a usage error. */
export function scheduleCommand(args: readonly string[], now: Date): number {
  let count = 5;
  let json: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (arg === '--count' || arg === '--now') {
      const value = args[++i];
      if (value === undefined) return usage(`${arg} needs a value`);
      if (arg === '--count') {
        try {
          count = parseInteger(value, 1, 1000);
        } catch (err) {
          return usage(`--count: ${(err as Error).message}`);
        }
      } else {
        const at = parseInstant(value);
        if (!at) return usage('--now must be an RFC 3339 time with an offset');
        now = at;
      }
    } else if (json === undefined) json = arg;
    else return usage(`unexpected argument "${arg}"`);
  }
  if (json === undefined) return usage('the schedule JSON is missing');
  let input: ScheduleInput;
  try {
    input = JSON.parse(json) as ScheduleInput;
  } catch (err) {
    return usage(`the schedule is not JSON: ${(err as Error).message}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return usage('the schedule must be a JSON object');
  try {
    const schedule = parseSchedule(input, now);
    for (const at of previewOccurrences(schedule, now, count)) {
      const p = localParts(at, schedule.tz);
      const pad = (n: number) => String(n).padStart(2, '0');
      console.log(`${at.toISOString()}  ${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)} ${schedule.tz}`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof InvalidInput)) throw err;
    for (const p of err.problems) console.error(`${p.path}: ${p.message}`);
    return 1;
  }
}

function usage(message: string): number {
  console.error(`chronos schedule: ${message}\n\n${USAGE}`);
  return 2;
}
