/** SQL for alarms and their fire history as the alarm service uses them. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ListCursor } from '../api/cursor.js';
import type { AlarmStatus } from '../alarms/states.js';
import type { AuditEntry } from '../audit/entry.js';
import { auditRecordset } from './audit.js';
import { CANCEL_CHANNEL, DUE_CHANNEL } from './claims.js';
import type { AlarmsTable, FiresTable, Schema } from './schema.js';

/** An alarm row, with the payload as its exact JSON text. */
export type AlarmRow = Selectable<AlarmsTable>;
/** A fire-ledger row. */
export type FireRow = Selectable<FiresTable>;

/**
 * The columns a create sets: all but the counters and the claim, which
 * start at their defaults, and the times the database keeps. The payload
 * is its exact JSON text.
 */
export type NewAlarmRow = Omit<
  AlarmRow,
  'attempt' | 'fire_count' | 'consecutive_failures' | 'last_fired_at' | 'last_error' | 'claimed_by' | 'claimed_at' | 'lease_until' | 'created_at' | 'updated_at' | 'finished_at' | 'manual_of'
>;

/** The outcome of one create in {@link createAlarms}. */
export type CreateOutcome = { kind: 'created'; row: AlarmRow } | { kind: 'existing'; row: AlarmRow } | { kind: 'quota'; active: number };

type CreateResultRow = AlarmRow & { ord: number; outcome: 'created' | 'existing' | 'quota'; active: number | null };

/**
 * Creates a batch of alarms in one statement (chronos_create_alarm_rows,
 * migrations 002 and 006) and returns one outcome per alarm, in order:
 * `created`; `existing` when the owner's idempotency key already names an
 * alarm; or `quota` when the owner already has `maxActive` active alarms.
 * Creates of one owner are serialized by an advisory lock, so the quota is
 * exact and concurrent identical creates make one alarm. The earliest alarm
 * due before `notifyIfDueBefore` is announced on the due channel.
 */
export async function createAlarms(
  db: Kysely<Schema>,
  alarms: readonly NewAlarmRow[],
  maxActive: number,
  notifyIfDueBefore: Date,
  audits: readonly (AuditEntry | null)[] = [],
): Promise<CreateOutcome[]> {
  // The payload is a string of its JSON text, as the function takes a json column (migration 006).
  const items = JSON.stringify(alarms.map((a, ord) => ({ ord, ...a })));
  // The audit entry of each alarm the batch creates goes in with it, in the same statement (SPEC 10.3).
  const entries = auditRecordset(audits.flatMap((entry, ord) => (entry ? [{ ord, entry }] : [])));
  // Through text: a parameter typed json would be JSON-encoded again by postgres.js.
  const { rows } = await sql<CreateResultRow>`
    WITH result AS (
      SELECT ord, outcome, active, (alarm).* FROM chronos_create_alarm_rows(${items}::text::json, ${maxActive}::integer, ${DUE_CHANNEL}, ${notifyIfDueBefore}::timestamptz)
    ), audited AS (
      INSERT INTO audit_log (id, actor, owner, action, target_id, request_id, client_ip, details)
      SELECT e.id, e.actor, e.owner, e.action, result.id, e.request_id, e.client_ip, e.details::jsonb
      FROM ${entries} JOIN result ON result.ord = e.ord AND result.outcome = 'created'
    )
    SELECT * FROM result`.execute(db);
  const outcomes: CreateOutcome[] = new Array<CreateOutcome>(alarms.length);
  for (const row of rows) outcomes[row.ord] = row.outcome === 'quota' ? { kind: 'quota', active: row.active! } : { kind: row.outcome, row };
  return outcomes;
}

/** The owner's alarm `id`, or undefined (another owner's alarm is as missing as a missing one, and so is a fire-now occurrence). */
export async function getAlarm(db: Kysely<Schema>, owner: string, id: string): Promise<AlarmRow | undefined> {
  return db.selectFrom('alarms').selectAll().where('id', '=', id).where('owner', '=', owner).where('manual_of', 'is', null).executeTakeFirst();
}

/**
 * {@link getAlarm}, the row locked until the transaction `trx` ends: a
 * claim, which skips locked rows, cannot take it meanwhile, and a claim in
 * progress is waited for.
 */
export async function lockAlarm(trx: Kysely<Schema>, owner: string, id: string): Promise<AlarmRow | undefined> {
  return trx.selectFrom('alarms').selectAll().where('id', '=', id).where('owner', '=', owner).where('manual_of', 'is', null).forUpdate().executeTakeFirst();
}

/**
 * Takes the owner's create lock until the transaction `trx` ends (the one
 * chronos_create_alarm_rows takes, migration 006), so that a change of the
 * owner's active alarms and the creates' quota see each other; then counts
 * the owner's active alarms (scheduled or firing).
 */
