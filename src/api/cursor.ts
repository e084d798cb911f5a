/** The opaque list cursor: the (time, id) of the last row of a page. */
import { LAST_INSTANT_MS } from '../schedule/time.js';

/** A position in a newest-first listing: the last row seen. */
export interface ListCursor {
  readonly at: Date;
  readonly id: string;
}


/** An opaque cursor naming the last row of a page. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.getTime(), id])).toString('base64url');
}

/** Reads a cursor made by {@link encodeCursor}; undefined when it is not one. */
export function decodeCursor(text: string): ListCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [ms, id] = value as unknown[];
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > LAST_INSTANT_MS) return undefined;
    if (typeof id !== 'string' || id.length > 64 || !/^[a-z]{2,3}_[A-Za-z0-9_-]+$/.test(id)) return undefined;
    return { at: new Date(ms), id };
  } catch {
    return undefined;
  }
}

/** One page of a list, newest first. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** Which page: at most `limit`, after `cursor`. */
export interface PageQuery {
  readonly limit?: number | undefined;
  readonly cursor?: ListCursor | undefined;
}

/** The page of `rows` (fetched `limit + 1`), with the cursor of the next one; `key` is a row's (time, id). */
export function page<T>(rows: T[], limit: number, key: (row: T) => [Date, string]): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const [at, id] = key(rows[limit - 1]!);
  return { items: rows.slice(0, limit), nextCursor: encodeCursor(at, id) };
}
