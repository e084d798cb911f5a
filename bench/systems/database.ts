/** A fresh database per system on the bench's one PostgreSQL server. */
import postgres from 'postgres';

/** Drops and creates database `name` on the server at `serverUrl`; returns its URL. */
export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
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
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe('VACUUM (ANALYZE)');
  } finally {
    await sql.end();
  }
}
