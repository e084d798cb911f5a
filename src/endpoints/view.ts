/** An endpoint row as the API shows it (EndpointView, SPEC 8.2): never its secrets, but where a create or rotation answers one. */
import type { z } from 'zod';
import type { EndpointView, EndpointWithSecret } from '../api/endpoints.js';
import type { EndpointRow } from '../store/endpoints.js';

/** The view of `row`, without secrets. */
export function endpointView(row: EndpointRow, now: Date): z.output<typeof EndpointView> {
  const inGrace = row.previous_secret_until !== null && row.previous_secret_until > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    method: row.method,
    headers: row.headers,
    body: row.body,
    secret_grace_until: inGrace ? row.previous_secret_until!.toISOString() : null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The view of `row` with its current secret: the create and rotation answers alone. */
export function endpointWithSecret(row: EndpointRow, now: Date): z.output<typeof EndpointWithSecret> {
  return { ...endpointView(row, now), secret: row.secret };
}
