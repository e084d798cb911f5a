/** SQL for the rate limits every replica shares: one GCRA state per key (migration 013). */
import { sql, type Kysely } from 'kysely';
import type { Rate } from '../config/units.js';
import type { Schema } from './schema.js';

/** One request's answer: admitted, or refused with the milliseconds until a request of its key would be admitted. */
export type RateDecision = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterMs: number };

/**
 * Takes one request's turn for each of `keys` (a key may repeat) at `rate`,
 * by the database clock, in one statement; the answers are in the order of
 * `keys`, and of a key's requests the first ones are admitted.
 */
export async function takeRateTurns(db: Kysely<Schema>, keys: readonly string[], rate: Rate): Promise<RateDecision[]> {
  const { rows } = await sql<{ item: number; retry_after_ms: number | null }>`
    SELECT item, retry_after_ms FROM chronos_take_rate(${[...keys]}::text[], ${1000 / rate.perSecond}::double precision, ${rate.burst}::integer)`.execute(db);
  const decisions = new Array<RateDecision>(keys.length);
  for (const row of rows) decisions[row.item - 1] = row.retry_after_ms === null ? { admitted: true } : { admitted: false, retryAfterMs: row.retry_after_ms };
  return decisions;
}

/** Deletes up to `limit` keys whose theoretical arrival time is past (full buckets); returns how many. Rows a decision holds are skipped. */
export async function pruneRateLimits(db: Kysely<Schema>, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('rate_limits')
    .where('key', 'in', (qb) => qb.selectFrom('rate_limits').select('key').where('tat', '<', sql<Date>`now()`).limit(limit).forUpdate().skipLocked())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
