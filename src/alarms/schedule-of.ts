/** The Schedule an alarm row describes. */
import type { Schedule } from '../schedule/types.js';
import type { AlarmRow } from '../store/alarms.js';

/** Rebuilds the validated schedule from the stored fields. */
export function scheduleOf(row: Pick<AlarmRow, 'kind' | 'at' | 'cron' | 'rrule' | 'tz' | 'start_at' | 'until' | 'max_fires'>): Schedule {
  const bounds = { tz: row.tz, until: row.until, maxFires: row.max_fires };
  if (row.kind === 'once') return { kind: 'once', at: row.at!, ...bounds };
  if (row.kind === 'cron') return { kind: 'cron', cron: row.cron!, start: row.start_at!, ...bounds };
  return { kind: 'rrule', rrule: row.rrule!, start: row.start_at!, ...bounds };
}
