/** A fresh database per test file, cloned from the migrated template that tests/run.ts prepares. */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { pino } from 'pino';
import { openDatabase, type Database } from '../../src/db/pool.js';

/** The migrated template every test database is cloned from. */
export const TEMPLATE_DB = 'chronos_template';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The maintenance-database URL of the run's server. */
export function adminUrl(): string {
  const url = process.env.CHRONOS_TEST_ADMIN_URL;
  if (!url) throw new Error('CHRONOS_TEST_ADMIN_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  return url;
}

/** Creates a database (migrated unless `empty`), dropped when the test ends; returns its URL. */
export async function freshDatabaseUrl(t: Teardown, options: { empty?: boolean } = {}): Promise<string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    if (options.empty) await admin`CREATE DATABASE ${admin(name)}`;
    else await admin`CREATE DATABASE ${admin(name)} TEMPLATE ${admin(TEMPLATE_DB)}`;
  } finally {
    await admin.end();
  }
  t.teardown(async () => {
    const sql = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
    await sql.end();
  });
  return adminUrl().replace(/\/postgres$/, `/${name}`);
}

/** A pool on a fresh database, closed when the test ends. */
export async function freshDatabase(t: Teardown, options: { empty?: boolean } = {}): Promise<Database & { url: string }> {
  const url = await freshDatabaseUrl(t, options);
  const database = openDatabase(url, 4, pino({ level: 'silent' }));
  t.teardown(() => database.close());
  return Object.assign(database, { url });
}