export async function lockOwnerAndCountActive(trx: Kysely<Schema>, owner: string): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${owner}, 0))`.execute(trx);
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM alarms WHERE owner = ${owner} AND next_fire_at IS NOT NULL`.execute(trx);
  return rows[0]!.n;
}

/**
 * Records that the owner has `active` active alarms, under the owner's
 * create lock: the creates' quota starts from this bound (it must never be
 * below the true count).
 */
export async function setActiveBound(trx: Kysely<Schema>, owner: string, active: number): Promise<void> {
  await sql`INSERT INTO alarm_owners AS o (owner, active_bound) VALUES (${owner}, ${active}) ON CONFLICT (owner) DO UPDATE SET active_bound = excluded.active_bound`.execute(trx);
}

/** The columns a change of an alarm by its owner may write. */
export type AlarmChange = Partial<
  Pick<
    AlarmRow,
    | 'status' | 'kind' | 'at' | 'at_local' | 'cron' | 'rrule' | 'tz' | 'start_at' | 'until' | 'max_fires' | 'label' | 'conversation_id' | 'wake_message'
    | 'payload' | 'tags' | 'target' | 'misfire' | 'next_fire_at' | 'occurrence_at' | 'fire_id' | 'attempt' | 'last_error' | 'finished_at'
  >
>;

/**
 * Writes `change` to the alarm `id`, which the caller has locked; returns
 * the row as written. When the alarm is then due before `notifyIfDueBefore`,
 * sleeping dispatchers are told, at commit, as a create tells them.
 */
