/** SQL for the fire ledger's retention. */
import { sql, type Kysely } from 'kysely';
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
