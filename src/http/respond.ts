/** The success envelope `{ok: true, data}`, written with raw JSON (the payload) spliced in. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { stringifyWithRaw } from '../json/raw.js';

/** Answers `{ok: true, data}` with `status`. */
export function ok(c: Context, data: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(stringifyWithRaw({ ok: true, data }), status, { 'Content-Type': 'application/json' });
}
