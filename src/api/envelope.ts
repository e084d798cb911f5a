/** The response envelope (SPEC 4): `{ok: true, data}` or `{ok: false, error}`. */
import { z } from 'zod';

/** One offending field of an `invalid_request`. */
export const FieldProblemView = z.strictObject({ path: z.string().describe('Like "tags[2]" or "target.type"; "" for the body.'), message: z.string() }).meta({ id: 'FieldProblem' });

/** The error of an error answer. */
export const ErrorView = z
  .strictObject({
    code: z.string().describe('Stable: invalid_request, invalid_json, unauthorized, invalid_token, not_found, ...'),
    message: z.string().describe('Human readable: what went wrong and what to do.'),
    details: z
      .union([z.array(FieldProblemView), z.record(z.string(), z.unknown())])
      .optional()
      .describe('invalid_request and payload_too_large: the list of field problems; some other codes: an object, like {"alarm_id"} of idempotency_conflict.'),
  })
  .meta({ id: 'Error' });

/** `{ok: false, error}`. */
export const ErrorEnvelope = z.strictObject({ ok: z.literal(false), error: ErrorView }).meta({ id: 'ErrorEnvelope' });

/** `{ok: true, data}` around `data`. */
export function okEnvelope<T extends z.ZodType>(data: T) {
  return z.strictObject({ ok: z.literal(true), data });
}
