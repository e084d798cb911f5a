/** The database probe behind /healthz. */
import { sql, type Kysely } from 'kysely';
import { withDeadline } from '../db/deadline.js';
import type { Schema } from './schema.js';

/** Resolves when the database answers a trivial query within `timeoutMs`; rejects otherwise, leaving no query behind. */
export async function pingDatabase(db: Kysely<Schema>, timeoutMs: number): Promise<void> {
  await withDeadline(timeoutMs, () => sql`SELECT 1`.execute(db));
}
