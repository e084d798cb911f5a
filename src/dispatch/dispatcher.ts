/**
 * The dispatcher: claims due alarms, wakes their agents, settles each
 * attempt. It claims only into free slots, and a little ahead of time (the
 * lookahead), so each wake leaves at its due instant by the database clock
 * instead of a claim round trip later. It claims again at once after a full
 * batch, and otherwise sleeps until the next alarm enters the lookahead, the
 * poll interval, a NOTIFY of an earlier alarm, or a freed slot. Finished
 * attempts are settled in groups, one statement per group.
 */
import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type postgres from 'postgres';
import { isConnectionError } from '../db/errors.js';
import { newAttemptId } from '../ids.js';
import { CANCEL_CHANNEL, claimDue, claimKey, DUE_CHANNEL, releaseClaims, settleMany, type ClaimedRow, type SettleItem } from '../store/claims.js';
import type { Schema } from '../store/schema.js';
import { DatabaseClock } from './db-clock.js';
import { decide, type Policy } from './decide.js';
import { GroupCommit } from '../db/group-commit.js';
import type { AttemptResult } from './ladder.js';
import { WakeAbort, WakeSender, type WakeTarget } from './wake.js';

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
  /** How far ahead of its due time an alarm is claimed; 0 claims only what is due. */
  readonly lookaheadMs: number;
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
// Settle groups: at most this many attempts per statement, this many statements at once, and a group
// waits this long for company: a settle is off the wake's path, and each statement costs both processes CPU.
const SETTLE_GROUP_MAX = 1_000;
const SETTLE_GROUPS_PARALLEL = 2;
const SETTLE_LINGER_MS = 25;
// The error of an attempt that shutdown cut off.
const ABORTED_AT_SHUTDOWN = 'aborted: chronosd was shutting down';

/**
 * A claim this replica holds: waiting for its due instant (`timer` set),
 * due and queued for a sending slot (`queued`), on the wire, or being settled.
 */
interface Held {
  readonly alarmId: string;
  /** Sends the wake (once due and given a sending slot); `waited`: it queued for the slot. */
  readonly send: (waited: boolean) => void;
  queued: boolean;
  /** Ends the wake on the wire: its timeout, or stop(). */
  readonly abort: WakeAbort;
  /** Set by stop() when it aborts the wake: the claim is handed back, not settled. */
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
  done: Promise<void> | undefined;
  /** Counted against the claim capacity while waiting, queued or on the wire; a settle in progress is not. */
  inSlot: boolean;
}

