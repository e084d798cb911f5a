/** A fresh database per system on the bench's one PostgreSQL server. */
import postgres from 'postgres';

/** Runs `statements` one after another on one connection to `url`, then closes it. */
export async function runOn(url: string, ...statements: string[]): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const statement of statements) await sql.unsafe(statement);
  } finally {
    await sql.end();
  }
}

/** Drops and creates database `name` on the server at `serverUrl`; returns its URL. */
export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  await runOn(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Vacuums and analyzes the database at `url`, as autovacuum would have done
 * long since on a table that grew to its size over time: a bulk-loaded
 * backlog otherwise gets its first vacuum and analyze while being measured.
 */
export async function settleDatabase(url: string): Promise<void> {
  await runOn(url, 'VACUUM (ANALYZE)');
}
