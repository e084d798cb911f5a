/**
 * The schedule preview's shapes (SPEC 9.4): the request is the schedule
 * fields of a create, described once in CreateAlarm and picked from it, and
 * a count; the answer lists occurrences in UTC and in the schedule's zone.
 */
import { z } from 'zod';
import { CreateAlarm } from './alarms.js';
import { Timestamp } from './fields.js';

/** Occurrences a preview lists at most. */
export const PREVIEW_MAX_COUNT = 100;
/** Occurrences a preview lists when not told. */
export const PREVIEW_DEFAULT_COUNT = 10;

const COUNT_PROBLEM = `must be a whole number from 1 to ${PREVIEW_MAX_COUNT}`;
const COUNT_DOC = `How many occurrences to list at most (1..${PREVIEW_MAX_COUNT}, default ${PREVIEW_DEFAULT_COUNT}).`;

/** The body of `POST /v1/schedules/preview`: a create's schedule fields, in the create's order, and `count`. */
export const PreviewRequest = CreateAlarm.pick({ kind: true, delay: true, at: true, at_local: true, cron: true, rrule: true, tz: true, start: true, until: true, max_fires: true }).extend({
  count: z.number({ error: COUNT_PROBLEM }).int().min(1).max(PREVIEW_MAX_COUNT).optional().describe(COUNT_DOC),
});
/** A preview body, as validated. */
export type PreviewRequest = z.infer<typeof PreviewRequest>;

/** The query of GET /v1/alarms/{id}/preview: `count`, from the query string. */
export const AlarmPreviewQuery = z.strictObject({
  count: z.coerce.number({ error: COUNT_PROBLEM }).int({ error: COUNT_PROBLEM }).min(1, { error: COUNT_PROBLEM }).max(PREVIEW_MAX_COUNT, { error: COUNT_PROBLEM }).optional().describe(COUNT_DOC),
});

/** One occurrence: the instant, and the same instant as wall time in the schedule's zone. */
export const Occurrence = z
  .strictObject({
    at: Timestamp.describe('The instant, UTC with milliseconds, as next_fire_at would say it.'),
    local: z
      .string()
      .meta({ format: 'date-time', examples: ['2026-12-07T09:00:00.000+01:00'] })
      .describe('The same instant as local time in tz, with milliseconds and the offset in force then (UTC: +00:00): a DST change shows in the offset.'),
  })
  .meta({ id: 'Occurrence' });

/** The preview's answer. */
export const PreviewView = z.strictObject({
  occurrences: z.array(Occurrence).describe('The next occurrences from now, oldest first, as the alarm would fire: until and max_fires end the list, so it may hold fewer than count.'),
});
