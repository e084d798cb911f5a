/** Reading the audit log (SPEC 10.3): an owner's own entries, or every entry for an admin, newest first. */
import type { Kysely } from 'kysely';
import { page, type Page } from '../api/cursor.js';
import type { ListAuditQuery } from '../api/audit.js';
import { listAudit, type AuditRow } from '../store/audit.js';
import type { Schema } from '../store/schema.js';

const DEFAULT_PAGE = 50;

/** The audit log's reader. */
export class AuditLog {
  constructor(private readonly o: { readonly db: Kysely<Schema> }) {}

  /** A page of `owner`'s entries, or of all of them when undefined. */
  async list(owner: string | undefined, q: ListAuditQuery): Promise<Page<AuditRow>> {
    const limit = q.limit ?? DEFAULT_PAGE;
    const rows = await listAudit(this.o.db, { owner, actor: q.actor, action: q.action, targetId: q.target_id, since: q.since, until: q.until, after: q.cursor, limit });
    return page(rows, limit, (r) => [r.at, r.id]);
  }
}

/** The API's view of an entry. */
export function auditEntryView(row: AuditRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    owner: row.owner,
    action: row.action,
    target_id: row.target_id,
    request_id: row.request_id,
    client_ip: row.client_ip,
    details: row.details,
  };
}
