/**
 * The dispatcher: claims due alarms, wakes their agents, settles each
 * attempt. It claims only into free slots, claims again at once after a full
 * batch, and otherwise sleeps until the next due alarm (by the database
 * clock), the poll interval, a NOTIFY of an earlier alarm, or a freed slot.
 */
import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import { isConnectionError } from '../db/errors.js';
import { newAttemptId } from '../ids.js';
import type { AlarmRow } from '../store/alarms.js';
import { claimDue, DUE_CHANNEL, msUntilNextDue, releaseClaims, settle } from '../store/claims.js';
import type { Schema } from '../store/schema.js';
import { decide, type Policy } from './decide.js';
import type { AttemptResult } from './ladder.js';
import { sendWake, type WakeTarget } from './wake.js';

/** Everything the dispatcher needs. */
export interface DispatcherOptions {
  readonly db: Kysely<Schema>;
  /** For LISTEN. */
  readonly sql: postgres.Sql;
  readonly log: Logger;
  /** This replica's id, written into claims. */
  readonly replica: string;
  readonly target: WakeTarget;
  readonly policy: Policy;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly now?: () => number;
}

/** Emitted after each attempt is settled. */
export interface SettledEvent {
  readonly alarmId: string;
  readonly fireId: string;
  readonly attempt: number;
  readonly outcome: 'delivered' | 'retrying' | 'failed';
  /** False when the claim was lost (cancelled, or taken over) before the settle. */
  readonly held: boolean;
}

// After a database error the loop waits this long before claiming again, doubling up to the poll interval.
const ERROR_BACKOFF_MS = 100;

