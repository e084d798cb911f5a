/** The opaque list cursor: the (time, id) of the last row of a page. */

/** A position in a newest-first listing: the last row seen. */
export interface ListCursor {
  readonly at: Date;
  readonly id: string;
}

// PostgreSQL's timestamptz ends in the year 294276, JavaScript's Date sooner; no row of ours is dated past 9999.
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

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
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > LAST_MS) return undefined;
    if (typeof id !== 'string' || id.length > 64 || !/^[a-z]{3}_[A-Za-z0-9_-]+$/.test(id)) return undefined;
    return { at: new Date(ms), id };
  } catch {
    return undefined;
  }
}
