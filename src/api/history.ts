/**
 * The delivery history search's query (SPEC 9.4): `GET /v1/fires` over
 * every attempt of the caller's alarms. The answer is a FirePage
 * (alarms.ts), the same page as one alarm's fires.
 */
import { z } from 'zod';
import { isAlarmId } from '../ids.js';
import { FireView } from './alarms.js';
import { DecodedCursor, PageLimit, queryInstant, sinceBeforeUntil, storedText } from './fields.js';

const ALARM_ID = 'must be an alarm id, like "alm_2XVW0VrjxyzEbf1m6Iv0"';

/** The query of `GET /v1/fires`; every filter narrows the caller's own history. */
export const SearchFiresQuery = z
  .strictObject({
    alarm_id: z
      .string()
      .refine(isAlarmId, ALARM_ID)
      .optional()
      .describe("Only attempts of this alarm. Another owner's alarm, or one that does not exist, gives no attempts."),
    tag: storedText({ min: 1, max: 64, message: 'must be 1 to 64 characters' }).optional().describe('Only attempts of alarms that carry this tag.'),
    outcome: z.enum(FireView.shape.outcome.options, { error: `must be one of ${FireView.shape.outcome.options.join(', ')}` }).optional().describe('Only attempts with this outcome.'),
    since: queryInstant('Only attempts that started at or after this RFC 3339 time with an offset (inclusive).').optional(),
    until: queryInstant('Only attempts that started before this RFC 3339 time with an offset (exclusive).').optional(),
    limit: PageLimit.optional(),
    cursor: DecodedCursor.optional(),
  })
  .superRefine(sinceBeforeUntil);
/** A search, as validated. */
export type SearchFiresQuery = z.output<typeof SearchFiresQuery>;
