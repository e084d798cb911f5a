/**
 * SQL of the hot path: claim due alarms, settle them, hand claims back, and
 * recover claims whose lease ran out. The database clock decides what is due.
 */
import { sql, type Kysely } from 'kysely';
import { ALARM_PLAIN_COLUMNS } from './alarm-columns.js';
import type { AlarmRow } from './alarms.js';
import type { Schema } from './schema.js';

/** The NOTIFY channel that cuts a dispatcher's sleep short; the payload is the due time in epoch ms. */
export const DUE_CHANNEL = 'chronos_due';

const RETURNED = sql.raw([...ALARM_PLAIN_COLUMNS.map((c) => `a.${c}`), 'a.payload::text AS payload'].join(', '));

/**
 * Claims up to `limit` due alarms in one statement: the earliest first,
 * skipping rows another replica holds, marked firing with this replica's id
 * and a lease, each one's attempt counted.
 */
export async function claimDue(db: Kysely<Schema>, replica: string, limit: number, leaseMs: number): Promise<AlarmRow[]> {
  const { rows } = await sql<AlarmRow>`
    WITH due AS (
      SELECT id FROM alarms
      WHERE status = 'scheduled' AND next_fire_at <= now()
      ORDER BY next_fire_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE alarms a
    SET status = 'firing', claimed_by = ${replica}, claimed_at = date_trunc('milliseconds', clock_timestamp()), -- ms: the fencing token round-trips through a JS Date
        lease_until = now() + ${leaseMs} * interval '1 millisecond', attempt = a.attempt + 1,
        updated_at = date_trunc('milliseconds', now())
    FROM due WHERE a.id = due.id
    RETURNING ${RETURNED}`.execute(db);
  return rows;
}

/** Milliseconds until the earliest scheduled alarm is due by the database clock (0 if overdue), or null if none. */
export async function msUntilNextDue(db: Kysely<Schema>): Promise<number | null> {
  const { rows } = await sql<{ ms: number | null }>`
    SELECT CASE WHEN min(next_fire_at) IS NULL THEN NULL -- GREATEST ignores NULL: without this, "nothing scheduled" reads as "due now"
           ELSE GREATEST(0, ceil(extract(epoch FROM (min(next_fire_at) - clock_timestamp())) * 1000))::float8 END AS ms
    FROM alarms WHERE status = 'scheduled'`.execute(db);
  return rows[0]?.ms ?? null;
}

/** The alarm's state after an attempt, decided by the dispatcher. */
export interface SettlePatch {
  readonly status: 'scheduled' | 'completed' | 'failed';
  readonly nextFireAt: Date | null;
  readonly occurrenceAt: Date | null;
  readonly fireId: string | null;
  readonly attempt: number;
  readonly delivered: boolean;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
}

