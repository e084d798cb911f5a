/** SQL of the admin's status (SPEC 10.1): attempts by outcome, the owners with most active alarms, suspended owners. */
import { sql, type Kysely } from 'kysely';
import type { FireRow } from './alarms.js';
import type { Schema } from './schema.js';

/** Attempts that started in the last minute and the last hour, by outcome. */
export async function recentAttempts(db: Kysely<Schema>): Promise<{ outcome: FireRow['outcome']; last_minute: number; last_hour: number }[]> {
  const { rows } = await sql<{ outcome: FireRow['outcome']; last_minute: number; last_hour: number }>`
    SELECT outcome, (count(*) FILTER (WHERE started_at >= now() - interval '1 minute'))::int AS last_minute, count(*)::int AS last_hour
    FROM fires WHERE started_at >= now() - interval '1 hour'
    GROUP BY outcome`.execute(db);
  return rows;
}

/** The `n` owners with most active (scheduled or firing) alarms, most first. */
export async function topOwners(db: Kysely<Schema>, n: number): Promise<{ owner: string; active: number }[]> {
  const { rows } = await sql<{ owner: string; active: number }>`
    SELECT owner, count(*)::int AS active FROM alarms WHERE next_fire_at IS NOT NULL AND manual_of IS NULL
    GROUP BY owner ORDER BY active DESC, owner LIMIT ${n}`.execute(db);
  return rows;
}

/** How many owners are suspended. */
export async function suspendedOwners(db: Kysely<Schema>): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM owners WHERE suspended_at IS NOT NULL`.execute(db);
  return rows[0]!.n;
}

/** Alarms (not fire-now occurrences) counted by status and target type, and the due backlog with its oldest lateness. */
export async function alarmCounts(db: Kysely<Schema>): Promise<{ byStatusAndTarget: { status: string; target: string; n: number }[]; backlog: number; oldestLatenessMs: number | null }> {
  const [counts, due] = await Promise.all([
    sql<{ status: string; target: string; n: number }>`
      SELECT status, target->>'type' AS target, count(*)::int AS n FROM alarms WHERE manual_of IS NULL GROUP BY 1, 2`.execute(db),
    // Through alarms_due: scheduled rows due by now, of owners not suspended.
    sql<{ backlog: number; oldest_ms: number | null }>`
      SELECT count(*)::int AS backlog, floor(extract(epoch FROM now() - min(next_fire_at)) * 1000)::int AS oldest_ms
      FROM alarms a WHERE next_fire_at <= now() AND status = 'scheduled'
        AND NOT EXISTS (SELECT FROM owners o WHERE o.did = a.owner AND o.suspended_at IS NOT NULL)`.execute(db),
  ]);
  return { byStatusAndTarget: counts.rows, backlog: due.rows[0]!.backlog, oldestLatenessMs: due.rows[0]!.oldest_ms };
}
