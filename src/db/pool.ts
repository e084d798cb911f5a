/** The one postgres.js client per process, and the Kysely instance that shares it. */
import { Kysely } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
import type { Logger } from 'pino';
import type { Schema } from '../store/schema.js';
import { deadlineClient, type PoolUsage } from './deadline-client.js';

const JSON_OID = 114;
// Fail a connect attempt within 5 s so /healthz answers while the server is unreachable.
const CONNECT_TIMEOUT_S = 5;

/** A connected pool: raw postgres.js for LISTEN and migrations, Kysely for queries (held to the current deadline, see deadline.ts). */
export interface Database {
  readonly sql: postgres.Sql;
  readonly db: Kysely<Schema>;
  /** How many of the pool's connections Kysely's queries hold and wait for (see PoolUsage). */
  usage(): PoolUsage;
  /** Ends every connection, waiting up to `timeoutS` seconds for queries in flight. */
  close(timeoutS?: number): Promise<void>;
}

/** Opens a lazily connecting pool of `max` connections; `settings` are run-time parameters set on each connection. */
export function openDatabase(url: string, max: number, log: Logger, settings: Record<string, string> = {}): Database {
  const sql = postgres(url, {
    max,
    connect_timeout: CONNECT_TIMEOUT_S,
    idle_timeout: 60,
    onnotice: (notice) => log.debug({ notice: notice.message }, 'postgres notice'),
    connection: { application_name: 'chronosd', ...settings },
    // json columns (the payload) come back as their text, byte for byte (SPEC 6.3); jsonb is still parsed.
    types: { jsonText: { to: JSON_OID, from: [JSON_OID], serialize: (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)), parse: (text: string) => text } },
  });
  const { client, usage } = deadlineClient(sql, max);
  const db = new Kysely<Schema>({ dialect: new PostgresJSDialect({ postgres: client }) });
  return {
    sql,
    db,
    usage,
    close: async (timeoutS = 5) => {
      await sql.end({ timeout: timeoutS });
    },
  };
}

/**
 * Opens one connection to `url` and closes it again: resolves once the server
 * accepted the URL's role, password and database. A client of its own, so the
 * pool's reconnect backoff (which grows to 20 s) never stretches a caller's retries.
 */
export async function probeDatabase(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {}, connection: { application_name: 'chronosd' } });
  try {
    const conn = await sql.reserve();
    conn.release();
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Creates database `name` on the server behind `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (rows.length === 0) await sql`CREATE DATABASE ${sql(name)}`;
  } catch (err) {
    // duplicate_database: another process created it first
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
