/**
 * Set-up SQL for benchmarks and dispatch tests: due once alarms in bulk,
 * without the API's validation, and a NOTIFY that wakes sleeping
 * dispatchers. Not product code: chronosd never runs these.
 */
import { sql, type Kysely } from 'kysely';
import { DUE_CHANNEL } from '../src/store/claims.js';
import type { Schema } from '../src/store/schema.js';

/** Inserts once alarms of `owner` due at `ats`, 1,000 rows a statement; returns their ids in order. */
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

/** Wakes every dispatcher that sleeps past `dueAt`. */
export async function notifyDue(db: Kysely<Schema>, dueAt: Date): Promise<void> {
  await sql`SELECT pg_notify(${DUE_CHANNEL}, ${String(dueAt.getTime())})`.execute(db);
}