/** One delivery attempt for the ledger. */
export interface AttemptRecord {
  readonly id: string;
  readonly fireId: string;
  readonly alarmId: string;
  readonly scheduledFor: Date;
  readonly attempt: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly outcome: 'delivered' | 'retrying' | 'failed';
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/**
 * Records the attempt and, only if this replica still holds this very claim
 * (`claimedAt` fences off a later claim of the same row by the same replica
 * after a lease expiry), applies `patch`; one round trip. Returns false when the claim was lost (a
 * cancel, or another replica took the lease over): the attempt is recorded
 * all the same, since it happened.
 */
export async function settle(db: Kysely<Schema>, replica: string, claimedAt: Date, patch: SettlePatch, record: AttemptRecord): Promise<boolean> {
  const { rows } = await sql<{ held: number }>`
    WITH ledger AS (
      INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome, status_code, error, duration_ms)
      VALUES (${record.id}, ${record.fireId}, ${record.alarmId}, ${record.scheduledFor}, ${record.attempt}, ${record.startedAt},
              ${record.finishedAt}, ${record.outcome}, ${record.statusCode}, ${record.error}, ${record.durationMs})
    ), settled AS (
      UPDATE alarms SET
        status = ${patch.status}, next_fire_at = ${patch.nextFireAt}, occurrence_at = ${patch.occurrenceAt}, fire_id = ${patch.fireId},
        attempt = ${patch.attempt}, fire_count = fire_count + ${patch.delivered ? 1 : 0},
        last_fired_at = CASE WHEN ${patch.delivered} THEN ${record.startedAt}::timestamptz ELSE last_fired_at END,
        consecutive_failures = ${patch.consecutiveFailures}, last_error = ${patch.lastError},
        claimed_by = NULL, claimed_at = NULL, lease_until = NULL, updated_at = date_trunc('milliseconds', now())
      WHERE id = ${record.alarmId} AND claimed_by = ${replica} AND claimed_at = ${claimedAt} AND status = 'firing'
      RETURNING 1
    )
    SELECT count(*)::int AS held FROM settled`.execute(db);
  return (rows[0]?.held ?? 0) > 0;
}

/**
 * Hands claims back that this replica will not finish (shutdown): due again
 * at once, the unfinished attempt not counted, the same fire id kept.
 */
export async function releaseClaims(db: Kysely<Schema>, replica: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('alarms')
    .set({
      status: 'scheduled',
      next_fire_at: sql<Date>`now()`,
      attempt: sql<number>`greatest(attempt - 1, 0)`,
      claimed_by: null,
      claimed_at: null,
      lease_until: null,
      updated_at: sql<Date>`date_trunc('milliseconds', now())`,
    })
    .where('id', 'in', [...ids])
    .where('claimed_by', '=', replica)
    .where('status', '=', 'firing')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A claim taken back from a replica whose lease ran out. */
export interface RecoveredClaim {
  readonly id: string;
  readonly claimed_by: string;
  readonly fire_id: string | null;
}

/**
 * Takes back up to `limit` claims whose lease expired: due again at once
 * with the same fire id; the lost attempt goes into the ledger as retrying
 * (its outcome is unknown) and does not count against the ladder.
 */
export async function recoverExpiredLeases(db: Kysely<Schema>, limit: number, attemptIds: () => string): Promise<RecoveredClaim[]> {
  return db.transaction().execute(async (trx) => recoverIn(trx, limit, attemptIds));
}

async function recoverIn(db: Kysely<Schema>, limit: number, attemptIds: () => string): Promise<RecoveredClaim[]> {
  const { rows } = await sql<RecoveredClaim & { attempt: number; occurrence_at: Date; claimed_at: Date | null }>`
    WITH expired AS (
      SELECT id FROM alarms
      WHERE status = 'firing' AND lease_until < now()
      ORDER BY lease_until
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), old AS (
      SELECT a.id, a.claimed_by, a.claimed_at, a.attempt, a.fire_id, a.occurrence_at FROM alarms a JOIN expired USING (id)
    ), released AS (
      UPDATE alarms a SET status = 'scheduled', next_fire_at = now(), attempt = greatest(a.attempt - 1, 0),
        claimed_by = NULL, claimed_at = NULL, lease_until = NULL, updated_at = date_trunc('milliseconds', now())
      FROM expired WHERE a.id = expired.id
    )
    SELECT * FROM old`.execute(db);
  if (rows.length > 0) {
    await db
      .insertInto('fires')
      .values(
        rows.map((r) => ({
          id: attemptIds(),
          fire_id: r.fire_id ?? '',
          alarm_id: r.id,
          scheduled_for: r.occurrence_at,
          attempt: Math.max(r.attempt, 1),
          started_at: r.claimed_at ?? sql<Date>`now()`,
          finished_at: sql<Date>`now()`,
          outcome: 'retrying' as const,
          error: `lease expired: replica ${r.claimed_by} did not finish the attempt; the outcome is unknown, so it is sent again with the same fire_id`,
          status_code: null,
          duration_ms: null,
        })),
      )
      .execute();
  }
  return rows.map(({ id, claimed_by, fire_id }) => ({ id, claimed_by, fire_id }));
}

/** Wakes every dispatcher that sleeps past `dueAt` (sent at commit when inside a transaction). */
export async function notifyDue(db: Kysely<Schema>, dueAt: Date): Promise<void> {
  await sql`SELECT pg_notify(${DUE_CHANNEL}, ${String(dueAt.getTime())})`.execute(db);
}
