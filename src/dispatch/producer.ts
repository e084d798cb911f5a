/**
 * The producer: claims due alarms and hands each to the executor at its due
 * instant, when a sending slot is free. It claims only into free capacity,
 * and a little ahead of time (the lookahead), so each wake leaves at its due
 * instant by the database clock instead of a claim round trip later. It
 * claims again at once after a full batch, and otherwise sleeps until the
 * next alarm enters the lookahead, the poll interval, a NOTIFY of an earlier
 * alarm, or freed capacity. (River's producer.go has the same job.) A
 * cancel reaches the claims it holds (dispatch/cancels.ts): one whose wake
 * has not started is dropped, and the canceller is told.
 *
 * Fairness between owners (SPEC 10.5): one owner has at most
 * `ownerConcurrency` wakes on the wire and holds at most a share of the
 * claim capacity (ownerCapacity), so another owner's alarm due at the same
 * instant as a flood is claimed by the next claim and sent in a free slot.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/service.js';
import { isConnectionError } from '../db/errors.js';
import { GroupCommit } from '../db/group-commit.js';
import { CANCEL_CHANNEL, claimKey, DUE_CHANNEL, type ClaimedRow } from '../store/claims.js';
import { WakeAbort } from './abort.js';
import { RecentCancels, type CancelAcks } from './cancels.js';
import { DatabaseClock } from './db-clock.js';
import type { DispatchObserver } from './observer.js';

/** A claimed alarm given a sending slot. */
export interface Job {
  readonly row: ClaimedRow;
  /** Ends the wake on the wire: its timeout, or stop(). */
  readonly abort: WakeAbort;
  /** Set by stop() when it aborts the wake at the drain timeout: the attempt was cut off, its outcome is unknown. */
  stopped: boolean;
  /** Gives the sending slot back; the executor calls it once the wake is off the wire (idempotent). */
  readonly offWire: () => void;
}

/**
 * The timers that hold a claim until its due instant (default: setTimeout).
 * Tests pass their own to see the delay asked for, and to run a timer when
 * they choose instead of waiting for the instant.
 */
export interface HoldTimers {
  set(fn: () => void, ms: number): unknown;
  clear(timer: unknown): void;
}

const NODE_TIMERS: HoldTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** Subscribes to a NOTIFY channel (postgres.js `sql.listen`). */
export type Listen = (channel: string, onNotify: (payload: string) => void) => Promise<{ unlisten(): Promise<void> }>;

/** What the producer needs. */
export interface ProducerOptions {
  readonly alarms: AlarmService;
  readonly listen: Listen;
  readonly log: Logger;
  /** This replica's id, written into claims. */
  readonly replica: string;
  readonly batchSize: number;
  /** Wakes on the wire at most. */
  readonly concurrency: number;
  /** Wakes of one owner on the wire at most. */
  readonly ownerConcurrency: number;
  readonly leaseMs: number;
  /** How far ahead of its due time an alarm is claimed; 0 claims only what is due. */
  readonly lookaheadMs: number;
  readonly pollIntervalMs: number;
  /** The target types this replica delivers: it claims alarms of these alone. */
  readonly targets: readonly string[];
  /** The longest attempt: a claim that waited for a slot is sent only with this much lease left. */
  readonly attemptTimeoutMs: number;
  /** Runs one job: sends the wake, calls `job.offWire()`, hands the outcome on. */
  readonly execute: (job: Job) => Promise<void>;
  readonly now?: () => number;
  /** Timers holding claims until their instant; setTimeout unless a test passes its own. */
  readonly holdTimers?: HoldTimers;
  /** The cancels of this process's API, which reach this producer's claims by a call instead of a NOTIFY round trip. */
  readonly cancelAcks?: CancelAcks;
  /** Told of each claim (metrics). */
  readonly observer?: DispatchObserver;
}

// After a database error the loop waits this long before claiming again, doubling up to the poll interval.
const ERROR_BACKOFF_MS = 100;
// Node's timers count whole milliseconds.
const TIMER_RESOLUTION_MS = 1;
// The error of an attempt that shutdown cut off.
const ABORTED_AT_SHUTDOWN = 'aborted: chronosd was shutting down';
// Acks of cancels go out together, one statement per group.
const ACK_GROUP_MAX = 1_000;

/**
 * How many claims one owner may hold at most: twice its sending slots, as
 * the whole capacity is twice the slots, but no less than half the capacity,
 * so that a flood of one owner still claims in batches of the usual size;
 * never more than the capacity.
 */
export function ownerCapacity(concurrency: number, ownerConcurrency: number): number {
  return Math.min(2 * concurrency, Math.max(2 * ownerConcurrency, concurrency));
}

