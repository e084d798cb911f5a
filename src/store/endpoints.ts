/** SQL for webhook endpoints (SPEC 8.2) as the endpoint service and the webhook deliverer use them. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ListCursor } from '../api/cursor.js';
import type { AlarmStatus } from '../alarms/states.js';
import type { EndpointsTable, Schema } from './schema.js';

/** An endpoint row, secrets included. */
export type EndpointRow = Selectable<EndpointsTable>;

/** What a create writes. */
export type NewEndpointRow = Pick<EndpointRow, 'id' | 'owner' | 'url' | 'description' | 'method' | 'headers' | 'body' | 'secret'>;

/** The fields a PATCH may change. */
export type EndpointChanges = Partial<Pick<EndpointRow, 'url' | 'description' | 'method' | 'headers' | 'body'>>;

/** The NOTIFY channel on which a changed or deleted endpoint is announced (payload: its id), so deliverers drop what they cached. */
export const ENDPOINT_CHANNEL = 'chronos_endpoint_changed';

// Endpoint creates of one owner queue on this lock (the alarm creates of migration 002 use the key with seed 0).
const CREATE_LOCK_SEED = 8;

/** Inserts `row` unless its owner already has `max` endpoints, in the transaction `trx`; returns the row, or the count that was full. */
export async function insertEndpoint(trx: Kysely<Schema>, row: NewEndpointRow, max: number): Promise<{ row: EndpointRow } | { full: number }> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${row.owner}, ${CREATE_LOCK_SEED}))`.execute(trx);
  const { n } = await trx.selectFrom('endpoints').select((eb) => eb.fn.countAll<string>().as('n')).where('owner', '=', row.owner).executeTakeFirstOrThrow();
  if (Number(n) >= max) return { full: Number(n) };
  const inserted = await trx
    .insertInto('endpoints')
    .values({ ...row, headers: jsonb(row.headers) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row: inserted };
}

/** The owner's endpoint `id`, or undefined (another owner's is as missing as a missing one). */
export async function getEndpoint(db: Kysely<Schema>, owner: string, id: string): Promise<EndpointRow | undefined> {
  return db.selectFrom('endpoints').selectAll().where('id', '=', id).where('owner', '=', owner).executeTakeFirst();
}

/** One page of the owner's endpoints, newest first; fetches `limit + 1` rows so the caller knows whether more follow. */
export async function listEndpoints(db: Kysely<Schema>, owner: string, filter: { after?: ListCursor; limit: number }): Promise<EndpointRow[]> {
  let q = db.selectFrom('endpoints').selectAll().where('owner', '=', owner);
  if (filter.after) q = q.where(sql<boolean>`(created_at, id) < (${filter.after.at}, ${filter.after.id})`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
}

/** Applies `changes` to the owner's endpoint and announces it; undefined when there is no such endpoint. */
export async function updateEndpoint(db: Kysely<Schema>, owner: string, id: string, changes: EndpointChanges): Promise<EndpointRow | undefined> {
  const { headers, ...rest } = changes;
  return announced(
    db,
    db
      .updateTable('endpoints')
      .set({ ...rest, ...(headers !== undefined ? { headers: jsonb(headers) } : {}), updated_at: sql`now()` })
      .where('id', '=', id)
      .where('owner', '=', owner)
      .returningAll()
      .executeTakeFirst(),
  );
}

/**
 * Makes `secret` the endpoint's secret; the one it replaces keeps signing
 * until `graceMs` from now (none when 0). Announced like any change.
 */
export async function rotateEndpointSecret(db: Kysely<Schema>, owner: string, id: string, secret: string, graceMs: number): Promise<EndpointRow | undefined> {
  return announced(
    db,
    db
      .updateTable('endpoints')
      .set({
        secret,
        previous_secret: graceMs > 0 ? sql<string>`secret` : null,
        previous_secret_until: graceMs > 0 ? sql<Date>`now() + ${graceMs} * interval '1 millisecond'` : null,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('owner', '=', owner)
      .returningAll()
      .executeTakeFirst(),
  );
}

/**
 * Deletes the owner's endpoint unless an alarm in one of `active` targets
 * it. Answers `deleted`, `in_use` (with how many alarms) or `missing`.
 */
export async function deleteEndpointUnlessUsed(db: Kysely<Schema>, owner: string, id: string, active: readonly AlarmStatus[]): Promise<{ kind: 'deleted' } | { kind: 'in_use'; alarms: number } | { kind: 'missing' }> {
  const target = JSON.stringify({ type: 'webhook', endpoint: id });
  const result = await sql<{ deleted: boolean; using: string }>`
    WITH using_alarms AS (
      SELECT count(*) AS n FROM alarms WHERE owner = ${owner} AND status = ANY (${[...active]}::text[]) AND target = ${target}::text::jsonb
    ), gone AS (
      DELETE FROM endpoints WHERE id = ${id} AND owner = ${owner} AND (SELECT n FROM using_alarms) = 0 RETURNING id
    ), told AS (
      SELECT pg_notify(${ENDPOINT_CHANNEL}, id) FROM gone
    )
    SELECT EXISTS (SELECT 1 FROM gone) AS deleted, (SELECT n FROM using_alarms) AS using, (SELECT count(*) FROM told) AS told`.execute(db);
  const { deleted, using } = result.rows[0]!;
  if (deleted) return { kind: 'deleted' };
  if (Number(using) > 0 && (await getEndpoint(db, owner, id))) return { kind: 'in_use', alarms: Number(using) };
  return { kind: 'missing' };
}

/** True when `owner` has an endpoint `id`. */
export async function endpointExists(db: Kysely<Schema>, owner: string, id: string): Promise<boolean> {
  return (await db.selectFrom('endpoints').select('id').where('id', '=', id).where('owner', '=', owner).executeTakeFirst()) !== undefined;
}

/** An endpoint as the deliverer needs it, with the secrets that sign now (the previous one while its grace lasts). */
export interface DeliveryEndpoint {
  readonly url: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly headers: Record<string, string>;
  readonly body: 'wake' | 'payload';
  readonly secrets: readonly string[];
  /** When the previous secret stops signing, if one does. */
  readonly graceUntil: Date | null;
}

/** The owner's endpoint `id` for delivery, or undefined. */
export async function endpointForDelivery(db: Kysely<Schema>, owner: string, id: string): Promise<DeliveryEndpoint | undefined> {
  const row = await db
    .selectFrom('endpoints')
    .select(['url', 'method', 'headers', 'body', 'secret', 'previous_secret', 'previous_secret_until', sql<boolean>`previous_secret_until > now()`.as('in_grace')])
    .where('id', '=', id)
    .where('owner', '=', owner)
    .executeTakeFirst();
  if (!row) return undefined;
  const previous = row.in_grace && row.previous_secret ? [row.previous_secret] : [];
  return { url: row.url, method: row.method, headers: row.headers, body: row.body, secrets: [row.secret, ...previous], graceUntil: row.in_grace ? row.previous_secret_until : null };
}

/** `value` as jsonb, sent as its JSON text (a parameter typed jsonb would encode a JS string once more). */
function jsonb(value: unknown) {
  return sql<string>`${JSON.stringify(value)}::text::jsonb`;
}

async function announced(db: Kysely<Schema>, change: Promise<EndpointRow | undefined>): Promise<EndpointRow | undefined> {
  const row = await change;
  if (row) await sql`SELECT pg_notify(${ENDPOINT_CHANNEL}, ${row.id})`.execute(db);
  return row;
}
