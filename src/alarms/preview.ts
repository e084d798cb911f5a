/**
 * The schedule preview (SPEC 9.4): a create's schedule fields validated
 * exactly as a create validates them (the same schemas, the same schedule
 * parser, the same paths and messages), then the occurrences the alarm
 * would fire at from now.
 */
import { PREVIEW_DEFAULT_COUNT, PreviewRequest } from '../api/schedules.js';
import { InvalidInput } from '../errors.js';
import { formatLocal } from '../schedule/local.js';
import { previewOccurrences, ScheduleEvaluationError } from '../schedule/next.js';
import { formatInstant } from '../schedule/time.js';
import type { Schedule } from '../schedule/types.js';
import type { AlarmRow } from '../store/alarms.js';
import { parseScheduleBody } from './schedule-body.js';
import { scheduleOf } from './schedule-of.js';
import { FINAL_STATUSES } from './states.js';

/** One occurrence, as the API writes it. */
export interface OccurrenceView {
  readonly at: string;
  readonly local: string;
}

/** A validated preview request. */
export interface Preview {
  readonly schedule: Schedule;
  readonly count: number;
}

/**
 * Validates a preview body as of `now`: the schema's problems and the
 * schedule parser's, the first at each path, as parseCreateRequest reports
 * them, so a body answers here what it answers at a create.
 */
export function parsePreviewRequest(body: unknown, now: Date): Preview {
  const { data, schedule } = parseScheduleBody(PreviewRequest, body, now);
  return { schedule, count: data.count ?? PREVIEW_DEFAULT_COUNT };
}

/**
 * Up to `count` occurrences from `now`, oldest first, each in UTC and in the
 * schedule's zone. A rule whose later occurrences cannot be evaluated
 * (SPEC 4.3's bound on recurrence periods) is refused naming its field,
 * rather than listed short as if it ended.
 */
export function previewOf({ schedule, count }: Preview, now: Date): OccurrenceView[] {
  let occurrences: Date[];
  try {
    occurrences = previewOccurrences(schedule, now, count);
  } catch (err) {
    if (!(err instanceof ScheduleEvaluationError)) throw err;
    throw new InvalidInput([{ path: schedule.kind, message: err.message }]);
  }
  return occurrences.map((at) => ({ at: formatInstant(at), local: formatLocal(at, schedule.tz) }));
}


/**
 * Up to `count` (default 10) coming occurrences of a stored alarm from `now`, as it will fire them:
 * none once it is finished, at most its fires left under max_fires; a paused
 * alarm's are the ones it would fire if resumed now.
 */
export function alarmPreview(row: AlarmRow, count: number | undefined, now: Date): OccurrenceView[] {
  if ((FINAL_STATUSES as readonly string[]).includes(row.status)) return [];
  const schedule = scheduleOf(row);
  const maxFires = row.max_fires === null ? null : Math.max(0, row.max_fires - row.fire_count);
  if (maxFires === 0) return [];
  return previewOf({ schedule: { ...schedule, maxFires }, count: count ?? PREVIEW_DEFAULT_COUNT }, now);
}
