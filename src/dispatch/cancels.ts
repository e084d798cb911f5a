/**
 * The cancel handshake (SPEC 4.5: from `cancelled`, no further attempt
 * starts). A cancel of a firing alarm commits, then waits until the replica
 * holding its claim has processed it: dropped the claim if its wake had not
 * started, found it on the wire or done, or (its rows not come yet) noted
 * the cancel so that they are never held. Only then does the cancel answer,
 * so no attempt starts after the answer. Every dispatcher hears of the
 * cancel by a NOTIFY (CANCEL_CHANNEL, the alarm id) and confirms on
 * CANCEL_ACK_CHANNEL; the canceller waits for the holder's confirmation. A
 * holder in the canceller's own process is called instead. The wake path
 * pays nothing for this: the cost is on the (rare) cancel of a firing alarm.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { CANCEL_ACK_CHANNEL } from '../store/claims.js';
import type { Listen } from './producer.js';

/** A cancel waits at most this long for the holder of the claim (and never past its lease). */
export const CANCEL_ACK_WAIT_MS = 2_000;

/** The claim a cancel took from a replica. */
export interface DroppedClaim {
  readonly replica: string;
  /** How long its lease still ran when the cancel committed, by the database clock (0: expired). */
  readonly leaseLeftMs: number;
}

/** The confirmations of one alarm's cancel, watched from before the cancel is written. */
export interface CancelWatch {
  /**
   * Resolves once the replica that held `claim` has processed the cancel:
   * true; false after {@link CANCEL_ACK_WAIT_MS} or the rest of its lease,
   * whichever is shorter, and at once when the lease had expired (a holder
   * past its lease is taken for dead).
   */
  until(claim: DroppedClaim): Promise<boolean>;
  /** Stops watching; call it once the cancel has answered. */
  close(): void;
}

/**
 * The canceller's side: listens for acks, and knows the producers of this
 * process. Every process that serves the API runs one, dispatcher or not.
 * Events: `waiting` ({ alarmId, replica }) when a cancel starts waiting for
 * a holder's ack.
 */
export class CancelAcks extends EventEmitter {
  /** Per alarm id: the replicas whose ack came, for each watch of it. */
  private readonly watches = new Map<string, Set<(replica: string) => void>>();
  private readonly local = new Map<string, (alarmId: string) => void>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly o: { readonly listen: Listen; readonly log: Logger }) {
    super();
  }

  /** Starts listening for acks; idempotent. */
  async start(): Promise<void> {
    if (this.unlisten) return;
    const sub = await this.o.listen(CANCEL_ACK_CHANNEL, (payload) => this.onAck(payload));
    this.unlisten = () => sub.unlisten();
  }

  /** Stops listening; a cancel still waiting then answers at the end of its wait. */
  async stop(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
  }

  /**
   * A producer of this process: a cancel of a claim `replica` holds is
   * processed by calling `onCancel`, not by a NOTIFY round trip. Returns
   * the detach.
   */
  attach(replica: string, onCancel: (alarmId: string) => void): () => void {
    this.local.set(replica, onCancel);
    return () => {
      if (this.local.get(replica) === onCancel) this.local.delete(replica);
    };
  }

  /** Watches for acks of `alarmId`'s cancel from now: start before the cancel is written, as an ack can come before its answer. */
  watch(alarmId: string): CancelWatch {
    const acked = new Set<string>();
    let waiter: { replica: string; done: (ok: boolean) => void } | undefined;
    const onAck = (replica: string) => {
      acked.add(replica);
      if (waiter?.replica === replica) waiter.done(true);
    };
    const watching = this.watches.get(alarmId) ?? new Set();
    watching.add(onAck);
    this.watches.set(alarmId, watching);
    return {
      until: ({ replica, leaseLeftMs }) => {
        const local = this.local.get(replica);
        if (local) {
          local(alarmId);
          return Promise.resolve(true);
        }
        if (acked.has(replica)) return Promise.resolve(true);
        const waitMs = Math.min(CANCEL_ACK_WAIT_MS, leaseLeftMs);
        if (waitMs <= 0) return Promise.resolve(false);
        this.emit('waiting', { alarmId, replica });
        return new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => {
            this.o.log.warn({ alarm_id: alarmId, replica, waited_ms: waitMs }, 'cancel answered without the confirmation of the replica holding its claim: a wake it holds may still start');
            waiter = undefined;
            resolve(false);
          }, waitMs);
          waiter = {
            replica,
            done: (ok) => {
              clearTimeout(timer);
              waiter = undefined;
              resolve(ok);
            },
          };
        });
      },
      close: () => {
        waiter?.done(false);
        watching.delete(onAck);
        if (watching.size === 0 && this.watches.get(alarmId) === watching) this.watches.delete(alarmId);
      },
    };
  }

  private onAck(payload: string): void {
    const space = payload.indexOf(' ');
    if (space < 0) return;
    const watching = this.watches.get(payload.slice(0, space));
    if (!watching) return;
    const replica = payload.slice(space + 1);
    for (const onAck of watching) onAck(replica);
  }
}

/**
 * The holder's side: the alarms whose cancel this replica has processed,
 * each kept for a lease. A claim commits before the cancel that takes it,
 * but its rows reach the producer on another connection than the cancel's
 * NOTIFY and can come after it; the producer looks each claimed row up here
 * and never holds a cancelled one. At most `max` are kept (the oldest go
 * first), all expiring after the same time, so insertion order is expiry order.
 */
export class RecentCancels {
  private readonly expiry = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 100_000,
  ) {}

  /** Remembers the cancel of `alarmId` at `nowMs`; false when it is remembered already (processed before). */
  add(alarmId: string, nowMs: number): boolean {
    for (const [id, expiresAt] of this.expiry) {
      if (expiresAt > nowMs && this.expiry.size < this.max) break;
      this.expiry.delete(id);
    }
    if (this.expiry.has(alarmId)) return false;
    this.expiry.set(alarmId, nowMs + this.ttlMs);
    return true;
  }

  /** Whether the cancel of `alarmId` was processed (within the last lease). */
  has(alarmId: string, now: () => number): boolean {
    const expiresAt = this.expiry.get(alarmId);
    return expiresAt !== undefined && expiresAt > now();
  }
}
