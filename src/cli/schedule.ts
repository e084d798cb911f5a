/** `chronos schedule '<json>'`: chronosd's preview of a schedule (POST /v1/schedules/preview), each occurrence in UTC and in its tz. */
import type { PreviewRequest } from '../api/schedules.js';
import { ConfigError } from '../config/kvx.js';
import { client, print } from './alarm.js';
import type { Input } from './args.js';
import type { SCHEDULE_FLAGS } from './commands.js';

/** Asks chronosd for the next occurrences of the schedule JSON and prints one line each: UTC, then local time with its offset. */
export async function scheduleCommand(input: Input<typeof SCHEDULE_FLAGS>): Promise<number> {
  let body: unknown;
  try {
    body = JSON.parse(input.args[0]!);
  } catch (err) {
    throw new ConfigError(`the schedule is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError('the schedule must be a JSON object, like \'{"kind":"cron","cron":"0 9 * * *"}\'');
  const { count } = input.flags;
  if (count !== undefined && 'count' in body) throw new ConfigError('--count and "count" in the JSON exclude each other: give one');
  // Any member is sent as given: chronosd validates it as a create would, and names what it refuses.
  const answer = await client(input).previewSchedule({ ...(body as PreviewRequest), ...(count !== undefined && { count }) });
  return print(input.flags.json, answer, () => answer.data.occurrences.map((o) => `${o.at}  ${o.local}`).join('\n'));
}
