/**
 * SQL of stream presence (SPEC 8.3, migration 009): who listens on
 * GET /v1/stream, on which replica, for which tags. Every replica reads the
 * same rows, so the claim (claims.ts) can hand a stream alarm to the replica
 * its owner is connected to.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DUE_CHANNEL } from './claims.js';
import type { Schema } from './schema.js';

/**
 * A listener row whose seen_at is older than this belongs to a replica that
 * stopped refreshing it (it died, or lost the database): it is ignored by the
 * claim and the cap, and swept. Replicas refresh theirs well within it
 * (stream/presence.ts).
 */
export const PRESENCE_WINDOW_MS = 30_000;

// Admissions of one owner queue on this lock (alarm creates use seed 0, endpoint creates 8).
const ADMIT_LOCK_SEED = 9;

/** One WebSocket as its row describes it. */
export interface ListenerRow {
  /** The connection's id. */
  readonly id: string;
  readonly owner: string;
  /** Only alarms carrying one of these tags; null: all of the owner's. */
  readonly tags: readonly string[] | null;
}

const live = (alias: string) => sql`${sql.ref(`${alias}.seen_at`)} > now() - ${PRESENCE_WINDOW_MS} * interval '1 millisecond'`;

/**
 * Inserts the row of a connection `replica` is about to accept, unless its
 * owner already has `max` live connections on any replica; true when
 * inserted. The count and the insert run under an advisory lock on the
 * owner, so two replicas admitting at once cannot both pass the cap.
 */
export async function admitListener(db: Kysely<Schema>, replica: string, listener: ListenerRow, max: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${listener.owner}, ${ADMIT_LOCK_SEED}))`.execute(trx);
    // A statement after the lock: its snapshot sees every admission that committed before the lock was granted.
    const { rows } = await sql<{ id: string }>`
      INSERT INTO stream_listeners (id, replica, owner, tags)
      SELECT ${listener.id}, ${replica}, ${listener.owner}, ${listener.tags === null ? null : [...listener.tags]}::text[]
      WHERE (SELECT count(*) FROM stream_listeners l WHERE l.owner = ${listener.owner} AND ${live('l')}) < ${max}
      RETURNING id`.execute(trx);
    return rows.length === 1;
  });
}

/**
 * Marks the admitted connection `id` as connected (its handshake is done):
 * from now on the claim counts it as a listener. Announces it on the due
 * channel, so that dispatchers sleeping through a poll interval claim the
 * owner's due stream alarms at once. False when its row is gone (swept).
 */
export async function markConnected(db: Kysely<Schema>, id: string): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    WITH connected AS (
      UPDATE stream_listeners SET connected_at = now(), seen_at = now() WHERE id = ${id} RETURNING id
    )
    SELECT id, pg_notify(${DUE_CHANNEL}, floor(extract(epoch FROM now()) * 1000)::bigint::text) FROM connected`.execute(db);
  return rows.length === 1;
}

/** Deletes the rows of connections that closed (or were never accepted). */
export async function removeListeners(db: Kysely<Schema>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`DELETE FROM stream_listeners WHERE id = ANY (${[...ids]}::text[])`.execute(db);
}

/**
 * The heartbeat of `replica`: refreshes the rows of its open connections
 * (writing back any that a sweep removed while this replica could not reach
 * the database), and sweeps the rows no replica refreshed within the
 * presence window. Returns how many it swept.
 */
export async function refreshListeners(db: Kysely<Schema>, replica: string, listeners: readonly ListenerRow[]): Promise<number> {
  const items = JSON.stringify(listeners.map((l) => ({ id: l.id, owner: l.owner, tags: l.tags })));
  // One json parameter whatever the count (::text first, or postgres.js JSON-encodes the string again).
  const { rows } = await sql<{ swept: string }>`
    WITH items AS (
      SELECT * FROM json_to_recordset(${items}::text::json) AS i(id text, owner text, tags text[])
    ), refreshed AS (
      INSERT INTO stream_listeners AS s (id, replica, owner, tags, connected_at, seen_at)
      SELECT id, ${replica}, owner, tags, now(), now() FROM items
      ON CONFLICT (id) DO UPDATE SET seen_at = now()
    ), swept AS (
      -- Not a row refreshed above: one statement may not both update and delete a row.
      DELETE FROM stream_listeners s WHERE NOT ${live('s')} AND s.id NOT IN (SELECT id FROM items) RETURNING 1
    )
    SELECT count(*) AS swept FROM swept`.execute(db);
  return Number(rows[0]?.swept ?? 0);
}

/**
 * The claim's condition on the `alarms` row under test (claims.ts): an
 * alarm of another target passes without reading a listener row; a stream
 * alarm passes when `replica` holds a live connection of its owner that its
 * tags match, or when no replica holds one (it is claimed so that its attempt
 * fails as `no stream listener` along the ladder). A stream alarm whose
 * listener is on another replica is left to that replica.
 */
export function streamClaimable(replica: string): RawBuilder<boolean> {
  // Evaluated left to right: the subquery runs for stream rows alone, never on the router's hot path.
  return sql<boolean>`(alarms.target->>'type' <> 'stream' OR (
    SELECT bool_or(l.replica = ${replica}) FROM stream_listeners l
    WHERE l.owner = alarms.owner AND l.connected_at IS NOT NULL AND ${live('l')} AND (l.tags IS NULL OR l.tags && alarms.tags)
  ) IS NOT FALSE)`;
}
