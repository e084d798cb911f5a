/** The lateness plot's shapes (SPEC 11): first attempts' lateness per minute, in the buckets of chronos_wake_lateness_seconds, and the due backlog. */
import { z } from 'zod';
import { Timestamp } from './fields.js';

/** Minutes a plot covers at most: the samples are kept a day. */
export const LATENESS_MAX_MINUTES = 1440;
/** Minutes a plot covers when not told. */
export const LATENESS_DEFAULT_MINUTES = 60;

/** The query of GET /v1/lateness and GET /v1/admin/lateness. */
export const LatenessQuery = z.strictObject({
  minutes: z.coerce
    .number({ error: `must be a whole number from 1 to ${LATENESS_MAX_MINUTES}` })
    .int({ error: `must be a whole number from 1 to ${LATENESS_MAX_MINUTES}` })
    .min(1, { error: `must be a whole number from 1 to ${LATENESS_MAX_MINUTES}` })
    .max(LATENESS_MAX_MINUTES, { error: `must be a whole number from 1 to ${LATENESS_MAX_MINUTES}` })
    .optional()
    .describe(`How many minutes back, the current one included (1..${LATENESS_MAX_MINUTES}, default ${LATENESS_DEFAULT_MINUTES}).`),
});

/** One minute. */
export const LatenessPointView = z.strictObject({
  at: Timestamp.describe('The minute\'s start.'),
  wakes: z.number().int().describe('First attempts answered in the minute.'),
  p50_ms: z.number().nullable().describe('Median lateness (scheduled_for to answer), interpolated in its bucket as PromQL\'s histogram_quantile does; null without wakes.'),
  p99_ms: z.number().nullable().describe('99th percentile lateness, the same way; null without wakes.'),
  backlog: z.number().int().nullable().describe('The largest due backlog the replicas counted in the minute (admin); null where none was counted, and always for an agent (see backlog_now).'),
});

/** The plot. */
export const LatenessView = z
  .strictObject({
    bucket_bounds_ms: z.array(z.number()).describe('The histogram\'s bucket bounds, as chronos_wake_lateness_seconds\'s le (a last bucket, +Inf, follows).'),
    points: z.array(LatenessPointView).describe('Every minute of the window, oldest first.'),
    backlog_now: z.number().int().describe('Scheduled alarms due now and not yet claimed (of the caller, for an agent).'),
  })
  .meta({ id: 'Lateness' });
