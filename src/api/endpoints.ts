/**
 * The webhook endpoint's shapes (SPEC 8.2): create, update, list, and
 * EndpointView. The one description of each, as alarms.ts is for alarms.
 */
import { z } from 'zod';
import { bodyObject, NextCursor, PageQuery, storedText, textProblem, Timestamp } from './fields.js';

export { EndpointId } from './alarms.js';

/** Static headers an endpoint may carry at most. */
export const MAX_ENDPOINT_HEADERS = 16;

// Headers that belong to the connection or to the signature: an endpoint cannot set them.
const RESERVED_HEADERS = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/** Why a header name may not be set, if it may not. */
function headerNameProblem(name: string): string | undefined {
  if (!TOKEN.test(name)) return 'is not a header name (letters, digits and !#$%&\'*+.^_`|~-, at most 100)';
  const lower = name.toLowerCase();
  if (RESERVED_HEADERS.has(lower)) return 'is a hop-by-hop or connection header, which an endpoint cannot set';
  if (lower.startsWith('webhook-')) return 'webhook-* headers carry the signature: an endpoint cannot set them';
  return undefined;
}

const Headers = z
  .record(z.string(), z.string({ error: 'must be a string' }))
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > MAX_ENDPOINT_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_ENDPOINT_HEADERS} headers` });
    const seen = new Set<string>();
    for (const name of names) {
      const problem = headerNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      if (seen.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice (header names ignore case)' });
      seen.add(name.toLowerCase());
      const value = headers[name]!;
      // eslint-disable-next-line no-control-regex -- a header value with a control character would split or break the request
      if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) || !value.isWellFormed() || value.length > 1024) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be at most 1024 characters without control characters' });
      }
    }
  })
  .describe(`Static headers sent with every wake, at most ${MAX_ENDPOINT_HEADERS}; not hop-by-hop headers, Host, Content-Length or webhook-*.`);

const Url = z
  .string({ error: 'must be an https:// URL' })
  .max(2048, 'must be at most 2048 characters')
  .refine((u) => textProblem(u) === undefined, 'must not contain NUL or unpaired surrogates')
  .describe('Where wakes go: https:// (http:// only where the operator allows it); a public address, not loopback, private or link-local.');
const Description = storedText({ max: 200, message: 'must be a string of at most 200 characters' }).describe('For people: what this endpoint is.');
const Method = z.enum(['POST', 'PUT', 'PATCH'], { error: 'must be "POST", "PUT" or "PATCH"' }).describe('The HTTP method. Default POST.');
const Body = z
  .enum(['wake', 'payload'], { error: 'must be "wake" or "payload"' })
  .describe('"wake" (default): the wake JSON of SPEC 6.1; "payload": the alarm\'s payload text alone, verbatim, for calling any API.');

/** The body of `POST /v1/endpoints`. */
export const CreateEndpoint = bodyObject({
  url: Url,
  description: Description.nullish(),
  method: Method.optional(),
  headers: Headers.optional(),
  body: Body.optional(),
}).meta({ id: 'CreateEndpoint' });
/** A create request, parsed. */
export type CreateEndpoint = z.output<typeof CreateEndpoint>;

/** The body of `PATCH /v1/endpoints/:id`: a JSON merge patch; `description: null` clears it. */
export const UpdateEndpoint = bodyObject({
  url: Url.optional(),
  description: Description.nullable().optional(),
  method: Method.optional(),
  headers: Headers.optional(),
  body: Body.optional(),
}).meta({ id: 'UpdateEndpoint' });
/** An update request, parsed. */
export type UpdateEndpoint = z.output<typeof UpdateEndpoint>;

/** EndpointView: an endpoint without its secret. */
export const EndpointView = z
  .strictObject({
    id: z.string().describe('"ep_" and 20 characters.'),
    url: z.string(),
    description: z.string().nullable(),
    method: Method,
    headers: z.record(z.string(), z.string()),
    body: Body,
    secret_grace_until: Timestamp.nullable().describe('While a rotated secret still signs beside the new one: until when.'),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'EndpointView' });
/** An endpoint as the API shows it. */
export type EndpointView = z.infer<typeof EndpointView>;

/** The create and rotation answer: the view and the secret, shown this once. */
export const EndpointWithSecret = EndpointView.extend({
  secret: z.string().describe('"whsec_" and base64: the HMAC key of the v1 signatures. Shown only in this answer: keep it.'),
}).meta({ id: 'EndpointWithSecret' });

/** A page of endpoints. */
export const EndpointPage = z.strictObject({ endpoints: z.array(EndpointView), next_cursor: NextCursor });

/** The query of `GET /v1/endpoints`. */
export const ListEndpointsQuery = PageQuery;