/** The dispatcher service; events: `claimed` (rows), `settled` (SettledEvent), `idle`. */
export class Dispatcher extends EventEmitter {
  private readonly now: () => number;
  private readonly inflight = new Map<string, { done: Promise<void>; abort: AbortController; alarmId: string }>();
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private plannedWakeAt = Infinity;
  private waitingForSlot = false;
  private wakePending = false;
  private unlisten: (() => Promise<void>) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: DispatcherOptions) {
    super();
    this.now = o.now ?? Date.now;
  }

  /** `running` or `stopping`. */
  status(): string {
    return this.running ? 'running' : 'stopping';
  }

  /** Starts listening and claiming; idempotent. */
  async start(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = true;
    const listened = await this.o.sql.listen(DUE_CHANNEL, (payload) => this.onNotify(payload));
    this.unlisten = () => listened.unlisten();
    this.loopDone = this.loop();
    this.o.log.info({ replica: this.o.replica, concurrency: this.o.concurrency, batch_size: this.o.batchSize }, 'dispatcher started');
  }

  /**
   * Ordered stop: no new claims, the claim in flight finished, wakes in
   * flight drained up to drainTimeoutMs, the rest aborted and their claims
   * handed back. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.running && !this.loopDone) return;
      this.running = false;
      this.wake();
      await this.loopDone;
      await this.unlisten?.().catch(() => {});
      const drained = await Promise.race([
        Promise.all([...this.inflight.values()].map((f) => f.done)).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), this.o.drainTimeoutMs).unref()),
      ]);
      if (!drained) {
        const ids = [...this.inflight.values()].map((f) => f.alarmId);
        for (const f of this.inflight.values()) f.abort.abort();
        await Promise.all([...this.inflight.values()].map((f) => f.done));
        const released = await releaseClaims(this.o.db, this.o.replica, ids).catch((err: unknown) => {
          this.o.log.error({ err, alarms: ids.length }, 'could not hand claims back; their leases will expire');
          return 0;
        });
        this.o.log.warn({ aborted: ids.length, released }, 'drain timeout: wakes aborted and their claims handed back');
      }
      this.o.log.info('dispatcher stopped');
    })();
    return this.stopping;
  }

  private onNotify(payload: string): void {
    const dueAt = Number(payload);
    // Only an alarm due before the planned wake-up changes anything.
    if (!Number.isFinite(dueAt) || dueAt < this.plannedWakeAt) this.wake();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    // A wake-up while the loop is awake (claiming) must not be lost: the next sleep returns at once.
    if (w) w();
    else this.wakePending = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    this.plannedWakeAt = this.now() + ms;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.plannedWakeAt = Infinity;
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    let backoffMs = ERROR_BACKOFF_MS;
    while (this.running) {
      let claimedAll = false;
      let claimed = 0;
      try {
        const free = this.o.concurrency - this.inflight.size;
        if (free > 0) {
          const limit = Math.min(this.o.batchSize, free);
          const rows = await claimDue(this.o.db, this.o.replica, limit, this.o.leaseMs);
          claimed = rows.length;
          for (const row of rows) this.launch(row);
          if (rows.length > 0) this.emit('claimed', rows);
          claimedAll = rows.length === limit;
        }
        if (!this.running) break;
        if (claimedAll && this.inflight.size < this.o.concurrency) continue;
        let waitMs = this.o.pollIntervalMs;
        this.waitingForSlot = this.inflight.size >= this.o.concurrency;
        if (!this.waitingForSlot) {
          const due = await msUntilNextDue(this.o.db);
          if (due !== null) waitMs = Math.min(waitMs, due);
          // Due but not claimable (held mid-claim by another replica): do not spin.
          if (waitMs === 0 && claimed === 0) waitMs = 1;
        }
        backoffMs = ERROR_BACKOFF_MS;
        if (claimed === 0 && this.inflight.size === 0) this.emit('idle');
        if (waitMs > 0 && this.running) await this.sleep(waitMs);
      } catch (err) {
        this.o.log.warn({ err, retry_in_ms: backoffMs, connection: isConnectionError(err) }, 'claim failed; retrying');
        if (this.running) await this.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.o.pollIntervalMs);
      }
    }
  }

  private launch(row: AlarmRow): void {
    const abort = new AbortController();
    // Keyed by claim: a row re-claimed after a lease expiry is a different claim.
    const key = `${row.id}@${row.claimed_at?.getTime()}`;
    const done = this.attempt(row, abort.signal)
      .catch((err: unknown) => this.o.log.error({ err, alarm_id: row.id }, 'attempt failed unexpectedly'))
      .finally(() => {
        this.inflight.delete(key);
        if (this.waitingForSlot) this.wake();
      });
    this.inflight.set(key, { done, abort, alarmId: row.id });
  }

  private async attempt(row: AlarmRow, abort: AbortSignal): Promise<void> {
    const log = this.o.log.child({ alarm_id: row.id, fire_id: row.fire_id, attempt: row.attempt });
    const firedAt = new Date(this.now());
    const started = performance.now();
    const result = await sendWake(this.o.target, row, firedAt, abort);
    if (abort.aborted) return; // handed back by stop()
    const durationMs = Math.round(performance.now() - started);
    const decision = decide(row, result, this.now(), this.o.policy);
    const record = {
      id: newAttemptId(),
      fireId: row.fire_id ?? '',
      alarmId: row.id,
      scheduledFor: row.occurrence_at ?? firedAt,
      attempt: row.attempt,
      startedAt: firedAt,
      finishedAt: new Date(this.now()),
      outcome: decision.outcome,
      statusCode: statusOf(result),
      error: decision.error,
      durationMs,
    };
    const held = await this.settleWithRetry(log, () => settle(this.o.db, this.o.replica, row.claimed_at!, decision.patch, record));
    const lateness = row.occurrence_at ? firedAt.getTime() - row.occurrence_at.getTime() : null;
    log[decision.outcome === 'delivered' ? 'info' : 'warn'](
      { outcome: decision.outcome, status_code: record.statusCode, error: decision.error, lateness_ms: lateness, duration_ms: durationMs, next_status: decision.patch.status, held },
      held ? 'wake settled' : 'wake settled, but the claim was lost (cancelled or taken over): alarm left as it is',
    );
    this.emit('settled', { alarmId: row.id, fireId: row.fire_id ?? '', attempt: row.attempt, outcome: decision.outcome, held } satisfies SettledEvent);
  }

  /** Settles, retrying while the database is unreachable, until the lease is nearly spent. */
  private async settleWithRetry(log: Logger, run: () => Promise<boolean>): Promise<boolean> {
    const deadline = this.now() + this.o.leaseMs / 2;
    for (let delay = ERROR_BACKOFF_MS; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await run();
      } catch (err) {
        // Only an unreachable database is worth waiting for (SQLSTATE/driver code, HOUSE 7).
        if (!isConnectionError(err) || this.now() + delay > deadline) {
          log.error({ err }, 'could not settle the attempt; the lease will expire and the wake be sent again with the same fire_id');
          return false;
        }
        log.warn({ err, retry_in_ms: delay }, 'settle failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

function statusOf(result: AttemptResult): number | null {
  return result.kind === 'answered' ? result.status : null;
}
