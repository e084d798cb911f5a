import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { migrate, MigrationError, readMigrations, type Migration } from '../../src/db/migrate.js';
import { freshDatabase } from '../helpers/db.js';

const log = pino({ level: 'silent' });

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'chronos-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

t.test('applies the shipped migrations once, recording name and checksum', async (t) => {
  const { sql } = await freshDatabase(t, { empty: true });
  const shipped = readMigrations();
  t.same(await migrate(sql, log), shipped.map((m) => m.name));
  t.same(await migrate(sql, log), [], 'a second run applies nothing');
  const ledger = await sql<{ version: number; name: string; checksum: string }[]>`SELECT version, name, checksum FROM chronos_schema_migrations ORDER BY version`;
  t.same(
    ledger.map((r) => ({ ...r })),
    shipped.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })),
  );
  const tables = await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
  t.same(tables.map((r) => r.tablename), ['alarm_owners', 'alarms', 'audit_log', 'auth_nonces', 'chronos_schema_migrations', 'endpoints', 'fires', 'lateness_samples', 'owners', 'rate_limits', 'replicas', 'stream_listeners']);
  const payloadType = await sql`SELECT data_type FROM information_schema.columns WHERE table_name = 'alarms' AND column_name = 'payload'`;
  t.equal(payloadType[0]?.data_type, 'json', 'payload is json text, not jsonb');
});

t.test('a changed migration stops the run with a clear error', async (t) => {
  const { sql } = await freshDatabase(t, { empty: true });
  const v1 = readMigrations(migrationsDir({ '001_a.sql': 'CREATE TABLE a (x int);' }));
  await migrate(sql, log, v1);
  const edited = readMigrations(migrationsDir({ '001_a.sql': 'CREATE TABLE a (x bigint);' }));
  await t.rejects(migrate(sql, log, edited), { name: 'MigrationError', message: /^migration 001_a\.sql was changed after it was applied \(checksum [0-9a-f]{12} in the database, [0-9a-f]{12} on disk\)/ });
});

t.test('a database newer than this chronosd is refused', async (t) => {
  const { sql } = await freshDatabase(t, { empty: true });
  await migrate(sql, log, readMigrations(migrationsDir({ '001_a.sql': 'SELECT 1;', '002_b.sql': 'SELECT 2;' })));
  await t.rejects(migrate(sql, log, readMigrations(migrationsDir({ '001_a.sql': 'SELECT 1;' }))), { message: /has migration 002_b\.sql, which this chronosd does not know/ });
});

t.test('a failing migration rolls back and names the file', async (t) => {
  const { sql } = await freshDatabase(t, { empty: true });
  const list = readMigrations(migrationsDir({ '001_a.sql': 'CREATE TABLE a (x int);', '002_b.sql': 'CREATE TABLE b (y int); SELECT no_such_function();' }));
  await t.rejects(migrate(sql, log, list), { name: 'MigrationError', message: /^migration 002_b\.sql failed: .*no_such_function/ });
  const ledger = await sql`SELECT name FROM chronos_schema_migrations`;
  t.same(ledger.map((r) => r.name), ['001_a.sql']);
  const b = await sql`SELECT to_regclass('b') AS b`;
  t.equal(b[0]?.b, null, 'table b was rolled back');
});

t.test('concurrent runners apply each migration exactly once', async (t) => {
  const { sql } = await freshDatabase(t, { empty: true });
  const list: Migration[] = readMigrations(migrationsDir({ '001_a.sql': 'CREATE TABLE a (x int);', '002_b.sql': 'INSERT INTO a VALUES (1);' }));
  const results = await Promise.all([migrate(sql, log, list), migrate(sql, log, list), migrate(sql, log, list)]);
  t.same(results.flat().sort(), ['001_a.sql', '002_b.sql']);
  const rows = await sql`SELECT count(*)::int AS n FROM a`;
  t.equal(rows[0]?.n, 1, 'the data migration ran once');
});

t.test('file names are checked', async (t) => {
  t.throws(() => readMigrations(migrationsDir({ 'init.sql': '' })), MigrationError);
  t.throws(() => readMigrations(migrationsDir({ '001_a.sql': '', '001_b.sql': '' })), { message: /version 1 is used twice/ });
});
