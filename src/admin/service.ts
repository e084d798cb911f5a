/**
 * The admin's verbs on owners (SPEC 10.1): suspend, unsuspend, revoke
 * tokens, each with its audit entry in the same transaction, applied to this
 * replica's controls at once and announced to the others; and the status of
 * the deployment from real counts.
 */
import type { Kysely } from 'kysely';
import type { AuditEntry, ChangeBy } from '../audit/entry.js';
import type { OwnerControls } from '../auth/owner-controls.js';
import { insertAudit } from '../store/audit.js';
import { changeOwner, ownerControl, type OwnerChange, type OwnerControl } from '../store/owners.js';
import { liveReplicas } from '../store/replicas.js';
import type { Schema } from '../store/schema.js';
import { queueStats } from '../store/queue-stats.js';
import { recentAttempts, suspendedOwners, topOwners } from '../store/status.js';

// The status lists the replicas that announced themselves within this (six heartbeats).
const LIVE_WITHIN_MS = 30_000;
const TOP_OWNERS = 5;

/** The admin service. */
export class AdminService {
  constructor(private readonly o: { readonly db: Kysely<Schema>; readonly owners: OwnerControls; readonly now: () => number }) {}

  /** What applies to `did` (nothing, for an owner nobody acted on). */
  owner(did: string): Promise<OwnerControl> {
    return ownerControl(this.o.db, did);
  }

  suspend(did: string, reason: string, by: ChangeBy): Promise<OwnerControl> {
    return this.change(did, { suspend: reason }, { by, action: 'owner.suspend', owner: did, targetId: did, details: { reason } });
  }

  unsuspend(did: string, by: ChangeBy): Promise<OwnerControl> {
    return this.change(did, { suspend: null }, { by, action: 'owner.unsuspend', owner: did, targetId: did });
  }

  revokeTokens(did: string, by: ChangeBy): Promise<OwnerControl> {
    return this.change(did, { revokeTokensIssuedBy: new Date(this.o.now()) }, { by, action: 'owner.revoke_tokens', owner: did, targetId: did });
  }

  /** The alarm counts and backlog (the query the metrics take every few seconds, here fresh), recent attempts, live replicas, the top owners, how many are suspended: each a query of its own, run together. */
  async status() {
    const [counts, replicas, attempts, top, suspended] = await Promise.all([
      queueStats(this.o.db),
      liveReplicas(this.o.db, LIVE_WITHIN_MS),
      recentAttempts(this.o.db),
      topOwners(this.o.db, TOP_OWNERS),
      suspendedOwners(this.o.db),
    ]);
    return { counts, replicas, attempts, top, suspended };
  }

  /** Writes `change`, and `audit` with it when it changed anything. */
  private async change(did: string, change: OwnerChange, audit: AuditEntry): Promise<OwnerControl> {
    const control = await this.o.db.transaction().execute(async (trx) => {
      const { control, changed } = await changeOwner(trx, did, change);
      if (changed) await insertAudit(trx, [audit]);
      return control;
    });
    this.o.owners.apply(control);
    return control;
  }
}

/** The API's view of an owner's controls. */
export function ownerView(c: OwnerControl) {
  return {
    did: c.did,
    suspended: c.suspendedAt !== null,
    suspended_at: c.suspendedAt?.toISOString() ?? null,
    suspended_reason: c.suspendedReason,
    tokens_revoked_before: c.tokensRevokedBefore?.toISOString() ?? null,
  };
}
