/**
 * The OpenAPI 3.1 document of the API (SPEC 10.4), written from the route
 * table and the zod schemas that validate the requests: one source.
 */
import { z } from 'zod';
import { ErrorEnvelope, okEnvelope } from './envelope.js';
import { ROUTES, type RouteAuth, type RouteSpec } from './routes.js';

// Errors any route of an auth layer may answer, on top of its own.
const LAYER_ERRORS: Record<RouteAuth, readonly string[]> = {
  none: [],
  transport: ['unauthorized', 'invalid_request', 'database_unavailable'],
  principal: ['unauthorized', 'invalid_token', 'token_expired', 'token_revoked', 'insufficient_scope', 'owner_suspended', 'invalid_request', 'database_unavailable'],
  admin: ['unauthorized', 'invalid_request', 'database_unavailable'],
};
// Errors of reading a JSON body (http/body.ts), on every route that takes one.
const BODY_ERRORS: readonly string[] = ['invalid_json', 'invalid_request', 'payload_too_large', 'unsupported_media_type'];

/** The status of each error code. */
export const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  invalid_request: 400, invalid_json: 400, unsupported_did: 400, destination_not_allowed: 400,
  unauthorized: 401, invalid_token: 401, token_expired: 401, token_revoked: 401, invalid_nonce: 401, invalid_signature: 401,
  insufficient_scope: 403, owner_suspended: 403,
  not_found: 404, not_cancellable: 409, idempotency_conflict: 409, endpoint_in_use: 409, alarm_busy: 409, not_updatable: 409, precondition_failed: 412,
  payload_too_large: 413, unsupported_media_type: 415, upgrade_required: 426,
  quota_exceeded: 429, rate_limited: 429, too_many_connections: 429, database_unavailable: 503, stream_unavailable: 503,
};

/** Every error code `route` may answer: its auth layer's, its body's and its own. */
export function errorCodesOf(route: RouteSpec): string[] {
  return [...new Set([...LAYER_ERRORS[route.auth], ...(route.body ? BODY_ERRORS : []), ...route.errors])];
}

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of a request (`input`) or an answer (`output`), with named schemas moved to components. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const generated = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  // Named schemas (meta id) come as $defs; in the document they live in components.
  const json = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  delete json.$schema;
  for (const [id, def] of Object.entries(json.$defs ?? {})) components[id] = def;
  delete json.$defs;
  return json;
}

function parameters(route: RouteSpec, components: Record<string, JsonSchema>): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {})) out.push({ name, in: 'path', required: true, schema: schemaOf(schema, 'input', components) });
  if (route.query) {
    const query = schemaOf(route.query, 'input', components) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      out.push({ name, in: 'query', required: query.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }
  return out;
}

function operation(name: string, route: RouteSpec, components: Record<string, JsonSchema>): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(route.ok)) {
    if (answer.data === null) {
      responses[status] = { description: answer.description };
      continue;
    }
    const body = route.auth === 'none' ? answer.data : okEnvelope(answer.data);
    responses[status] = { description: answer.description, content: { 'application/json': { schema: schemaOf(body, 'output', components) } } };
  }
  const byStatus = new Map<number, string[]>();
  for (const code of errorCodesOf(route)) {
    const status = STATUS_OF_CODE[code];
    if (status === undefined) throw new Error(`route ${name}: error code ${code} has no status`);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = { description: `error: ${codes.join(', ')}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } };
  }
  // A principal route names its scope as the role the principal scheme needs (OpenAPI 3.1 allows roles on any scheme).
  const security = { none: [], transport: [{ transport: [] }], principal: [{ transport: [], principal: [route.scope] }], admin: [{ admin: [] }] }[route.auth];
  const params = parameters(route, components);
  return {
    operationId: name,
    summary: route.summary,
    security,
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input', components) } } } } : {}),
    responses,
  };
}

/** The whole document. */
export function openApiDocument(version: string): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  components.ErrorEnvelope = schemaOf(ErrorEnvelope, 'output', components);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const [name, route] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    (paths[route.path] ??= {})[route.method] = operation(name, route, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chronos',
      version,
      description: 'A durable scheduler for fleets of AI agents: set alarms, get woken through the router. Every answer but /healthz is an envelope: {"ok": true, "data"} or {"ok": false, "error"}.',
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        transport: { type: 'http', scheme: 'bearer', description: 'A transport token (auth.transport_tokens), on every /v1 route but the admin ones.' },
        principal: { type: 'apiKey', in: 'header', name: 'X-Chronos-Principal', description: 'A principal token from /v1/auth/verify; its scopes must include the one the operation names.' },
        admin: { type: 'http', scheme: 'bearer', description: 'An admin token (auth.admin_tokens), alone, on every /v1/admin route and on /metrics unless metrics.public.' },
      },
    },
  };
}
