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
    if (typeof id !== 'string' || id.length > 64 || !/^[a-z]{3}_[A-Za-z0-9_-]+$/.test(id)) return undefined;
    return { at: new Date(ms), id };
  } catch {
    return undefined;
  }
}
