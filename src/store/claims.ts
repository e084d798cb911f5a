/**
 * SQL of the hot path: claim due alarms, settle them, hand claims back, and
 * recover claims whose lease ran out. The database clock decides what is due.
 */
import { sql, type Kysely } from 'kysely';
import type { Target } from '../api/alarms.js';
import type { AlarmStatus } from '../alarms/states.js';
import type { AlarmRow } from './alarms.js';
import type { Schema } from './schema.js';
import { streamClaimable } from './stream.js';

/** The NOTIFY channel that cuts a dispatcher's sleep short; the payload is the due time in epoch ms. */
export const DUE_CHANNEL = 'chronos_due';
/** The NOTIFY channel of cancels that took a claim (the alarm was firing); the payload is the alarm id. */
export const CANCEL_CHANNEL = 'chronos_cancelled';
/**
 * The NOTIFY channel on which each replica confirms it has processed a
 * cancel: no attempt of the alarm starts there any more (dispatch/cancels.ts);
 * the payload is `<alarm id> <replica>`.
 */
export const CANCEL_ACK_CHANNEL = 'chronos_cancel_ack';

/**
 * The columns a claim returns: what the wake, the alarm's next state and the
 * fencing read, and nothing else (each returned column is parsed once per
 * wake; timestamps into Dates).
 */
const CLAIMED_COLUMNS = [
  'id', 'owner', 'kind', 'at', 'cron', 'rrule', 'tz', 'start_at', 'until', 'max_fires', 'label', 'conversation_id', 'wake_message', 'tags',
  'payload', 'target', 'misfire', 'manual_of', 'next_fire_at', 'occurrence_at', 'fire_id', 'attempt', 'fire_count', 'consecutive_failures', 'claimed_at',
  'lease_until',
] as const;

/** A claimed alarm as the dispatcher sees it, with the payload as its exact JSON text. */
export type ClaimedRow = Pick<AlarmRow, (typeof CLAIMED_COLUMNS)[number]>;

const RETURNED = sql.raw(CLAIMED_COLUMNS.map((c) => `a.${c}`).join(', '));

/**
 * A suspended owner's alarms are not claimed (SPEC 10.1): they wait, and
 * their misfire policy applies when they are claimed after the suspension.
 * NOT IN over the (few) suspended owners is one hashed subplan per
 * statement, not a lookup per row.
 */
const NOT_SUSPENDED = sql<boolean>`alarms.owner NOT IN (SELECT did FROM owners WHERE suspended_at IS NOT NULL)`;

/** The states a verb moves an alarm between, from the transition table (alarms/states.ts). */
export interface Move {
  readonly from: AlarmStatus;
  readonly to: AlarmStatus;
}

/** What one claim statement returns. */
export interface Claim {
  /** The claimed rows, earliest due first; `next_fire_at` is when each attempt is due. */
  readonly rows: ClaimedRow[];
  /** The database clock when the statement ran. */
  readonly dbNow: Date;
  /** When the earliest scheduled alarm beyond the horizon is due, or null if none. */
  readonly nextDueAt: Date | null;
}

/**
 * How many more claims each owner may take in one claim: `max` for an
 * owner this replica holds none of, `max` less what it holds for the others
 * (`held`). The claim takes none of a suspended owner's alarms (the
 * `owners` table, SPEC 10.1), whatever its room.
 */
export interface OwnerRoom {
  readonly max: number;
  /** Claims this replica holds, by owner (owners holding none may be left out). */
  readonly held: ReadonlyMap<string, number>;
}

// The skip scan visits at most this many (instant, owner) groups per row asked for: groups that give no row (held
// claims, owners at their room or suspended, other targets) cost one index descent each, and the bound keeps a claim
// cheap when many of them lie ahead of everything claimable.
const GROUPS_PER_ROW = 10;

/**
 * Claims, in one statement, up to `limit` alarms whose target type is one of
 * `targets`, due by the database clock within `horizonMs` from now: the
 * earliest first, fair between owners due at one instant (each owner takes
 * at most its `room`), none of a suspended owner's, skipping rows another
 * replica holds, marked firing with this replica's id and a lease, each
 * one's attempt counted. Also returns the database clock and the next due
 * time beyond the horizon, so the caller can sleep without asking again.
 */