export async function writeAlarm(trx: Kysely<Schema>, id: string, change: AlarmChange, notifyIfDueBefore: Date): Promise<AlarmRow> {
  const { payload, target, ...plain } = change;
  const row = await trx
    .updateTable('alarms')
    .set({
      ...plain,
      // Through text: postgres.js would JSON-encode a string bound as json again, and the payload is kept as its text.
      ...(payload !== undefined ? { payload: sql<string>`${payload}::text::json` } : {}),
      ...(target !== undefined ? { target: sql<string>`${JSON.stringify(target)}::text::jsonb` } : {}),
      updated_at: sql<Date>`date_trunc('milliseconds', now())`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (row.next_fire_at !== null && row.next_fire_at < notifyIfDueBefore) await sql`SELECT pg_notify(${DUE_CHANNEL}, ${String(row.next_fire_at.getTime())})`.execute(trx);
  return row;
}

/**
 * Inserts the hidden once alarm of a fire-now occurrence of `row.manual_of`
 * (migration 011), due at once, and tells sleeping dispatchers at commit.
 */
export async function insertManualFire(trx: Kysely<Schema>, row: NewAlarmRow & { manual_of: string }): Promise<AlarmRow> {
  const { payload, target, ...plain } = row;
  const inserted = await trx
    .insertInto('alarms')
    .values({ ...plain, payload: sql<string>`${payload}::text::json`, target: sql<string>`${JSON.stringify(target)}::text::jsonb` })
    .returningAll()
    .executeTakeFirstOrThrow();
  await sql`SELECT pg_notify(${DUE_CHANNEL}, ${String(inserted.next_fire_at!.getTime())})`.execute(trx);
  return inserted;
}

/** The ids of the fire-now occurrences of alarm `id` in one of `statuses`. */
export async function manualFiresOf(db: Kysely<Schema>, id: string, statuses: readonly AlarmStatus[]): Promise<string[]> {
  const rows = await db.selectFrom('alarms').select('id').where('manual_of', '=', id).where('status', 'in', [...statuses]).execute();
  return rows.map((r) => r.id);
}

/** Which alarms a list shows. */
export interface AlarmFilter {
  readonly statuses?: readonly AlarmStatus[] | undefined;
  readonly tag?: string | undefined;
  readonly target?: string | undefined;
  readonly after?: ListCursor | undefined;
  readonly limit: number;
}

/**
 * One page of alarms, newest first: the owner's (by creation time, through
 * the owner's index), or, with `owner` undefined, every owner's (by id,
 * which is time-ordered, through the primary key: no index on creation
 * time is kept for the admin's list alone). Fetches `limit + 1` rows so the
 * caller knows whether more follow.
 */
export async function listAlarms(db: Kysely<Schema>, owner: string | undefined, filter: AlarmFilter): Promise<AlarmRow[]> {
  let q = db.selectFrom('alarms').selectAll().where('manual_of', 'is', null);
  if (owner !== undefined) q = q.where('owner', '=', owner);
  if (filter.statuses && filter.statuses.length > 0) q = q.where('status', 'in', [...filter.statuses]);
  if (filter.tag !== undefined) q = q.where(sql<boolean>`tags @> ARRAY[${filter.tag}]::text[]`);
  if (filter.target !== undefined) q = q.where(sql<boolean>`target->>'type' = ${filter.target}`);
  if (owner === undefined) {
    if (filter.after) q = q.where('id', '<', filter.after.id);
    return q.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  }
  if (filter.after) q = q.where(sql<boolean>`(created_at, id) < (${filter.after.at}, ${filter.after.id})`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

/** Any owner's alarm `id` (not a fire-now occurrence), or undefined. */
export async function getAnyAlarm(db: Kysely<Schema>, id: string): Promise<AlarmRow | undefined> {
  return db.selectFrom('alarms').selectAll().where('id', '=', id).where('manual_of', 'is', null).executeTakeFirst();
}

/** An alarm that {@link finishAlarm} moved, and the claim it took, if any. */
export interface FinishedAlarm {
  readonly row: AlarmRow;
  /** The replica whose claim was dropped (the alarm was firing) and how long its lease still ran, or null. */
  readonly claim: { readonly replica: string; readonly leaseLeftMs: number } | null;
}

/**
 * Moves the owner's alarm (`manual`: a fire-now occurrence) from one of `from` to the final state `to`,
 * dropping its claim, and tells the dispatchers when there was one (a
 * claimed wake that has not left yet is not sent). Returns the row and the
 * claim it took, or undefined when the alarm is in none of `from` (or not
 * the owner's). Clearing the claim makes the settle of an attempt already
 * on the wire find nothing, so the row stays as set.
 */
export async function finishAlarm(
  db: Kysely<Schema>,
  owner: string,
  id: string,
  from: readonly AlarmStatus[],
  to: AlarmStatus,
  manual = false,
  audit?: AuditEntry,
): Promise<FinishedAlarm | undefined> {
  // The locked subquery reads the claim as it is when the row is ours (a claim committing meanwhile is waited for and
  // seen), which RETURNING alone cannot: it shows the row as updated. The lease left is read on the database clock.
  // Its audit entry is written by the same statement, only when the alarm moved.
  const entry = auditRecordset(audit ? [{ ord: 0, entry: audit }] : []);
  const { rows } = await sql<AlarmRow & { held_by: string | null; lease_left_ms: number | null; notified: unknown }>`
    WITH finished AS (
      UPDATE alarms a SET status = ${to}, next_fire_at = NULL, claimed_by = NULL, claimed_at = NULL, lease_until = NULL,
        updated_at = date_trunc('milliseconds', now()), finished_at = date_trunc('milliseconds', now())
      FROM (SELECT id, claimed_by, lease_until FROM alarms WHERE id = ${id} AND owner = ${owner} AND status = ANY (${[...from]}::text[]) AND (manual_of IS NOT NULL) = ${manual} FOR UPDATE) old
      WHERE a.id = old.id
      RETURNING a.*, old.claimed_by AS held_by,
        greatest(0, ceil(extract(epoch FROM old.lease_until - clock_timestamp()) * 1000))::int AS lease_left_ms,
        CASE WHEN old.claimed_by IS NOT NULL THEN pg_notify(${CANCEL_CHANNEL}, a.id) END AS notified
    ), audited AS (
      INSERT INTO audit_log (id, actor, owner, action, target_id, request_id, client_ip, details)
      SELECT e.id, e.actor, e.owner, e.action, e.target_id, e.request_id, e.client_ip, e.details::jsonb
      FROM ${entry} WHERE EXISTS (SELECT FROM finished)
    )
    SELECT * FROM finished`.execute(db);
  const found = rows[0];
  if (!found) return undefined;
  const { held_by: heldBy, lease_left_ms: leaseLeftMs, ...row } = found;
  delete (row as Partial<typeof row>).notified;
  return { row, claim: heldBy === null ? null : { replica: heldBy, leaseLeftMs: leaseLeftMs ?? 0 } };
}

/** One page of an alarm's delivery attempts, newest first (`limit + 1` rows). */
export async function listFires(db: Kysely<Schema>, alarmId: string, filter: { after?: ListCursor; limit: number }): Promise<FireRow[]> {
  let q = db.selectFrom('fires').selectAll().where('alarm_id', '=', alarmId);
  if (filter.after) q = q.where(sql<boolean>`(started_at, id) < (${filter.after.at}, ${filter.after.id})`);
  return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

/**
 * Deletes up to `limit` alarms in one of `from` (the final states) that got
 * there more than `retentionMs` ago, and their fire history; returns how
 * many alarms. Rows another transaction holds are left for the next round.
 */
export async function purgeFinished(db: Kysely<Schema>, from: readonly AlarmStatus[], retentionMs: number, limit: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH gone AS (
      DELETE FROM alarms WHERE id IN (
        SELECT id FROM alarms
        WHERE finished_at < now() - ${retentionMs} * interval '1 millisecond' AND status = ANY (${[...from]}::text[])
        ORDER BY finished_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id
    ), history AS (
      DELETE FROM fires WHERE alarm_id IN (SELECT id FROM gone)
    )
    SELECT count(*)::int AS n FROM gone`.execute(db);
  return rows[0]!.n;
}
