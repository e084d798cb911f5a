/**
 * The dispatcher, in River's parts: the producer claims due alarms and gives
 * each a sending slot at its instant; the deliverer of the alarm's target
 * sends the attempt; the completer settles the outcomes in groups. (Lease
 * recovery and cleaning are maintenance jobs of their own.) This class wires
 * them together and stops them in order.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/service.js';
import type { ClaimedRow } from '../store/claims.js';
import type { CancelAcks } from './cancels.js';
import { Completer, type SettledEvent } from './completer.js';
import type { Policy } from './decide.js';
import type { Deliverers } from './deliverer.js';
import { misfireReschedule } from './misfire.js';
import type { DispatchObserver } from './observer.js';
import { Producer, type HoldTimers, type Job, type Listen } from './producer.js';

export type { SettledEvent } from './completer.js';

/** Everything the dispatcher needs. */
export interface DispatcherOptions {
  readonly alarms: AlarmService;
  /** NOTIFY subscriptions (postgres.js `sql.listen`). */
  readonly listen: Listen;
  readonly log: Logger;
  /** This replica's id, written into claims. */
  readonly replica: string;
  readonly deliverers: Deliverers;
  readonly policy: Policy;
  readonly batchSize: number;
  readonly concurrency: number;
  /** Wakes of one owner in flight at most (SPEC 10.5). */
  readonly ownerConcurrency: number;
  readonly leaseMs: number;
  /** How far ahead of its due time an alarm is claimed; 0 claims only what is due. */
  readonly lookaheadMs: number;
  readonly pollIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly now?: () => number;
  /** Timers holding claims until their instant; setTimeout unless a test passes its own. */
  readonly holdTimers?: HoldTimers;
  /** The cancels of this process's API (the one its AlarmService waits on): they reach this dispatcher's claims by a call. */
  readonly cancelAcks?: CancelAcks;
  /** Told of each claim and attempt (metrics). */
  readonly observer?: DispatchObserver;
}

/** The dispatcher service; events: `claimed` (ClaimedRow[]), `settled` (SettledEvent), `idle`, `sleep` (ms), `woke`. */
export class Dispatcher extends EventEmitter {
  private readonly now: () => number;
  private readonly producer: Producer;
  private readonly completer: Completer;
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: DispatcherOptions) {
    super();
    this.now = o.now ?? Date.now;
    this.producer = new Producer({
      alarms: o.alarms,
      listen: o.listen,
      log: o.log,
      replica: o.replica,
      batchSize: o.batchSize,
      concurrency: o.concurrency,
      ownerConcurrency: o.ownerConcurrency,
      leaseMs: o.leaseMs,
      lookaheadMs: o.lookaheadMs,
      pollIntervalMs: o.pollIntervalMs,
      targets: Object.keys(o.deliverers),
      attemptTimeoutMs: Math.max(...Object.values(o.deliverers).map((d) => d.timeoutMs)),
      execute: (job) => this.execute(job),
      now: this.now,
      holdTimers: o.holdTimers,
      cancelAcks: o.cancelAcks,
      observer: o.observer,
    });
    this.completer = new Completer({ alarms: o.alarms, log: o.log, replica: o.replica, policy: o.policy, leaseMs: o.leaseMs, now: this.now, observer: o.observer });
    this.producer.on('claimed', (rows: ClaimedRow[]) => this.emit('claimed', rows));
    this.producer.on('idle', () => this.emit('idle'));
    this.producer.on('sleep', (ms: number) => this.emit('sleep', ms));
    this.producer.on('woke', () => this.emit('woke'));
    this.completer.on('settled', (e: SettledEvent) => this.emit('settled', e));
  }

  /** `running` or `stopping`. */
  status(): string {
    return this.producer.isRunning ? 'running' : 'stopping';
  }

  /** Wakes on the wire now. */
  get inFlight(): number {
    return this.producer.inFlight;
  }

  /** Starts listening and claiming; idempotent. */
  async start(): Promise<void> {
    if (this.producer.isRunning || this.stopping) return;
    await this.producer.start();
    this.o.log.info({ replica: this.o.replica, concurrency: this.o.concurrency, owner_concurrency: this.o.ownerConcurrency, batch_size: this.o.batchSize, lookahead_ms: this.o.lookaheadMs }, 'dispatcher started');
  }

  /**
   * Ordered stop (SPEC 2): no new claims, unsent claims handed back, wakes
   * on the wire drained up to drainTimeoutMs (the rest aborted, to go again
   * at once), their settles written, the connections closed. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.producer.stop(this.o.drainTimeoutMs);
      await this.completer.stop();
      await Promise.all(Object.values(this.o.deliverers).map((d) => d.close()));
      this.o.log.info('dispatcher stopped');
    })();
    return this.stopping;
  }

  /** Sends one attempt through its target's deliverer, then hands its outcome to the completer; a missed occurrence its misfire policy drops is settled unsent. */
  private async execute(job: Job): Promise<void> {
    const { row } = job;
    const firedAt = new Date(this.now());
    const missed = misfireReschedule(row, firedAt.getTime(), this.o.policy);
    if (missed) {
      job.offWire();
      this.completer.reschedule(row, missed);
      return;
    }
    const started = performance.now();
    // Every claimed row has a deliverer: the producer claims only the types in Deliverers.
    const result = await this.o.deliverers[row.target.type]!.deliver(row, firedAt, job.abort);
    job.offWire();
    // Aborted by stop(): cut off, unless an answer came first (then it is settled as any other).
    const cutOff = job.stopped && result.kind === 'error';
    this.completer.complete({ row, result, firedAt, durationMs: Math.round(performance.now() - started), cutOff });
  }
}
