/** Field schemas shared by the API's requests and views: stored text, instants, page parameters. */
import { z } from 'zod';
import { parseInstant } from '../schedule/time.js';
import { decodeCursor } from './cursor.js';

/**
 * Problems with a string PostgreSQL stores as text: NUL cannot be stored,
 * and a lone surrogate cannot be encoded as UTF-8.
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (!value.isWellFormed()) return 'must not contain unpaired surrogates';
  return undefined;
}

/** Length in Unicode code points, as JSON Schema's maxLength counts. */
export function codePoints(s: string): number {
  return [...s].length;
}

/** What a stored text field accepts, and what it says when it does not. */
export interface TextRule {
  readonly min?: number;
  /** Most code points. */
  readonly max?: number;
  /** Most bytes of UTF-8: over it is a size problem (413), not a form problem. */
  readonly maxBytes?: number;
  /** The message for a wrong type or a length out of range. */
  readonly message: string;
  /** The message for a length over `max`, when it differs. */
  readonly tooLong?: string;
  /** The message when the field is missing (required fields). */
  readonly missing?: string;
}

/** The issue parameter that marks a size problem. */
export const TOO_LARGE = { tooLarge: true } as const;

/** A string stored as text: no NUL, no lone surrogate, `min..max` code points, at most `maxBytes`. */
export function storedText(rule: TextRule) {
  const min = rule.min ?? 0;
  const max = rule.max ?? Infinity;
  return z
    .string({ error: (issue) => (issue.input === undefined && rule.missing ? rule.missing : rule.message) })
    .superRefine((value, ctx) => {
      const bad = textProblem(value);
      const length = codePoints(value);
      if (bad) ctx.addIssue({ code: 'custom', message: bad });
      else if (length < min) ctx.addIssue({ code: 'custom', message: rule.message });
      else if (length > max) ctx.addIssue({ code: 'custom', message: rule.tooLong ?? rule.message });
      if (rule.maxBytes !== undefined && Buffer.byteLength(value) > rule.maxBytes) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${rule.maxBytes} bytes of UTF-8`, params: TOO_LARGE });
      }
    })
    .meta({ ...(min > 0 ? { minLength: min } : {}), ...(max < Infinity ? { maxLength: max } : {}) });
}

/** A request body: a JSON object of exactly these members. */
export function bodyObject<S extends z.core.$ZodLooseShape>(shape: S) {
  // Only the wrong type gets our words; an unknown member keeps zod's, which names it.
  return z.strictObject(shape, { error: (issue) => (issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined) });
}

/** An RFC 3339 instant as the API writes it (UTC, milliseconds). */
export const Timestamp = z.string().meta({ format: 'date-time', examples: ['2026-11-23T12:00:00.000Z'] });

/** The `limit` of a page: a whole number from 1 to 200 (a query string's digits, or a JSON number). */
export const PageLimit = z
  .preprocess((v) => (typeof v === 'string' && /^\d{1,3}$/.test(v) ? Number(v) : v), z.number({ error: 'must be a whole number from 1 to 200' }).int().min(1).max(200))
  .describe('At most this many (1..200, default 50).');

/** The `cursor` of a page: `next_cursor` of the previous page, as it came. */
export const PageCursor = z.string().describe('next_cursor of the previous page, passed back as it came.');

/** A page of a list, newest first (SPEC 4.2). */
export const NextCursor = z.string().nullable().describe('Pass as cursor for the next page; null on the last page.');

/** A `cursor` parameter, decoded: refused when it is not one this API gave out. */
export const DecodedCursor = PageCursor.transform((text, ctx) => {
  const cursor = decodeCursor(text);
  if (cursor) return cursor;
  ctx.addIssue({ code: 'custom', message: 'is not a cursor from this API: pass next_cursor as it came' });
  return z.NEVER;
});

/** The query of a plain page: `limit` and `cursor`. */
export const PageQuery = z.strictObject({ limit: PageLimit.optional(), cursor: DecodedCursor.optional() });

/** An RFC 3339 instant with an offset in a query string, as a Date. */
export function queryInstant(doc: string) {
  return z
    .string()
    .transform((text, ctx) => {
      const at = parseInstant(text);
      if (at) return at;
      // A "+" left unencoded in a query string arrives as a space.
      const plus = / \d{2}:\d{2}$/.test(text) && parseInstant(text.replace(/ (\d{2}:\d{2})$/, '+$1'));
      ctx.addIssue({ code: 'custom', message: plus ? 'has a space before its offset: write the + of "+01:00" as %2B in a query string' : 'must be an RFC 3339 time with an offset, like "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00+01:00"' });
      return z.NEVER;
    })
    .meta({ format: 'date-time' })
    .describe(doc);
}

/** Refuses a query whose `until` is not after its `since` (the range is since, inclusive, to until, exclusive). */
export function sinceBeforeUntil(q: { readonly since?: Date | undefined; readonly until?: Date | undefined }, ctx: z.RefinementCtx): void {
  if (q.since && q.until && q.until <= q.since) ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since: the range is since (inclusive) to until (exclusive)' });
}