/** A claim this replica holds: waiting for its due instant (`timer` set), queued for a sending slot, on the wire. */
interface Held extends Job {
  readonly key: string;
  queued: boolean;
  /** A {@link HoldTimers} timer. */
  timer: unknown;
  done: Promise<void> | undefined;
  /** Counted against the claim capacity until its wake is off the wire. */
  inCapacity: boolean;
  /** Holds a sending slot. */
  sending: boolean;
}

/** The producer service; events: `claimed` (rows), `idle`, `sleep` (ms: how long it means to sleep), `woke` (the sleep ended: its time, or a wake-up). */
export class Producer extends EventEmitter {
  private readonly now: () => number;
  private readonly timers: HoldTimers;
  private readonly held = new Map<string, Held>();
  /** Claims waiting, queued or on the wire: what the claim capacity limits. */
  private busy = 0;
  /** Wakes on the wire: what `concurrency` limits. */
  private sending = 0;
  /** Claims held, by owner: what `ownerCapacity` limits. */
  private readonly heldByOwner = new Map<string, number>();
  /** Wakes on the wire, by owner: what `ownerConcurrency` limits. */
  private readonly sendingByOwner = new Map<string, number>();
  /** Owners the last claim gave all their room: it may have passed over due alarms of theirs, so freed room wakes the loop. */
  private readonly full = new Set<string>();
  private readonly ownerCapacity: number;
  /** Due claims waiting for a sending slot, earliest first. */
  private readonly ready: Held[] = [];
  /**
   * Claims held at most: `concurrency` on the wire plus as many more
   * claimed and waiting, so the next claim's round trip overlaps the sends
   * instead of leaving the slots idle.
   */
  private readonly capacity: number;
  private readonly dbClock = new DatabaseClock();
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private plannedWakeAt = Infinity;
  private waitingForCapacity = false;
  private wakePending = false;
  private unlisten: (() => Promise<void>) | undefined;
  /** Cancels processed within a lease: a claim's rows can reach us after the NOTIFY of the cancel that took it. */
  private readonly cancels: RecentCancels;
  private readonly acks: GroupCommit<string, undefined>;

  constructor(private readonly o: ProducerOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.timers = o.holdTimers ?? NODE_TIMERS;
    this.capacity = 2 * o.concurrency;
    this.ownerCapacity = ownerCapacity(o.concurrency, o.ownerConcurrency);
    this.cancels = new RecentCancels(o.leaseMs);
    this.acks = new GroupCommit(
      async (ids) => {
        await o.alarms.acknowledgeCancels(o.replica, ids);
        return ids.map(() => undefined);
      },
      { maxGroup: ACK_GROUP_MAX, maxParallel: 1 },
    );
  }

  /** True between start() and stop(). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Wakes on the wire now. */
  get inFlight(): number {
    return this.sending;
  }

