/** `chronos schedule '<json>'`: validate schedule fields as the API would and print the next occurrences. */
import { ConfigError } from '../config/kvx.js';
import { InvalidInput } from '../errors.js';
import { previewOccurrences } from '../schedule/next.js';
import { parseSchedule, type ScheduleInput } from '../schedule/parse.js';
import { localParts } from '../schedule/time.js';

/** Prints `count` occurrences after `now`; returns 0, or 1 when the schedule is invalid (each problem on stderr). */
export function scheduleCommand(json: string, count: number, now: Date): number {
  let input: ScheduleInput;
  try {
    input = JSON.parse(json) as ScheduleInput;
  } catch (err) {
    throw new ConfigError(`the schedule is not JSON: ${(err as Error).message}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError('the schedule must be a JSON object');
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
