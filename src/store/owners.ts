/** SQL of the owners an admin acted on (migration 012): suspension and token revocation. */
import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** The NOTIFY channel that tells every replica an owner's controls changed; the payload is the DID. */
export const OWNERS_CHANNEL = 'chronos_owners';

/** What applies to one owner. */
export interface OwnerControl {
  readonly did: string;
  readonly suspendedAt: Date | null;
  readonly suspendedReason: string | null;
  readonly tokensRevokedBefore: Date | null;
}

/** Every owner with a control (the table is small: owners nobody acted on have no row), or only `did`'s. */
export async function loadOwnerControls(db: Kysely<Schema>, did?: string): Promise<OwnerControl[]> {
  let q = db.selectFrom('owners').select(['did', 'suspended_at', 'suspended_reason', 'tokens_revoked_before']);
  if (did !== undefined) q = q.where('did', '=', did);
  const rows = await q.execute();
  return rows.map((r) => ({ did: r.did, suspendedAt: r.suspended_at, suspendedReason: r.suspended_reason, tokensRevokedBefore: r.tokens_revoked_before }));
}

/** What applies to `did`: nothing, for an owner nobody acted on. */
export async function ownerControl(db: Kysely<Schema>, did: string): Promise<OwnerControl> {
  const [control] = await loadOwnerControls(db, did);
  return control ?? { did, suspendedAt: null, suspendedReason: null, tokensRevokedBefore: null };
}

/** The change an admin makes to an owner. */
export type OwnerChange = { readonly suspend: string | null } | { readonly revokeTokensIssuedBy: Date };

/**
 * Writes `change` for `did` in the transaction `trx` (suspend with a reason,
 * `suspend: null` lifts it, or revoke every token issued by the instant
 * given: the replicas' clock, which stamps the tokens) and tells every
 * replica at commit. Returns the control as
 * it is after, and whether the change changed anything (a second suspend
 * with the same reason, or lifting a suspension there is not, does not).
 */
export async function changeOwner(trx: Kysely<Schema>, did: string, change: OwnerChange): Promise<{ control: OwnerControl; changed: boolean }> {
  const before = await trx.selectFrom('owners').select(['suspended_at', 'suspended_reason']).where('did', '=', did).forUpdate().executeTakeFirst();
  const wasSuspended = before?.suspended_at != null;
  const changed = 'revokeTokensIssuedBy' in change || (change.suspend === null ? wasSuspended : !wasSuspended || before?.suspended_reason !== change.suspend);
  if (!changed) return { control: await ownerControl(trx, did), changed };
  const now = sql<Date>`date_trunc('milliseconds', now())`;
  const values =
    'revokeTokensIssuedBy' in change
      ? { tokens_revoked_before: change.revokeTokensIssuedBy }
      : change.suspend === null
        ? { suspended_at: null, suspended_reason: null }
        : { suspended_at: now, suspended_reason: change.suspend };
  // A suspension keeps the instant it began when only its reason changes.
  const update = 'suspend' in change && change.suspend !== null ? { ...values, suspended_at: sql<Date>`coalesce(owners.suspended_at, ${now})` } : values;
  const row = await trx
    .insertInto('owners')
    .values({ did, ...values })
    .onConflict((oc) => oc.column('did').doUpdateSet({ ...update, updated_at: sql<Date>`now()` }))
    .returning(['did', 'suspended_at', 'suspended_reason', 'tokens_revoked_before'])
    .executeTakeFirstOrThrow();
  await sql`SELECT pg_notify(${OWNERS_CHANNEL}, ${did})`.execute(trx);
  return { control: { did: row.did, suspendedAt: row.suspended_at, suspendedReason: row.suspended_reason, tokensRevokedBefore: row.tokens_revoked_before }, changed };
}
