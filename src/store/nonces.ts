/** SQL for DID challenges: one row per outstanding nonce, consumed atomically. */
import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** Stores a nonce valid for `ttlMs` by the database clock; returns its expiry (whole milliseconds). */
export async function insertNonce(db: Kysely<Schema>, nonce: string, did: string, ttlMs: number): Promise<Date> {
  const row = await db
    .insertInto('auth_nonces')
    .values({ nonce, did, expires_at: sql<Date>`date_trunc('milliseconds', now() + ${ttlMs} * interval '1 millisecond')` })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return row.expires_at;
}

/**
 * Deletes the nonce issued to `did` and returns its expiry and whether it is
 * still valid; undefined when there is no such nonce (unknown, used, or
 * another DID's). Single use across replicas: only one DELETE can return it.
 */
export async function consumeNonce(db: Kysely<Schema>, nonce: string, did: string): Promise<{ expiresAt: Date; valid: boolean } | undefined> {
  const row = await db
    .deleteFrom('auth_nonces')
    .where('nonce', '=', nonce)
    .where('did', '=', did)
    .returning(['expires_at', sql<boolean>`expires_at > now()`.as('valid')])
    .executeTakeFirst();
  return row ? { expiresAt: row.expires_at, valid: row.valid } : undefined;
}

/** Deletes up to `limit` expired nonces; returns how many. */
export async function deleteExpiredNonces(db: Kysely<Schema>, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('auth_nonces')
    .where('nonce', 'in', (qb) => qb.selectFrom('auth_nonces').select('nonce').where('expires_at', '<=', sql<Date>`now()`).limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