/** The dispatcher service; events: `claimed` (rows), `settled` (SettledEvent), `idle`. */
export class Dispatcher extends EventEmitter {
  private readonly now: () => number;
  private readonly inflight = new Map<string, Held>();
  /** Claims waiting, queued or on the wire: what the claim capacity limits. */
  private busy = 0;
  /** Wakes on the wire: what `concurrency` limits. */
  private sending = 0;
  /** Due claims waiting for a sending slot, earliest first. */
  private readonly ready: Held[] = [];
  /**
   * Claims held at most: `concurrency` on the wire plus as many more
   * claimed and waiting, so the next claim's round trip overlaps the sends
   * instead of leaving the slots idle (a 50,000 burst went from about
   * 2,500 to 3,000-3,300 wakes/s).
   */
  private readonly capacity: number;
  private readonly settles: GroupCommit<SettleItem, boolean>;
  private readonly sender: WakeSender;
  private readonly dbClock = new DatabaseClock();
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
    this.capacity = 2 * o.concurrency;
    this.sender = new WakeSender(o.target, o.concurrency);
    // A group that fails for another reason than an unreachable database is settled item by item, so one bad row cannot hold back the others.
    this.settles = new GroupCommit((items) => this.settleGroup(items), {
      maxGroup: SETTLE_GROUP_MAX,
      maxParallel: SETTLE_GROUPS_PARALLEL,
      lingerMs: SETTLE_LINGER_MS,
      isolate: (err) => !isConnectionError(err),
    });
  }

  /** `running` or `stopping`. */
  status(): string {
    return this.running ? 'running' : 'stopping';
  }

  /** Starts listening and claiming; idempotent. */
  async start(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = true;
    const due = await this.o.sql.listen(DUE_CHANNEL, (payload) => this.onNotify(payload));
    const cancelled = await this.o.sql.listen(CANCEL_CHANNEL, (alarmId) => this.onCancelled(alarmId));
    this.unlisten = async () => {
      await due.unlisten();
      await cancelled.unlisten();
    };
    this.loopDone = this.loop();
    this.o.log.info({ replica: this.o.replica, concurrency: this.o.concurrency, batch_size: this.o.batchSize, lookahead_ms: this.o.lookaheadMs }, 'dispatcher started');
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
      // Claims still waiting for their instant or for a slot have not started: hand them back at once.
      const waiting = [...this.inflight.entries()].filter(([, h]) => h.timer !== undefined || h.queued);
      for (const [key, h] of waiting) {
        clearTimeout(h.timer);
        this.inflight.delete(key);
      }
      this.ready.length = 0;
      await this.handBack(waiting.map(([, h]) => h.alarmId), 'claims not yet due handed back');
      const drained = await Promise.race([
        Promise.all([...this.inflight.values()].map((h) => h.done)).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), this.o.drainTimeoutMs).unref()),
      ]);
      if (!drained) {
        const ids = [...this.inflight.values()].map((h) => h.alarmId);
        for (const h of this.inflight.values()) {
          h.stopped = true;
          h.abort.abort(ABORTED_AT_SHUTDOWN);
        }
        await Promise.all([...this.inflight.values()].map((h) => h.done));
        await this.handBack(ids, 'drain timeout: wakes aborted and their claims handed back');
      }
      await this.sender.close();
      this.o.log.info('dispatcher stopped');
    })();
    return this.stopping;
  }

  private async handBack(ids: string[], message: string): Promise<void> {
    if (ids.length === 0) return;
    const released = await releaseClaims(this.o.db, this.o.replica, ids).catch((err: unknown) => {
      this.o.log.error({ err, alarms: ids.length }, 'could not hand claims back; their leases will expire');
      return 0;
    });
    this.o.log.warn({ claims: ids.length, released }, message);
  }

  private onNotify(payload: string): void {
    const dueAt = Number(payload);
    // Only an alarm entering the lookahead before the planned wake-up changes anything.
    if (!Number.isFinite(dueAt) || dueAt - this.o.lookaheadMs / 2 < this.plannedWakeAt) this.wake();
  }

  /** A cancelled alarm whose claim still waits for its instant does not start (SPEC 4.5). */
  private onCancelled(alarmId: string): void {
    for (const [key, h] of this.inflight) {
      if (h.alarmId !== alarmId || (h.timer === undefined && !h.queued)) continue;
      clearTimeout(h.timer);
      if (h.queued) this.ready.splice(this.ready.indexOf(h), 1);
      this.inflight.delete(key);
      this.o.log.info({ alarm_id: alarmId }, 'alarm cancelled before its wake was sent: not sent');
      this.freeSlot(h);
    }
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
      try {
        let waitMs = this.o.pollIntervalMs;
        let claimed = 0;
        const free = this.capacity - this.busy;
        if (free > 0) {
          const limit = Math.min(this.o.batchSize, free);
          const claim = await claimDue(this.o.db, this.o.replica, limit, this.o.leaseMs, this.o.lookaheadMs);
          this.dbClock.observe(claim.dbNow.getTime(), this.now());
          claimed = claim.rows.length;
          for (const row of claim.rows) this.launch(row, this.dbClock.toLocal(row.next_fire_at!.getTime()));
          if (claimed > 0) this.emit('claimed', claim.rows);
          if (!this.running) break;
          if (claimed === limit && this.busy < this.capacity) continue;
          if (claim.nextDueAt) waitMs = Math.min(waitMs, Math.max(0, Math.ceil(this.dbClock.toLocal(claim.nextDueAt.getTime()) - this.o.lookaheadMs / 2 - this.now())));
          // Due but not claimable (held mid-claim by another replica): do not spin.
          if (waitMs === 0 && claimed === 0) waitMs = 1;
        }
        if (!this.running) break;
        this.waitingForSlot = this.busy >= this.capacity;
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

  /**
   * A full dispatcher claims again once half a batch of slots is free, not
   * at each freed slot: under load, claims of one or two rows would cost a
   * round trip each.
   */
  private freeSlot(held: Held): void {
    if (!held.inSlot) return;
    held.inSlot = false;
    this.busy--;
    const free = this.capacity - this.busy;
    if (this.waitingForSlot && (free >= Math.min(this.o.batchSize, this.capacity) / 2 || this.busy === 0)) this.wake();
  }

  /** Sends `held` now if a sending slot is free, else queues it. */
  private startOrQueue(held: Held): void {
    if (this.sending < this.o.concurrency) {
      this.sending++;
      held.send(false);
    } else {
      held.queued = true;
      this.ready.push(held);
    }
  }

  /** A wake is off the wire: its slot goes to the earliest queued one. */
  private sendDone(): void {
    this.sending--;
    const next = this.ready.shift();
    if (!next) return;
    next.queued = false;
    this.sending++;
    next.send(true);
  }

  /** Holds the claim until `sendAt` (our clock), then sends the wake as soon as a sending slot is free. */
  private launch(row: ClaimedRow, sendAt: number): void {
    // Keyed by claim: a row re-claimed after a lease expiry is a different claim.
    const key = claimKey(row.id, row.claimed_at!);
    const held: Held = {
      alarmId: row.id,
      send: (waited) => {
        held.done = (waited ? this.attemptInTime(row, held) : this.attempt(row, held))
          .catch((err: unknown) => this.o.log.error({ err, alarm_id: row.id }, 'attempt failed unexpectedly'))
          .finally(() => {
            this.inflight.delete(key);
            this.freeSlot(held);
          });
      },
      queued: false,
      abort: new WakeAbort(),
      stopped: false,
      timer: undefined,
      done: undefined,
      inSlot: true,
    };
    this.inflight.set(key, held);
    this.busy++;
    const due = () => {
      held.timer = undefined;
      this.startOrQueue(held);
    };
    const delay = sendAt - this.now();
    if (delay > 0) held.timer = setTimeout(due, delay);
    else due();
  }

  /**
   * Sends an attempt that queued for a slot, unless its lease would run out
   * before the wake's timeout (it waited long behind a slow router): such a
   * claim is handed back, due again at once, rather than risk another
   * replica sending it too.
   */
  private async attemptInTime(row: ClaimedRow, claim: Held): Promise<void> {
    if (this.dbClock.toLocal(row.lease_until!.getTime()) - this.now() < this.o.target.timeoutMs) {
      this.sendDone();
      await this.handBack([row.id], 'claim waited too long for a sending slot: handed back');
      return;
    }
    await this.attempt(row, claim);
  }

  private async attempt(row: ClaimedRow, claim: Held): Promise<void> {
    const firedAt = new Date(this.now());
    const started = performance.now();
    const result = await this.sender.send(row, firedAt, claim.abort);
    this.sendDone();
    if (claim.stopped) return; // handed back by stop()
    this.freeSlot(claim);
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
    const held = await this.settles.submit({ claimedAt: row.claimed_at!, patch: decision.patch, record }).catch((err: unknown) => {
      // Read as not held: the lease expires and the wake goes again with the same fire_id.
      this.o.log.error({ err, alarm_id: row.id, fire_id: row.fire_id }, 'could not settle the attempt; its lease will expire and the wake be sent again with the same fire_id');
      return false;
    });
    const lateness = row.occurrence_at ? firedAt.getTime() - row.occurrence_at.getTime() : null;
    // Deliveries at debug (the fire ledger has each one); anything else at warn.
    const level = decision.outcome === 'delivered' && held ? 'debug' : 'warn';
    if (this.o.log.isLevelEnabled(level)) {
      this.o.log[level](
        { alarm_id: row.id, fire_id: row.fire_id, attempt: row.attempt, outcome: decision.outcome, status_code: record.statusCode, error: decision.error, lateness_ms: lateness, duration_ms: durationMs, next_status: decision.patch.status, held },
        held ? 'wake settled' : 'wake settled, but the claim was lost (cancelled or taken over): alarm left as it is',
      );
    }
    this.emit('settled', { alarmId: row.id, fireId: row.fire_id ?? '', attempt: row.attempt, outcome: decision.outcome, held } satisfies SettledEvent);
  }

  /** Settles a group in one statement, retrying while the database is unreachable. */
  private async settleGroup(items: SettleItem[]): Promise<boolean[]> {
    const held = await this.withDatabaseRetry(() => settleMany(this.o.db, this.o.replica, items));
    return items.map((i) => held.has(claimKey(i.record.alarmId, i.claimedAt)));
  }

  /** Runs `run`, retrying while the database is unreachable, until the lease is nearly spent; then throws its error. */
  private async withDatabaseRetry<T>(run: () => Promise<T>): Promise<T> {
    const deadline = this.now() + this.o.leaseMs / 2;
    for (let delay = ERROR_BACKOFF_MS; ; delay = Math.min(delay * 2, 2_000)) {
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

function statusOf(result: AttemptResult): number | null {
  return result.kind === 'answered' ? result.status : null;
}
