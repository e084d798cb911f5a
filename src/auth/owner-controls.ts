/**
 * What an admin decided about owners (SPEC 10.1), as every replica applies
 * it to requests: a suspended owner's requests answer 403 owner_suspended,
 * and a token issued at or before its owner's revocation answers 401
 * token_revoked, verified-token cache or not. Each replica holds the whole
 * (small) owners table in memory, reloads it every `refreshMs` and at once
 * when a change is announced, so a change made on any replica holds on
 * every other within `refreshMs` plus a query (SPEC: within 5 s), even when
 * an announcement is lost while the listening connection reconnects.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Listen } from '../dispatch/producer.js';
import { DomainError } from '../errors.js';
import { loadOwnerControls, OWNERS_CHANNEL, type OwnerControl } from '../store/owners.js';
import type { Schema } from '../store/schema.js';
import type { Principal } from './token.js';

/** Every replica reloads the controls this often. */
export const OWNER_CONTROLS_REFRESH_MS = 2_000;

/** The controls of every owner, kept fresh. */
export class OwnerControls {
  private byDid = new Map<string, OwnerControl>();
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: { readonly db: Kysely<Schema>; readonly listen: Listen; readonly log: Logger; readonly refreshMs?: number }) {}

  /** Loads the controls (the start fails when the database does not answer), then keeps them fresh. */
  async start(): Promise<void> {
    const sub = await this.o.listen(OWNERS_CHANNEL, () => void this.reload());
    this.unlisten = () => sub.unlisten();
    await this.reload(true);
    this.timer = setInterval(() => void this.reload(), this.o.refreshMs ?? OWNER_CONTROLS_REFRESH_MS).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
    await this.loading;
  }

  /** Throws 401 token_revoked or 403 owner_suspended when the admin's controls refuse `principal`. */
  check(principal: Principal): void {
    const control = this.byDid.get(principal.did);
    if (!control) return;
    if (control.tokensRevokedBefore && principal.issuedAtMs <= control.tokensRevokedBefore.getTime()) {
      throw new DomainError('unauthenticated', 'token_revoked', 'an admin revoked the tokens of this DID: get a new one from /v1/auth/challenge and /v1/auth/verify');
    }
    if (control.suspendedAt) {
      throw new DomainError('forbidden', 'owner_suspended', `an admin suspended this DID: its alarms do not fire and its requests are refused until it is unsuspended${control.suspendedReason ? ` (reason: ${control.suspendedReason})` : ''}`, {
        suspended_at: control.suspendedAt.toISOString(),
        ...(control.suspendedReason ? { reason: control.suspendedReason } : {}),
      });
    }
  }

  /** Takes a change this replica just committed, before the next reload brings it. */
  apply(control: OwnerControl): void {
    this.byDid.set(control.did, control);
  }

  /** Reloads the table; a reload asked for while one runs runs again after it. A failure keeps what was known (`strict`: throws). */
  private reload(strict = false): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          this.byDid = new Map((await loadOwnerControls(this.o.db)).map((c) => [c.did, c]));
        } catch (err) {
          if (strict) throw err;
          this.o.log.warn({ err }, 'could not reload the owners\' controls; keeping the last known');
        }
      } while (this.again);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }
}
