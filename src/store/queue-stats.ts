/**
 * Queue-wide counts in one statement: what the metrics gauges and the admin
 * status show. It counts every alarm row, so callers run it on an interval
 * (seconds), never per request or per scrape.
 */
import { sql, type Kysely } from 'kysely';
import type { AlarmStatus } from '../alarms/states.js';
import type { Target } from '../api/alarms.js';
import type { Schema } from './schema.js';

/** Alarms in one status with one target type. */
export interface AlarmCount {
  readonly status: AlarmStatus;
  readonly target: Target['type'];
  readonly count: number;
}

/** The queue as the database saw it at `at`. */
export interface QueueStats {
  /** The database clock when the counts were taken. */
  readonly at: Date;
  /**
   * Alarms by status and target type, only the pairs that have any. Every row
   * counts: finished alarms until the cleaner deletes them, and each fire-now
   * occurrence (an alarm of its own, SPEC 9.2) while it is pending.
   */
  readonly alarms: readonly AlarmCount[];
  /** Scheduled alarms due by now (`next_fire_at <= now()`) whose owner is not suspended: work waiting for a claim. */
  readonly dueBacklog: number;
  /** How long ago the earliest of those became due, in ms; null when none is due. */
  readonly oldestDueLatenessMs: number | null;
}

/**
 * Takes the counts. The due part walks alarms_due up to now (migration 005),
 * so it costs the backlog, not the table; the counts by status read the whole
 * table once.
 */
export async function queueStats(db: Kysely<Schema>): Promise<QueueStats> {
  const { rows } = await sql<{ at: Date; alarms: { status: AlarmStatus; target: Target['type']; count: number }[]; due: number; oldest_ms: number | null }>`
    SELECT now() AS at,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('status', status, 'target', target, 'count', n)), '[]'::jsonb)
       FROM (SELECT status, target->>'type' AS target, count(*)::int AS n FROM alarms GROUP BY 1, 2) c) AS alarms,
      due.n AS due,
      (extract(epoch FROM now() - due.oldest) * 1000)::float8 AS oldest_ms
    FROM (
      SELECT count(*)::int AS n, min(next_fire_at) AS oldest
      FROM alarms a
      -- alarms_due holds the firing rows too (migration 005): the status test passes over them.
      WHERE a.next_fire_at <= now() AND a.status = 'scheduled'
        AND NOT EXISTS (SELECT 1 FROM owners o WHERE o.did = a.owner AND o.suspended_at IS NOT NULL)
    ) due`.execute(db);
  const row = rows[0]!;
  return { at: row.at, alarms: row.alarms, dueBacklog: row.due, oldestDueLatenessMs: row.oldest_ms === null ? null : Math.round(row.oldest_ms) };
}
