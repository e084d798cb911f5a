/** The audit log's shapes (SPEC 10.3): an entry, a page of them, and the query of both views. */
import { z } from 'zod';
import { AUDIT_ACTIONS } from '../audit/entry.js';
import { DecodedCursor, NextCursor, PageLimit, queryInstant, sinceBeforeUntil, storedText, Timestamp } from './fields.js';

/** An action in a query. */
export const AuditAction = z.enum(AUDIT_ACTIONS, { error: `must be one of ${AUDIT_ACTIONS.join(', ')}` });

/** One entry. */
export const AuditEntryView = z
  .strictObject({
    id: z.string().describe('"aud_" and 20 characters.'),
    at: Timestamp.describe('When the change committed (the database clock).'),
    actor: z.string().describe('Who made it: a DID, or "admin:<name>" for an admin token named <name>.'),
    owner: z.string().nullable().describe('The DID whose alarm, endpoint or account it touched.'),
    action: AuditAction,
    target_id: z.string().nullable().describe('The alarm, endpoint or DID it touched.'),
    request_id: z.string().nullable().describe('The X-Request-Id of the request that made it.'),
    client_ip: z.string().nullable().describe('The address the request came from.'),
    details: z.record(z.string(), z.unknown()).describe('A few facts of the change (never a payload, a secret or a token).'),
  })
  .meta({ id: 'AuditEntry' });

/** A page of entries, newest first. */
export const AuditPage = z.strictObject({ entries: z.array(AuditEntryView), next_cursor: NextCursor });

const text = (what: string) => storedText({ min: 1, max: 256, message: 'must be 1 to 256 characters' }).optional().describe(what);

/** The query of GET /v1/audit (the caller's own entries) and GET /v1/admin/audit (every entry). */
export const ListAuditQuery = z
  .strictObject({
    actor: text('Only changes by this actor: a DID or "admin:<name>".'),
    action: AuditAction.optional().describe('Only this action.'),
    target_id: text('Only changes of this alarm, endpoint or DID.'),
    since: queryInstant('Only entries at or after this RFC 3339 time with an offset (inclusive).').optional(),
    until: queryInstant('Only entries before this RFC 3339 time with an offset (exclusive).').optional(),
    limit: PageLimit.optional(),
    cursor: DecodedCursor.optional(),
  })
  .superRefine(sinceBeforeUntil);
export type ListAuditQuery = z.output<typeof ListAuditQuery>;
