/**
 * Applies the numbered SQL files in migrations/ under an advisory lock, each in
 * its own transaction, recording name and checksum in chronos_schema_migrations.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type postgres from 'postgres';

/** migrations/ beside src/ (tsx) or dist/ (compiled): both sit one level below the package root. */
export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

// Any fixed 64-bit number; chosen once and never changed so all versions of chronosd agree.
const MIGRATION_LOCK_KEY = 7_303_512_891_027n;

/** A refused migration run: a changed or unknown migration. The message says what to do. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** One SQL file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** Reads `NNN_name.sql` files in version order. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Set<number>();
  return files.map((name) => {
    const m = /^(\d+)_[a-z0-9_]+\.sql$/.exec(name);
    if (!m) throw new MigrationError(`${join(dir, name)}: migration files are named NNN_description.sql`);
    const version = Number(m[1]);
    if (seen.has(version)) throw new MigrationError(`${join(dir, name)}: version ${version} is used twice`);
    seen.add(version);
    const sql = readFileSync(join(dir, name), 'utf8');
    return { version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

/** Applies pending migrations; returns the names applied now. Safe to run from many replicas at once. */
export async function migrate(sql: postgres.Sql, log: Logger, migrations: readonly Migration[] = readMigrations()): Promise<string[]> {
  const conn = await sql.reserve();
  try {
    await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    try {
      // Only when missing: even IF NOT EXISTS needs CREATE on the schema, which a runtime role without it lacks.
      const [ledger] = await conn<{ present: boolean }[]>`SELECT to_regclass('chronos_schema_migrations') IS NOT NULL AS present`;
      if (!ledger?.present) await conn`
        CREATE TABLE chronos_schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`;
      const applied = await conn<{ version: number; name: string; checksum: string }[]>`
        SELECT version, name, checksum FROM chronos_schema_migrations ORDER BY version`;
      const known = new Map(migrations.map((m) => [m.version, m]));
      for (const row of applied) {
        const file = known.get(row.version);
        if (!file) {
          throw new MigrationError(`the database has migration ${row.name}, which this chronosd does not know: run a chronosd at least as new as the one that applied it`);
        }
        if (file.checksum !== row.checksum) {
          throw new MigrationError(`migration ${file.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk): applied migrations must never change; add a new one instead`);
        }
      }
      const done = new Set(applied.map((r) => r.version));
      const names: string[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        // The lock is held by this session, so the transaction runs on the same reserved connection.
        await conn`BEGIN`;
        try {
          await conn.unsafe(m.sql);
          await conn`INSERT INTO chronos_schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`;
          await conn`COMMIT`;
        } catch (err) {
          await conn`ROLLBACK`;
          throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        log.info({ migration: m.name }, 'migration applied');
        names.push(m.name);
      }
      return names;
    } finally {
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    }
  } finally {
    conn.release();
  }
}
