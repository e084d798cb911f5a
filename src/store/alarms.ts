/** SQL for alarms and their fire history, as the API uses them. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { CANCEL_CHANNEL, DUE_CHANNEL } from './claims.js';
import type { AlarmsTable, FiresTable, Schema } from './schema.js';

/** An alarm row, with the payload as its exact JSON text. */
export type AlarmRow = Omit<Selectable<AlarmsTable>, 'payload'> & { payload: string };
/** A fire-ledger row. */
export type FireRow = Selectable<FiresTable>;
/** An alarm status. */
export type AlarmStatus = AlarmRow['status'];

/** Every alarm column, payload as text: postgres.js would parse a json column. */
const ALARM_COLUMNS = [
  'id', 'owner', 'kind', 'at', 'cron', 'rrule', 'tz', 'start_at', 'until', 'max_fires', 'label', 'conversation_id', 'wake_message',
  'tags', 'status', 'next_fire_at', 'occurrence_at', 'fire_id', 'attempt', 'fire_count', 'consecutive_failures', 'last_fired_at',
  'last_error', 'claimed_by', 'claimed_at', 'lease_until', 'idempotency_key', 'request_fingerprint', 'created_at', 'updated_at',
  sql<string>`payload::text`.as('payload'),
] as const;

/** What a new alarm row holds; everything else starts at its default. */
export interface NewAlarm {
  readonly id: string;
  readonly owner: string;
  readonly kind: AlarmRow['kind'];
  readonly at: Date | null;
  readonly cron: string | null;
  readonly rrule: string | null;
  readonly tz: string;
  readonly startAt: Date | null;
  readonly until: Date | null;
  readonly maxFires: number | null;
  readonly label: string | null;
  readonly conversationId: string | null;
  readonly wakeMessage: string;
  readonly payloadText: string;
  readonly tags: readonly string[];
  readonly firstFireAt: Date;
  readonly fireId: string;
  readonly idempotencyKey: string | null;
  readonly fingerprint: string;
}

/** The outcome of one create in {@link createAlarms}. */
export type CreateOutcome = { kind: 'created'; row: AlarmRow } | { kind: 'existing'; row: AlarmRow } | { kind: 'quota'; active: number };

type CreateResultRow = AlarmRow & { ord: number; outcome: 'created' | 'existing' | 'quota'; active: number | null };

/**
 * Creates a batch of alarms in one statement (chronos_create_alarms,
 * migration 002) and returns one outcome per alarm, in order: `created`;
 * `existing` when the owner's idempotency key already names an alarm; or
 * `quota` when the owner already has `maxActive` active alarms. Creates of
 * one owner are serialized by an advisory lock, so the quota is exact and
 * concurrent identical creates make one alarm. The earliest alarm due
 * before `notifyIfDueBefore` is announced on the due channel.
 */
export async function createAlarms(db: Kysely<Schema>, alarms: readonly NewAlarm[], maxActive: number, notifyIfDueBefore: Date): Promise<CreateOutcome[]> {
  const items = alarms.map((a, ord) => ({
    ord,
    id: a.id,
    owner: a.owner,
    kind: a.kind,
    at: a.at,
    cron: a.cron,
    rrule: a.rrule,
    tz: a.tz,
    start_at: a.startAt,
    until: a.until,
    max_fires: a.maxFires,
    label: a.label,
    conversation_id: a.conversationId,
    wake_message: a.wakeMessage,
    payload: a.payloadText,
    tags: a.tags,
    first_fire_at: a.firstFireAt,
    fire_id: a.fireId,
    idempotency_key: a.idempotencyKey,
    request_fingerprint: a.fingerprint,
  }));
  // Through text: a parameter typed json would be JSON-encoded again by postgres.js.
  const { rows } = await sql<CreateResultRow>`
    SELECT * FROM chronos_create_alarms(${JSON.stringify(items)}::text::json, ${maxActive}::integer, ${DUE_CHANNEL}, ${notifyIfDueBefore}::timestamptz)`.execute(db);
  const outcomes: CreateOutcome[] = new Array<CreateOutcome>(alarms.length);
  // Each row keeps ord, outcome and active beside the alarm's columns (a copy without them is garbage for nothing).
  for (const row of rows) outcomes[row.ord] = row.outcome === 'quota' ? { kind: 'quota', active: row.active! } : { kind: row.outcome, row };
  return outcomes;
}

