/** SQL for the fire ledger: the search of an owner's history, and retention. */
import { sql, type Kysely } from 'kysely';
import type { ListCursor } from '../api/cursor.js';
import type { FireRow } from './alarms.js';
import type { Schema } from './schema.js';

/** Deletes up to `limit` attempts that started more than `retentionMs` ago; returns how many. */
export async function pruneFires(db: Kysely<Schema>, retentionMs: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('fires')
    .where('id', 'in', (qb) =>
      qb
        .selectFrom('fires')
        .select('id')
        .where('started_at', '<', sql<Date>`now() - ${retentionMs} * interval '1 millisecond'`)
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** What {@link searchFires} narrows an owner's history to; every member optional but the page size. */
export interface FireSearch {
  readonly alarmId?: string | undefined;
  readonly tag?: string | undefined;
  readonly outcome?: FireRow['outcome'] | undefined;
  /** started_at at or after. */
  readonly since?: Date | undefined;
  /** started_at before. */
  readonly until?: Date | undefined;
  /** The last row of the previous page. */
  readonly after?: ListCursor | undefined;
  readonly limit: number;
}

/**
 * Up to `limit + 1` attempts of `owner`'s alarms, newest first (started_at,
 * id). The ledger has no owner column, so the search starts from the
 * owner's alarms (alarms_owner) and takes the newest `limit + 1` matching
 * attempts of each from fires_alarm (alarm_id, started_at DESC, id DESC),
 * reading only the index for their keys; the page is the newest of those,
 * then fetched whole. Its cost is bounded by the owner's own alarms, never
 * by how much history other owners have: a plain join ordered by started_at
 * may walk fires_started through every owner's attempts instead.
 */
export async function searchFires(db: Kysely<Schema>, owner: string, s: FireSearch): Promise<FireRow[]> {
  let keys = db
    .selectFrom('alarms')
    .innerJoinLateral(
      (eb) => {
        let newest = eb.selectFrom('fires').select(['fires.started_at', 'fires.id']).whereRef('fires.alarm_id', '=', 'alarms.id');
        if (s.outcome !== undefined) newest = newest.where('fires.outcome', '=', s.outcome);
        if (s.since) newest = newest.where('fires.started_at', '>=', s.since);
        if (s.until) newest = newest.where('fires.started_at', '<', s.until);
        if (s.after) newest = newest.where(sql<boolean>`(fires.started_at, fires.id) < (${s.after.at}, ${s.after.id})`);
        return newest.orderBy('fires.started_at', 'desc').orderBy('fires.id', 'desc').limit(s.limit + 1).as('f');
      },
      (join) => join.onTrue(),
    )
    .select(['f.started_at', 'f.id'])
    .where('alarms.owner', '=', owner);
  if (s.alarmId !== undefined) keys = keys.where('alarms.id', '=', s.alarmId);
  if (s.tag !== undefined) keys = keys.where(sql<boolean>`alarms.tags @> ARRAY[${s.tag}]::text[]`);
  const page = keys.orderBy('f.started_at', 'desc').orderBy('f.id', 'desc').limit(s.limit + 1);
  return db
    .with('page', () => page)
    .selectFrom('page')
    .innerJoin('fires', 'fires.id', 'page.id')
    .selectAll('fires')
    .orderBy('fires.started_at', 'desc')
    .orderBy('fires.id', 'desc')
    .execute();
}
