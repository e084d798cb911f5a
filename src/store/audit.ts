/** SQL of the audit log (migration 012): entries written in the caller's transaction, read newest first, pruned in batches. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ListCursor } from '../api/cursor.js';
import type { AuditEntry } from '../audit/entry.js';
import { timeOrderedSuffix } from '../ids.js';
import type { AuditLogTable, Schema } from './schema.js';

/** An audit row as stored. */
export type AuditRow = Selectable<AuditLogTable>;

/** A new entry's id: `aud_` and a time-ordered suffix. */
export function newAuditId(): string {
  return `aud_${timeOrderedSuffix()}`;
}

/** The row of `entry` as the audit_log table takes it. */
export function auditValues(entry: AuditEntry) {
  return {
    id: newAuditId(),
    actor: entry.by.actor,
    owner: entry.owner,
    action: entry.action,
    target_id: entry.targetId,
    request_id: entry.by.requestId,
    client_ip: entry.by.clientIp,
    details: JSON.stringify(entry.details ?? {}),
  };
}

/**
 * `entries` (each with its `ord`, the place of the change it belongs to in a
 * batch) as a row source named `e`, with the audit_log columns, for a
 * statement that writes its change and the change's entry together.
 */
export function auditRecordset(entries: readonly { readonly ord: number; readonly entry: AuditEntry }[]) {
  const json = JSON.stringify(entries.map(({ ord, entry }) => ({ ord, ...auditValues(entry) })));
  return sql`json_to_recordset(${json}::text::json) AS e(ord int, id text, actor text, owner text, action text, target_id text, request_id text, client_ip text, details text)`;
}

/** Writes `entries` in the transaction `trx` (or as one statement). */
export async function insertAudit(trx: Kysely<Schema>, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  // Through text: postgres.js would bind a string as a JSON string, not as the object it spells.
  await trx.insertInto('audit_log').values(entries.map(auditValues).map((v) => ({ ...v, details: sql<string>`${v.details}::text::jsonb` }))).execute();
}

/** Which entries to list. */
export interface AuditFilter {
  /** Only this owner's (GET /v1/audit); every owner's when undefined (the admin's view). */
  readonly owner?: string | undefined;
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly targetId?: string | undefined;
  /** At or after. */
  readonly since?: Date | undefined;
  /** Before. */
  readonly until?: Date | undefined;
  readonly after?: ListCursor | undefined;
  readonly limit: number;
}

/** One page of entries, newest first (`limit + 1` rows, so the caller knows whether more follow). */
export async function listAudit(db: Kysely<Schema>, f: AuditFilter): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.owner !== undefined) q = q.where('owner', '=', f.owner);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.targetId !== undefined) q = q.where('target_id', '=', f.targetId);
  if (f.since !== undefined) q = q.where('at', '>=', f.since);
  if (f.until !== undefined) q = q.where('at', '<', f.until);
  if (f.after) q = q.where(sql<boolean>`(at, id) < (${f.after.at}, ${f.after.id})`);
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(f.limit + 1).execute();
}

/** Deletes up to `limit` entries older than `retentionMs`, oldest first; returns how many. */
export async function pruneAudit(db: Kysely<Schema>, retentionMs: number, limit: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH gone AS (
      DELETE FROM audit_log WHERE id IN (
        SELECT id FROM audit_log WHERE at < now() - ${retentionMs} * interval '1 millisecond' ORDER BY at LIMIT ${limit})
      RETURNING 1)
    SELECT count(*)::int AS n FROM gone`.execute(db);
  return rows[0]!.n;
}
