/**
 * Set-up SQL for benchmarks and dispatch tests: due once alarms in bulk,
 * without the API's validation, and a NOTIFY that wakes sleeping
 * dispatchers. Not product code: chronosd never runs these.
 */
import { sql, type Kysely } from 'kysely';
import { DUE_CHANNEL } from '../src/store/claims.js';
import type { Schema } from '../src/store/schema.js';

/** The alarms columns bulkInsertOnceAlarms writes (the same code seeds a `--baseline` chronosd, whose schema must have them). */
export const SEEDED_COLUMNS = ['id', 'owner', 'kind', 'at', 'wake_message', 'next_fire_at', 'occurrence_at', 'fire_id'] as const;

/**
 * Inserts once alarms of `owner` due at `ats`, 1,000 rows a statement;
 * returns their ids in order. With `target` (as its JSON text), they wake
 * there instead of the router.
 */
export async function bulkInsertOnceAlarms(
  db: Kysely<Schema>,
  owner: string,
  ats: readonly Date[],
  ids: () => string,
  fireIdFor: (id: string, at: Date) => string,
  target?: string,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < ats.length; i += 1_000) {
    const rows = ats.slice(i, i + 1_000).map((at) => {
      const id = ids();
      out.push(id);
      // `satisfies`: a column added here and not to SEEDED_COLUMNS (or the other way round) fails the typecheck.
      const row = { id, owner, kind: 'once' as const, at, wake_message: 'bench', next_fire_at: at, occurrence_at: at, fire_id: fireIdFor(id, at) } satisfies Record<(typeof SEEDED_COLUMNS)[number], unknown>;
      return target === undefined ? row : { ...row, target: sql<string>`${target}::text::jsonb` };
    });
    await db.insertInto('alarms').values(rows).execute();
  }
  return out;
}

/** A webhook endpoint of `owner` at `url` (the bench's router stub), for the webhook target; returns its id. */
export async function insertBenchEndpoint(db: Kysely<Schema>, owner: string, url: string): Promise<string> {
  const id = 'ep_benchbenchbenchbench';
  await db.insertInto('endpoints').values({ id, owner, url, description: 'bench', method: 'POST', headers: sql<string>`'{}'::jsonb`, body: 'wake', secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` }).execute();
  return id;
}

/** The SEEDED_COLUMNS that the database's alarms table lacks. */
export async function missingSeededColumns(db: Kysely<Schema>): Promise<string[]> {
  const { rows } = await sql<{ column_name: string }>`
    SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'alarms'`.execute(db);
  const present = new Set(rows.map((r) => r.column_name));
  return SEEDED_COLUMNS.filter((c) => !present.has(c));
}

/** Wakes every dispatcher that sleeps past `dueAt`. */
export async function notifyDue(db: Kysely<Schema>, dueAt: Date): Promise<void> {
  await sql`SELECT pg_notify(${DUE_CHANNEL}, ${String(dueAt.getTime())})`.execute(db);
}
