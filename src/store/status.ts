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

