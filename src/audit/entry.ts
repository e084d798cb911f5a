/**
 * The audit log's entries (SPEC 10.3): who changed what, through which
 * request. A change and its entry are written in one transaction (store/),
 * so they commit together or not at all.
 */

/** Every action the audit log records, one per kind of change. */
export const AUDIT_ACTIONS = [
  'alarm.create', 'alarm.update', 'alarm.pause', 'alarm.resume', 'alarm.fire', 'alarm.cancel',
  'endpoint.create', 'endpoint.update', 'endpoint.delete', 'endpoint.rotate_secret',
  'owner.suspend', 'owner.unsuspend', 'owner.revoke_tokens',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who makes a change and through which request: the actor is a DID or `admin:<name>`. */
export interface ChangeBy {
  readonly actor: string;
  readonly requestId: string | null;
  readonly clientIp: string | null;
}

/** One entry to write with its change. */
export interface AuditEntry {
  readonly by: ChangeBy;
  readonly action: AuditAction;
  /** The DID whose alarm, endpoint or account it touched: that owner sees the entry in GET /v1/audit. */
  readonly owner: string;
  /** The alarm, endpoint or DID it touched. */
  readonly targetId: string;
  /** A few facts of the change, never a secret, a payload or a token. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A change the owner makes itself, outside any request (the default of the services' verbs). */
export function ownChange(owner: string): ChangeBy {
  return { actor: owner, requestId: null, clientIp: null };
}