/** The owner's alarm `id`, or undefined (another owner's alarm is as missing as a missing one). */
export async function getAlarm(db: Kysely<Schema>, owner: string, id: string): Promise<AlarmRow | undefined> {
  return db.selectFrom('alarms').select(ALARM_COLUMNS).where('id', '=', id).where('owner', '=', owner).executeTakeFirst();
}

/** A position in a newest-first listing: the last row seen. */
export interface ListCursor {
  readonly at: Date;
  readonly id: string;
}

/** One page of the owner's alarms, newest first; fetches `limit + 1` rows so the caller knows whether more follow. */
export async function listAlarms(
  db: Kysely<Schema>,
  owner: string,
  filter: { statuses?: readonly AlarmStatus[]; tag?: string; after?: ListCursor; limit: number },
): Promise<AlarmRow[]> {
  let q = db.selectFrom('alarms').select(ALARM_COLUMNS).where('owner', '=', owner);
  if (filter.statuses && filter.statuses.length > 0) q = q.where('status', 'in', [...filter.statuses]);
  if (filter.tag !== undefined) q = q.where(sql<boolean>`tags @> ARRAY[${filter.tag}]::text[]`);
  if (filter.after) q = q.where(sql<boolean>`(created_at, id) < (${filter.after.at}, ${filter.after.id})`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

/** The outcome of {@link cancelAlarm}. */
export type CancelOutcome = { kind: 'cancelled' | 'already_cancelled' | 'not_cancellable'; row: AlarmRow } | { kind: 'not_found' };

/**
 * Cancels a scheduled or firing alarm. Clearing the claim makes the
 * dispatcher's settle of an attempt already on the wire find nothing, so the
 * row stays cancelled whatever that attempt's answer; the NOTIFY stops a
 * claimed wake that has not left yet.
 */
export async function cancelAlarm(db: Kysely<Schema>, owner: string, id: string): Promise<CancelOutcome> {
  const row = await db
    .updateTable('alarms')
    .set({ status: 'cancelled', next_fire_at: null, claimed_by: null, claimed_at: null, lease_until: null, updated_at: sql<Date>`date_trunc('milliseconds', now())` })
    .where('id', '=', id)
    .where('owner', '=', owner)
    .where('status', 'in', ['scheduled', 'firing'])
    .returning([...ALARM_COLUMNS, sql<string>`pg_notify(${CANCEL_CHANNEL}, id)`.as('notified')])
    .executeTakeFirst();
  if (row) {
    delete (row as Partial<typeof row>).notified;
    return { kind: 'cancelled', row };
  }
  const current = await getAlarm(db, owner, id);
  if (!current) return { kind: 'not_found' };
  return { kind: current.status === 'cancelled' ? 'already_cancelled' : 'not_cancellable', row: current };
}

/** One page of an alarm's delivery attempts, newest first (`limit + 1` rows). */
export async function listFires(db: Kysely<Schema>, alarmId: string, filter: { after?: ListCursor; limit: number }): Promise<FireRow[]> {
  let q = db.selectFrom('fires').selectAll().where('alarm_id', '=', alarmId);
  if (filter.after) q = q.where(sql<boolean>`(started_at, id) < (${filter.after.at}, ${filter.after.id})`);
  return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

/**
 * Inserts once alarms due at `ats`, 1,000 rows a statement: set-up for
 * benchmarks and tests of dispatch (the API path validates one at a time).
 */
export async function bulkInsertOnceAlarms(db: Kysely<Schema>, owner: string, ats: readonly Date[], ids: () => string, fireIdFor: (id: string, at: Date) => string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < ats.length; i += 1_000) {
    const rows = ats.slice(i, i + 1_000).map((at) => {
      const id = ids();
      out.push(id);
      return { id, owner, kind: 'once' as const, at, wake_message: 'bench', next_fire_at: at, occurrence_at: at, fire_id: fireIdFor(id, at) };
    });
    await db.insertInto('alarms').values(rows).execute();
  }
  return out;
}
