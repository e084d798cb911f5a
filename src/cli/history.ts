/** `chronos alarm history`: the agent's delivery history (GET /v1/fires), one line per attempt, newest first. */
import type { z } from 'zod';
import type { FireView } from '../api/alarms.js';
import { client, print } from './alarm.js';
import type { Input } from './args.js';
import type { ALARM_HISTORY_FLAGS } from './commands.js';
import { columns, page } from './columns.js';

/** Prints one page of attempts as a table, and how to get the next page. */
export async function alarmHistory(input: Input<typeof ALARM_HISTORY_FLAGS>): Promise<number> {
  const { flags } = input;
  const answer = await client(input).searchFires({ alarm_id: flags.alarm, tag: flags.tag, outcome: flags.outcome, since: flags.since, until: flags.until, limit: flags.limit, cursor: flags.cursor });
  return print(flags.json, answer, () => page(table(answer.data.fires), answer.data.next_cursor));
}

// An error is kept on its attempt's line: the router's text may span lines.
function table(fires: readonly z.output<typeof FireView>[]): string {
  if (fires.length === 0) return 'no attempts';
  const rows = [
    ['STARTED', 'ALARM', 'ATTEMPT', 'OUTCOME', 'TARGET', 'STATUS', 'MS', 'ERROR'],
    ...fires.map((f) => [f.started_at, f.alarm_id, String(f.attempt), f.outcome, f.target_type, f.status_code === null ? '-' : String(f.status_code), f.duration_ms === null ? '-' : String(f.duration_ms), (f.error ?? '').replace(/\s+/g, ' ')]),
  ];
  return columns(rows).join('\n');
}