  /** Starts listening and claiming. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const due = await this.o.listen(DUE_CHANNEL, (payload) => this.onNotify(payload));
    const cancelled = await this.o.listen(CANCEL_CHANNEL, (alarmId) => this.cancel(alarmId, true));
    const detach = this.o.cancelAcks?.attach(this.o.replica, (alarmId) => this.cancel(alarmId, false));
    this.unlisten = async () => {
      detach?.();
      await due.unlisten();
      await cancelled.unlisten();
    };
    this.loopDone = this.loop();
  }

  /**
   * Ordered stop: no new claims, the claim in flight finished, claims not yet
   * sent handed back at once, wakes on the wire drained up to `drainTimeoutMs`,
   * the rest aborted (the executor settles them as cut off, `job.stopped`).
   */
  async stop(drainTimeoutMs: number): Promise<void> {
    if (!this.running && !this.loopDone) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    this.loopDone = undefined;
    await this.unlisten?.().catch(() => {});
    // Unsent: waiting for their instant or a slot (a claim being handed back has `done` and is waited for below).
    const unsent = [...this.held.values()].filter((h) => !h.sending && h.done === undefined);
    for (const h of unsent) this.drop(h);
    await this.handBack(unsent.map((h) => h.row.id), 'claims not yet sent handed back');
    const drained = await Promise.race([
      Promise.all([...this.held.values()].map((h) => h.done)).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), drainTimeoutMs).unref()),
    ]);
    if (!drained) {
      const cut = [...this.held.values()];
      for (const h of cut) {
        h.stopped = true;
        h.abort.abort(ABORTED_AT_SHUTDOWN);
      }
      await Promise.all(cut.map((h) => h.done));
      this.o.log.warn({ wakes: cut.length }, 'drain timeout: wakes aborted; each goes again at once as its next attempt');
    }
  }

  private async handBack(ids: string[], message: string): Promise<void> {
    if (ids.length === 0) return;
    const released = await this.o.alarms.handBack(this.o.replica, ids).catch((err: unknown) => {
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

  /**
   * Processes the cancel of `alarmId` once (SPEC 4.5: no attempt starts
   * after it): a claim of it whose wake has not started is dropped, and one
   * whose rows come later is never held. Heard by NOTIFY (`confirm`), it is
   * confirmed to the canceller, which waits for the holder's confirmation
   * (whether or not this replica is it: it cannot know before its rows
   * come); a call from this process's canceller needs none.
   */
  private cancel(alarmId: string, confirm: boolean): void {
    if (!this.cancels.add(alarmId, this.now())) return;
    for (const h of [...this.held.values()]) {
      if (h.row.id !== alarmId || h.sending) continue;
      this.drop(h);
      this.o.log.info({ alarm_id: alarmId }, 'alarm cancelled before its wake was sent: not sent');
    }
    if (confirm) this.acknowledge(alarmId);
  }

  private acknowledge(alarmId: string): void {
    this.acks.submit(alarmId).catch((err: unknown) => this.o.log.warn({ err, alarm_id: alarmId }, 'could not confirm a cancel; its canceller answers at the end of its wait'));
  }

  /** Forgets an unsent claim: its timer, its place in the queue, its capacity. */
  private drop(h: Held): void {
    if (h.timer !== undefined) this.timers.clear(h.timer);
    h.timer = undefined;
    if (h.queued) this.ready.splice(this.ready.indexOf(h), 1);
    h.queued = false;
    this.held.delete(h.key);
    this.freeCapacity(h);
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
    this.emit('sleep', ms);
    this.plannedWakeAt = this.now() + ms;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.plannedWakeAt = Infinity;
        resolve();
        this.emit('woke');
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
          const held = new Map(this.heldByOwner);
          const claimStarted = performance.now();
          const claim = await this.o.alarms.claim(this.o.replica, limit, this.o.leaseMs, this.o.lookaheadMs, this.o.targets, { max: this.ownerCapacity, held });
          this.o.observer?.claimed(performance.now() - claimStarted, claim.rows.length);
          this.dbClock.observe(claim.dbNow.getTime(), this.now());
          claimed = claim.rows.length;
          for (const row of claim.rows) this.hold(row, this.dbClock.toLocal(row.next_fire_at!.getTime()));
          this.markFull(held, claim.rows);
          if (claimed > 0) this.emit('claimed', claim.rows);
          if (!this.running) break;
          if (claimed === limit && this.busy < this.capacity) continue;
          if (claim.nextDueAt) waitMs = Math.min(waitMs, Math.max(0, Math.ceil(this.dbClock.toLocal(claim.nextDueAt.getTime()) - this.o.lookaheadMs / 2 - this.now())));
          // Due but not claimable (held mid-claim by another replica): do not spin.
          if (waitMs === 0 && claimed === 0) waitMs = 1;
        }
        if (!this.running) break;
        this.waitingForCapacity = this.busy >= this.capacity;
        backoffMs = ERROR_BACKOFF_MS;
        if (claimed === 0 && this.held.size === 0) this.emit('idle');
        if (waitMs > 0 && this.running) await this.sleep(waitMs);
      } catch (err) {
        this.o.log.warn({ err, retry_in_ms: backoffMs, connection: isConnectionError(err) }, 'claim failed; retrying');
        if (this.running) await this.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, this.o.pollIntervalMs);
      }
    }
  }

  /**
   * Remembers the owners the claim gave all the room it had for them (none,
   * for those holding their whole share when it started): they may have
   * more due, so their freed room wakes the loop (freeCapacity).
   */
  private markFull(heldAtClaim: ReadonlyMap<string, number>, rows: readonly ClaimedRow[]): void {
    const claimed = new Map<string, number>();
    for (const row of rows) count(claimed, row.owner, 1);
    this.full.clear();
    for (const owner of new Set([...heldAtClaim.keys(), ...claimed.keys()])) {
      if ((claimed.get(owner) ?? 0) >= this.ownerCapacity - (heldAtClaim.get(owner) ?? 0)) this.full.add(owner);
    }
  }

  /**
   * A full producer claims again once half a batch of capacity is free, not
   * at each freed slot: under load, claims of one or two rows would cost a
   * round trip each.
   */
  private freeCapacity(h: Held): void {
    if (!h.inCapacity) return;
    h.inCapacity = false;
    this.busy--;
    const owner = h.row.owner;
    const held = count(this.heldByOwner, owner, -1);
    const free = this.capacity - this.busy;
    if (this.waitingForCapacity && (free >= Math.min(this.o.batchSize, this.capacity) / 2 || this.busy === 0)) this.wake();
    // The same rule for an owner the last claims passed over: claim again once half its share is free.
    else if (this.full.has(owner) && held <= this.ownerCapacity / 2) {
      this.full.delete(owner);
      this.wake();
    }
  }

  /** Holds the claim until `sendAt` (our clock), then sends it as soon as a sending slot is free; not a cancelled one. */
  private hold(row: ClaimedRow, sendAt: number): void {
    if (this.cancels.has(row.id, this.now)) {
      this.o.log.info({ alarm_id: row.id }, 'alarm cancelled before its claim was seen: not sent');
      return;
    }
    // Keyed by claim: a row claimed again after a lease expiry is a different claim.
    const key = claimKey(row.id, row.claimed_at!);
    const h: Held = {
      key,
      row,
      abort: new WakeAbort(),
      stopped: false,
      offWire: () => this.offWire(h),
      queued: false,
      timer: undefined,
      done: undefined,
      inCapacity: true,
      sending: false,
    };
    this.held.set(key, h);
    this.busy++;
    count(this.heldByOwner, row.owner, 1);
    const due = () => {
      // Node counts a timer from the start of the loop turn that set it, so one set late in a long turn fires early:
      // re-armed for what is left. Within the timers' millisecond resolution it is sent (at most 1 ms early): a
      // re-arm costs a whole millisecond, and Node's and the wall clock's milliseconds are out of phase.
      const left = sendAt - this.now();
      if (left > TIMER_RESOLUTION_MS) {
        h.timer = this.timers.set(due, left);
        return;
      }
      h.timer = undefined;
      if (this.maySend(h)) this.send(h, false);
      else {
        h.queued = true;
        this.ready.push(h);
      }
    };
    if (sendAt - this.now() <= 0) return due();
    // Armed from the next loop turn: a timer counts from the start of the turn that sets it, and this turn, reading
    // the claim's answer, may have run for milliseconds already (the wake would leave that much early).
    h.timer = this.timers.set(() => {
      h.timer = this.timers.set(due, Math.max(0, sendAt - this.now()));
    }, 0);
  }

  /**
   * Sends `h` in a slot it was given. A claim that queued for its slot is
   * handed back instead when its lease would run out before the attempt's
   * timeout (it waited long behind a slow peer), rather than risk another
   * replica sending it too.
   */
  private send(h: Held, waited: boolean): void {
    this.sending++;
    count(this.sendingByOwner, h.row.owner, 1);
    h.sending = true;
    if (waited && this.dbClock.toLocal(h.row.lease_until!.getTime()) - this.now() < this.o.attemptTimeoutMs) {
      h.done = (async () => {
        this.offWire(h);
        try {
          await this.handBack([h.row.id], 'claim waited too long for a sending slot: handed back');
        } finally {
          // Held until handed back, so a stop() meanwhile waits for it before the pool closes.
          this.held.delete(h.key);
        }
      })();
      return;
    }
    h.done = this.o
      .execute(h)
      .catch((err: unknown) => this.o.log.error({ err, alarm_id: h.row.id }, 'attempt failed unexpectedly; its lease will expire and the wake be sent again'))
      .finally(() => {
        this.offWire(h);
        this.held.delete(h.key);
      });
  }

  /** A free slot on the wire, and one of its owner's. */
  private maySend(h: Held): boolean {
    return this.sending < this.o.concurrency && (this.sendingByOwner.get(h.row.owner) ?? 0) < this.o.ownerConcurrency;
  }

  /**
   * The wake is off the wire: its slot goes to the earliest queued claim
   * that may take it, its capacity back to claiming. One wake off the wire
   * frees one slot, so at most one queued claim can start.
   */
  private offWire(h: Held): void {
    if (!h.sending) return;
    h.sending = false;
    this.sending--;
    count(this.sendingByOwner, h.row.owner, -1);
    this.freeCapacity(h);
    const at = this.ready.findIndex((r) => this.maySend(r));
    if (at < 0) return;
    const [next] = this.ready.splice(at, 1);
    next!.queued = false;
    this.send(next!, true);
  }
}

/** Adds `by` to `key`'s count in `counts` (a count of 0 is removed); returns the new count. */
function count(counts: Map<string, number>, key: string, by: number): number {
  const n = (counts.get(key) ?? 0) + by;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
  return n;
}
