/** SQL for the rate limits every replica shares: one GCRA state per key (migration 013). */
import { sql, type Kysely } from 'kysely';
import type { Rate } from '../config/units.js';
import type { Schema } from './schema.js';

/** One request's answer: admitted, or refused with the milliseconds until a request of its key would be admitted. */
export type RateDecision = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterMs: number };

/**
 * Takes one request's turn for each of `keys` (a key may repeat) at `rate`,
 * by the database clock, in one statement; the answers are in the order of
 * `keys`, and of a key's requests the first ones that fit are admitted.
 *
 * GCRA: with T = 1/rate, a request is admitted while tat - now() <=
 * (burst - 1) * T, and each admission moves tat to greatest(tat, now()) + T;
 * so of n requests at once, floor(((burst - 1) * T - (greatest(tat, now()) -
 * now())) / T) + 1 fit, at most n. The upsert locks each key's row (keys in
 * order, so two batches never deadlock) and computes from its latest tat:
 * replicas deciding one key at once take turns, none counts from a stale
 * state. Times in whole microseconds, so a request exactly at the tolerance
 * is admitted.
 */
export async function takeRateTurns(db: Kysely<Schema>, keys: readonly string[], rate: Rate): Promise<RateDecision[]> {
  // At least a microsecond: a rate over 1,000,000/s per key is held at that.
  const emissionUs = Math.max(1, Math.round(1_000_000 / rate.perSecond));
  const toleranceUs = emissionUs * (rate.burst - 1);
  const emission = sql`${emissionUs}::double precision * interval '1 microsecond'`;
  // How many of the key's requests fit (excluded.admitted: how many asked, at most a burst), from its latest row.
  const fit = sql`least(excluded.admitted, greatest(0, floor((${toleranceUs}::double precision - extract(epoch FROM greatest(l.tat, now()) - now()) * 1000000) / ${emissionUs}::double precision) + 1))::integer`;
  const { rows } = await sql<{ item: number; retry_after_ms: number | null }>`
    WITH req AS (
      SELECT r.k, r.i::integer AS i, (row_number() OVER (PARTITION BY r.k ORDER BY r.i) - 1)::integer AS ahead
      FROM unnest(${[...keys]}::text[]) WITH ORDINALITY AS r(k, i)
    ), decided AS (
      -- A new key is a full bucket: the first of its requests, up to a burst, are admitted.
      INSERT INTO rate_limits AS l (key, tat, admitted)
      SELECT k, now() + n * ${emission}, n FROM (SELECT k, least(count(*), ${rate.burst}::integer)::integer AS n FROM req GROUP BY k) asked ORDER BY k
      ON CONFLICT (key) DO UPDATE SET admitted = ${fit}, tat = greatest(l.tat, now()) + ${fit} * ${emission}
      RETURNING l.key, l.tat, l.admitted
    )
    SELECT req.i AS item, CASE WHEN req.ahead < d.admitted THEN NULL ELSE extract(epoch FROM d.tat - now())::double precision * 1000 - ${toleranceUs / 1000}::double precision END AS retry_after_ms
    FROM req JOIN decided d ON d.key = req.k
    ORDER BY req.i`.execute(db);
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
