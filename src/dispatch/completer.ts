/**
 * The completer: turns each finished attempt into the alarm's next state
 * (decide.ts) and its ledger row, and settles them in groups, one statement
 * per group (River's batch_completer.go has the same job). A settle is off
 * the wake's path: a group waits a little for company, as each statement
 * costs both processes CPU.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/service.js';
import { isConnectionError } from '../db/errors.js';
import { GroupCommit } from '../db/group-commit.js';
import { newAttemptId } from '../ids.js';
import { claimKey, type ClaimedRow, type SettleItem, type SettlePatch } from '../store/claims.js';
import { decide, resendAtOnce, type Policy } from './decide.js';
import type { AttemptResult } from './ladder.js';
import type { DispatchObserver } from './observer.js';

/** Emitted after each attempt is settled. */
export interface SettledEvent {
  readonly alarmId: string;
  readonly fireId: string;
  readonly attempt: number;
  /** `rescheduled`: a missed occurrence was not sent (misfire.ts). */
  readonly outcome: 'delivered' | 'retrying' | 'failed' | 'rescheduled';
  /** False when the claim was lost (cancelled, or taken over) before the settle. */
  readonly held: boolean;
}

/** One finished attempt. */
export interface FinishedAttempt {
  readonly row: ClaimedRow;
  readonly result: AttemptResult;
  readonly firedAt: Date;
  readonly durationMs: number;
  /** Aborted at shutdown's drain timeout: its outcome is unknown (see resendAtOnce). */
  readonly cutOff?: boolean;
}

/** What the completer needs. */
export interface CompleterOptions {
  readonly alarms: AlarmService;
  readonly log: Logger;
  readonly replica: string;
  readonly policy: Policy;
  /** A settle retries an unreachable database for half a lease, then leaves the claim to expire. */
  readonly leaseMs: number;
  readonly now?: () => number;
  /** Told of each attempt (metrics). */
  readonly observer?: DispatchObserver;
}

// At most this many attempts per statement, this many statements at once, and a group waits this long for company.
const SETTLE_GROUP_MAX = 1_000;
const SETTLE_GROUPS_PARALLEL = 2;
const SETTLE_LINGER_MS = 25;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

/** The completer service; events: `settled` (SettledEvent). */
export class Completer extends EventEmitter {
  private readonly now: () => number;
  private readonly groups: GroupCommit<SettleItem, boolean>;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly o: CompleterOptions) {
    super();
    this.now = o.now ?? Date.now;
    // A group that fails for another reason than an unreachable database is settled item by item, so one bad row cannot hold back the others.
    this.groups = new GroupCommit((items) => this.settleGroup(items), {
      maxGroup: SETTLE_GROUP_MAX,
      maxParallel: SETTLE_GROUPS_PARALLEL,
      lingerMs: SETTLE_LINGER_MS,
      isolate: (err) => !isConnectionError(err),
    });
  }

  /** Queues the attempt's settle; stop() waits for it. */
  complete(attempt: FinishedAttempt): void {
    this.track(this.settle(attempt), attempt.row);
  }

  private track(work: Promise<void>, row: ClaimedRow): void {
    const settling = work
      .catch((err: unknown) => this.o.log.error({ err, alarm_id: row.id }, 'settling the attempt failed unexpectedly; its lease will expire and the wake be sent again'))
      .finally(() => this.pending.delete(settling));
    this.pending.add(settling);
  }

  /** Queues the settle of a claim that was not sent: the alarm moves to `patch`, and no attempt is recorded. */
  reschedule(row: ClaimedRow, patch: SettlePatch): void {
    this.track(
      (async () => {
        const held = await this.groups.submit({ alarmId: row.id, claimedAt: row.claimed_at!, patch, record: null });
        this.o.log.info({ alarm_id: row.id, fire_id: row.fire_id, next_fire_at: patch.nextFireAt, why: patch.lastError, held }, 'missed occurrence not sent');
        this.emit('settled', { alarmId: row.id, fireId: row.fire_id ?? '', attempt: row.attempt, outcome: 'rescheduled', held } satisfies SettledEvent);
      })(),
      row,
    );
  }

  /** Waits for every queued settle. */
  async stop(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async settle({ row, result, firedAt, durationMs, cutOff }: FinishedAttempt): Promise<void> {
    const decision = cutOff ? resendAtOnce(row, result, this.now()) : decide(row, result, this.now(), this.o.policy);
    // Lateness to the answer: from scheduled_for (as the ledger records it) to the end of the attempt.
    this.o.observer?.attempted(row.target.type, decision.outcome, row.attempt, firedAt.getTime() + durationMs - (row.occurrence_at ?? firedAt).getTime());
    const record = {
      id: newAttemptId(),
      targetType: row.target.type,
      fireId: row.fire_id ?? '',
      // A fire-now occurrence's attempts are the history of the alarm it was fired for.
      alarmId: row.manual_of ?? row.id,
      manual: row.manual_of !== null,
      scheduledFor: row.occurrence_at ?? firedAt,
      attempt: row.attempt,
      startedAt: firedAt,
      finishedAt: new Date(this.now()),
      outcome: decision.outcome,
      statusCode: result.kind === 'answered' ? result.status : null,
      error: decision.error,
      durationMs,
    };
    const held = await this.groups.submit({ alarmId: row.id, claimedAt: row.claimed_at!, patch: decision.patch, record }).catch((err: unknown) => {
      // Read as not held: the lease expires and the wake goes again with the same fire_id.
      this.o.log.error({ err, alarm_id: row.id, fire_id: row.fire_id }, 'could not settle the attempt; its lease will expire and the wake be sent again with the same fire_id');
      return false;
    });
    // Deliveries at debug (the fire ledger has each one); anything else at warn.
    const level = decision.outcome === 'delivered' && held ? 'debug' : 'warn';
    if (this.o.log.isLevelEnabled(level)) {
      const lateness = row.occurrence_at ? firedAt.getTime() - row.occurrence_at.getTime() : null;
      this.o.log[level](
        { alarm_id: row.id, fire_id: row.fire_id, attempt: row.attempt, outcome: decision.outcome, status_code: record.statusCode, error: decision.error, lateness_ms: lateness, duration_ms: durationMs, next_status: decision.patch.status, held },
        held ? 'wake settled' : 'wake settled, but the claim was lost (cancelled or taken over): alarm left as it is',
      );
    }
    this.emit('settled', { alarmId: row.id, fireId: row.fire_id ?? '', attempt: row.attempt, outcome: decision.outcome, held } satisfies SettledEvent);
  }

  /** Settles a group in one statement, retrying while the database is unreachable. */
  private async settleGroup(items: SettleItem[]): Promise<boolean[]> {
    const held = await this.withDatabaseRetry(() => this.o.alarms.settle(this.o.replica, items));
    return items.map((i) => held.has(claimKey(i.alarmId, i.claimedAt)));
  }

  /** Runs `run`, retrying while the database is unreachable, until the lease is half spent; then throws its error. */
  private async withDatabaseRetry<T>(run: () => Promise<T>): Promise<T> {
    const deadline = this.now() + this.o.leaseMs / 2;
    for (let delay = RETRY_FIRST_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      try {
        return await run();
      } catch (err) {
        // Only an unreachable database is worth waiting for (SQLSTATE/driver code, HOUSE 7).
        if (!isConnectionError(err) || this.now() + delay > deadline) throw err;
        this.o.log.warn({ err, retry_in_ms: delay }, 'settle failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