export async function claimDue(
  db: Kysely<Schema>,
  move: Move,
  targets: readonly string[],
  replica: string,
  limit: number,
  leaseMs: number,
  horizonMs = 0,
  room: OwnerRoom = { max: limit, held: new Map() },
): Promise<Claim> {
  // A stream alarm goes to the replica its owner listens on (store/stream.ts); the next due time counts only what this replica may claim.
  const claimable = streamClaimable(replica);
  const owners = [...room.held.keys()];
  const rooms = owners.map((o) => Math.max(0, room.max - room.held.get(o)!));
  // The room left to the owner in `column`: its entry in rooms, or max for an owner this replica holds none of.
  const roomOf = (column: string) => sql`coalesce((${rooms}::int[])[array_position(${owners}::text[], ${sql.raw(column)})], ${room.max})`;
  const horizon = sql`now() + ${horizonMs} * interval '1 millisecond'`;
  const { rows } = await sql<ClaimedRow & { claimed: boolean; db_now: Date; next_due_at: Date | null }>`
    WITH RECURSIVE groups AS (
      -- The due (instant, owner) groups in order, one descent of alarms_due (migration 014) each: an owner's flood
      -- due at one instant is one group, however many rows it has. Evaluated only as far as the claim reads.
      (SELECT next_fire_at, owner, 1 AS depth FROM alarms WHERE next_fire_at <= ${horizon} ORDER BY next_fire_at, owner LIMIT 1)
      UNION ALL
      SELECT n.next_fire_at, n.owner, g.depth + 1 FROM groups g CROSS JOIN LATERAL (
        SELECT next_fire_at, owner FROM alarms
        WHERE (next_fire_at, owner) > (g.next_fire_at, g.owner) AND next_fire_at <= ${horizon}
        ORDER BY next_fire_at, owner LIMIT 1
      ) n
      WHERE g.depth < ${limit * GROUPS_PER_ROW}
    ), candidates AS (
      SELECT c.id, g.owner, g.depth FROM groups g CROSS JOIN LATERAL (
        -- alarms_due holds the firing rows too (migration 005): the status test passes over them. The group is bounded
        -- by row comparisons, not equalities, and read in the index's order: with equalities the planner reduces the
        -- order to id and, when statistics say every row is due (a flood just analyzed), reads the group through the
        -- primary key or a sequential scan, past every row already settled.
        SELECT id FROM alarms
        WHERE (next_fire_at, owner) >= (g.next_fire_at, g.owner) AND (next_fire_at, owner) <= (g.next_fire_at, g.owner) AND next_fire_at <= ${horizon}
          AND status = ${move.from} AND target->>'type' = ANY (${targets}::text[])
          AND ${claimable}
          AND ${NOT_SUSPENDED}
        ORDER BY next_fire_at, owner, id
        LIMIT ${roomOf('g.owner')}
        FOR UPDATE SKIP LOCKED
      ) c
      LIMIT ${limit}
    ), due AS (
      -- An owner due at several instants has a group at each: its room counts across them.
      SELECT id FROM (SELECT id, owner, row_number() OVER (PARTITION BY owner ORDER BY depth, id) AS nth FROM candidates) c
      WHERE nth <= ${roomOf('owner')}
    ), claimed AS (
      UPDATE alarms a
      SET status = ${move.to}, claimed_by = ${replica}, claimed_at = date_trunc('milliseconds', clock_timestamp()), -- ms: the fencing token round-trips through a JS Date
          lease_until = now() + ${leaseMs} * interval '1 millisecond', attempt = a.attempt + 1,
          updated_at = date_trunc('milliseconds', now())
      FROM due WHERE a.id = due.id
      RETURNING ${RETURNED}
    ), clock AS (
      -- The clock is read once the claim is done (its input is the count of claimed rows): the later the reading, the
      -- tighter the caller's bound of the clock offset, by which it times the wakes. Rows beyond the horizon are
      -- untouched by this statement, so its snapshot tells the next due time right.
      SELECT clock_timestamp() AS db_now,
             (SELECT min(next_fire_at) FROM alarms
              WHERE status = ${move.from} AND next_fire_at > ${horizon} AND target->>'type' = ANY (${targets}::text[])
                AND ${claimable} AND ${NOT_SUSPENDED}) AS next_due_at
      FROM (SELECT count(*) FROM claimed) AS done
    )
    SELECT claimed.*, claimed.id IS NOT NULL AS claimed, clock.db_now, clock.next_due_at
    FROM clock LEFT JOIN claimed ON true
    ORDER BY claimed.next_fire_at, claimed.id`.execute(db);
  const first = rows[0]!;
  return {
    // The rows keep the three statement columns: copying 30-odd columns out of each cost 4 KB of garbage a wake.
    rows: rows.filter((r) => r.claimed),
    dbNow: first.db_now,
    nextDueAt: first.next_due_at,
  };
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
  readonly targetType: string;
  readonly fireId: string;
  /** The alarm whose history it is: for a fire-now occurrence, the alarm it was fired for. */
  readonly alarmId: string;
  /** Of a fire-now occurrence. */
  readonly manual: boolean;
  readonly scheduledFor: Date;
  readonly attempt: number;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly outcome: 'delivered' | 'retrying' | 'failed';
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** One finished claim to settle: the claim (alarm and fencing token), the alarm's next state, the ledger row (none when no attempt was made). */
export interface SettleItem {
  readonly alarmId: string;
  readonly claimedAt: Date;
  readonly patch: SettlePatch;
  readonly record: AttemptRecord | null;
}

/** The key of a claim: the alarm and its fencing token. */
export function claimKey(alarmId: string, claimedAt: Date): string {
  return `${alarmId}@${claimedAt.getTime()}`;
}

/**
 * Settles a group of finished attempts in one statement (one commit):
 * records every attempt in the ledger and applies each patch only where this
 * replica still holds that very claim (`claimedAt` fences off a later claim
 * of the same row by the same replica after a lease expiry). Returns the
 * keys ({@link claimKey}) of the claims that were held; the others were
 * lost (a cancel, or another replica took the lease over), and their
 * attempts are recorded all the same, since they happened.
 */
export async function settleMany(db: Kysely<Schema>, replica: string, items: readonly SettleItem[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  // Instants as epoch milliseconds: Date's toJSON (toISOString) was three quarters of the client's cost of a group,
  // 3.7 us of 4.6 per item, and a number is cheaper for the server to read than a timestamp's text too.
  const input = JSON.stringify(
    items.map(({ alarmId, claimedAt, patch, record }) => ({
      claimed_id: alarmId, attempt_id: record?.id ?? null, fire_id: record?.fireId ?? null, alarm_id: record?.alarmId ?? null, scheduled_for: record?.scheduledFor.getTime() ?? null,
      attempt: record?.attempt ?? null, started_at: record?.startedAt.getTime() ?? null, finished_at: record?.finishedAt.getTime() ?? null, outcome: record?.outcome ?? null,
      status_code: record?.statusCode ?? null, error: record?.error ?? null, duration_ms: record?.durationMs ?? null, target_type: record?.targetType ?? null,
      manual: record?.manual ?? false, claimed_at: claimedAt.getTime(), status: patch.status,
      next_fire_at: patch.nextFireAt?.getTime() ?? null, occurrence_at: patch.occurrenceAt?.getTime() ?? null, next_fire_id: patch.fireId,
      next_attempt: patch.attempt, delivered: patch.delivered, consecutive_failures: patch.consecutiveFailures, last_error: patch.lastError,
    })),
  );
  // One json parameter, not one per value: a group is a single statement whatever its size (::text first, or
  // postgres.js JSON-encodes the string again). to_timestamp rounds to the microsecond, so milliseconds come back exact.
  const { rows } = await sql<{ id: string; claimed_at: Date }>`
    WITH items AS (
      SELECT * FROM json_to_recordset(${input}::text::json) AS i(
        claimed_id text, attempt_id text, fire_id text, alarm_id text, scheduled_for float8, attempt int, started_at float8, finished_at float8,
        outcome text, status_code int, error text, duration_ms int, target_type text, manual boolean, claimed_at float8, status text, next_fire_at float8,
        occurrence_at float8, next_fire_id text, next_attempt int, delivered boolean, consecutive_failures int, last_error text)
    ), input AS (
      SELECT claimed_id, attempt_id, fire_id, alarm_id, manual, to_timestamp(scheduled_for / 1000) AS scheduled_for, attempt, to_timestamp(started_at / 1000) AS started_at,
        to_timestamp(finished_at / 1000) AS finished_at, outcome, status_code, error, duration_ms, target_type, to_timestamp(claimed_at / 1000) AS claimed_at, status,
        to_timestamp(next_fire_at / 1000) AS next_fire_at, to_timestamp(occurrence_at / 1000) AS occurrence_at, next_fire_id, next_attempt, delivered,
        consecutive_failures, last_error
      FROM items
    ), ledger AS (
      INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome, status_code, error, duration_ms, target_type, manual)
      SELECT attempt_id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome, status_code, error, duration_ms, target_type, manual
      FROM input WHERE attempt_id IS NOT NULL
    )
    UPDATE alarms a SET
      status = i.status, next_fire_at = i.next_fire_at, occurrence_at = i.occurrence_at, fire_id = i.next_fire_id,
      attempt = i.next_attempt, fire_count = a.fire_count + CASE WHEN i.delivered THEN 1 ELSE 0 END,
      last_fired_at = CASE WHEN i.delivered THEN i.started_at ELSE a.last_fired_at END,
      consecutive_failures = i.consecutive_failures, last_error = i.last_error,
      claimed_by = NULL, claimed_at = NULL, lease_until = NULL, updated_at = date_trunc('milliseconds', now()),
      finished_at = CASE WHEN i.next_fire_at IS NULL THEN date_trunc('milliseconds', now()) END
    FROM input i
    -- Held: the claim is this replica's and that very claim (set only while firing: migration 004). No status test on
    -- purpose: the primary key reaches each row; a status test once let the planner read every firing row through an
    -- index and join each to the whole group, 4x the PostgreSQL CPU per wake under a burst.
    WHERE a.id = i.claimed_id AND a.claimed_by = ${replica} AND a.claimed_at = i.claimed_at
    RETURNING a.id, i.claimed_at`.execute(db);
  return new Set(rows.map((r) => claimKey(r.id, r.claimed_at)));
}

/**
 * Hands claims back that this replica will not finish (shutdown): due again
 * at once (or at their instant, if claimed ahead of it), the same fire id
 * kept. The claim counted an attempt that is taken back here, as if never
 * started (unlike a lease the reaper takes back, recoverExpiredLeases).
 */
export async function releaseClaims(db: Kysely<Schema>, move: Move, replica: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('alarms')
    .set({
      status: move.to,
      // A claim made ahead of its instant goes back due at that instant, not earlier.
      next_fire_at: sql<Date>`greatest(next_fire_at, now())`,
      attempt: sql<number>`greatest(attempt - 1, 0)`,
      claimed_by: null,
      claimed_at: null,
      lease_until: null,
      updated_at: sql<Date>`date_trunc('milliseconds', now())`,
    })
    .where('id', 'in', [...ids])
    .where('claimed_by', '=', replica)
    .where('status', '=', move.from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Confirms, in one statement, that `replica` has processed the cancels of `alarmIds` ({@link CANCEL_ACK_CHANNEL}). */
export async function acknowledgeCancels(db: Kysely<Schema>, replica: string, alarmIds: readonly string[]): Promise<void> {
  await sql`SELECT pg_notify(${CANCEL_ACK_CHANNEL}, id || ' ' || ${replica}) FROM unnest(${[...alarmIds]}::text[]) AS id`.execute(db);
}

/** A claim taken back from a replica whose lease ran out. */
export interface RecoveredClaim {
  readonly id: string;
  readonly claimed_by: string;
  readonly fire_id: string | null;
}

/**
 * Takes back up to `limit` claims whose lease expired: due again at once
 * with the same fire id. The lost attempt was started, so it counts: it goes
 * into the ledger as retrying under its own number (its outcome is unknown),
 * `attempt` keeps it, and the wake sent again carries the next number.
 */
export async function recoverExpiredLeases(db: Kysely<Schema>, move: Move, limit: number, attemptIds: () => string): Promise<RecoveredClaim[]> {
  return db.transaction().execute(async (trx) => recoverIn(trx, move, limit, attemptIds));
}

async function recoverIn(db: Kysely<Schema>, move: Move, limit: number, attemptIds: () => string): Promise<RecoveredClaim[]> {
  const { rows } = await sql<RecoveredClaim & { attempt: number; occurrence_at: Date; claimed_at: Date | null; target_type: Target['type']; manual_of: string | null }>`
    WITH expired AS (
      -- Through alarms_due (no index covers the lease: migration 005): a claim whose lease ran out is overdue, as a
      -- lease outlasts the lookahead a claim is made with.
      SELECT id FROM alarms
      WHERE next_fire_at < now() AND status = ${move.from} AND lease_until < now()
      ORDER BY next_fire_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), old AS (
      SELECT a.id, a.claimed_by, a.claimed_at, a.attempt, a.fire_id, a.occurrence_at, a.target->>'type' AS target_type, a.manual_of FROM alarms a JOIN expired USING (id)
    ), released AS (
      UPDATE alarms a SET status = ${move.to}, next_fire_at = now(),
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
          // A fire-now occurrence's attempts are the history of the alarm it was fired for.
          alarm_id: r.manual_of ?? r.id,
          manual: r.manual_of !== null,
          scheduled_for: r.occurrence_at,
          attempt: Math.max(r.attempt, 1),
          started_at: r.claimed_at ?? sql<Date>`now()`,
          finished_at: sql<Date>`now()`,
          outcome: 'retrying' as const,
          error: `lease expired: replica ${r.claimed_by} did not finish the attempt; the outcome is unknown, so it is sent again with the same fire_id`,
          status_code: null,
          duration_ms: null,
          target_type: r.target_type,
        })),
      )
      .execute();
  }
  return rows.map(({ id, claimed_by, fire_id }) => ({ id, claimed_by, fire_id }));
}
