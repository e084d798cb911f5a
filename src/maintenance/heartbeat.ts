/**
 * The replica's heartbeat: every few seconds it announces itself (version,
 * host, dispatch state, wakes in flight) in the replicas table, which GET
 * /v1/admin/status reads, and stores the lateness it counted since the last
 * beat (GET /v1/admin/lateness); at stop it removes itself. A failed beat is
 * logged and tried again at the next, with the counts it could not store.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { LatenessTally } from '../metrics/lateness.js';
import { recordLatenessSample } from '../store/lateness.js';
import { announceReplica, forgetReplica, type ReplicaBeat } from '../store/replicas.js';
import type { Schema } from '../store/schema.js';

/** A replica announces itself this often; the status shows the ones seen within 30 s. */
export const HEARTBEAT_MS = 5_000;
// A row not refreshed for this long belongs to a replica that died without removing it.
const FORGET_AFTER_MS = 86_400_000;
/** Lateness samples are kept this long: the dashboard plots a day at most. */
export const LATENESS_KEEP_MS = 86_400_000;

/** What the heartbeat needs. */
export interface HeartbeatOptions {
  readonly db: Kysely<Schema>;
  readonly log: Logger;
  readonly replica: Omit<ReplicaBeat, 'dispatch' | 'inFlight'>;
  readonly dispatch: () => string;
  readonly inFlight: () => number;
  /** The first attempts' lateness this replica counts, stored at each beat. */
  readonly lateness: LatenessTally;
  /** The due backlog as last counted (chronos_due_backlog), null when nothing counts it. */
  readonly backlog: () => number | null;
  readonly intervalMs?: number;
}

/** The heartbeat; start() announces at once. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(private readonly o: HeartbeatOptions) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.o.intervalMs ?? HEARTBEAT_MS).unref();
  }

  /** Stops beating and removes the replica's row (best effort: the status stops showing it 30 s later anyway). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await forgetReplica(this.o.db, this.o.replica.id).catch((err: unknown) => this.o.log.warn({ err }, 'could not remove this replica from the replicas table'));
  }

  private beat(): Promise<void> {
    this.beating ??= this.announce()
      .catch((err: unknown) => this.o.log.warn({ err }, 'heartbeat failed; will try again'))
      .finally(() => {
        this.beating = undefined;
      });
    return this.beating;
  }

  private async announce(): Promise<void> {
    await announceReplica(this.o.db, { ...this.o.replica, dispatch: this.o.dispatch(), inFlight: this.o.inFlight() }, FORGET_AFTER_MS);
    const counts = this.o.lateness.take();
    try {
      await recordLatenessSample(this.o.db, this.o.replica.id, counts, this.o.backlog(), LATENESS_KEEP_MS);
    } catch (err) {
      this.o.lateness.giveBack(counts);
      throw err;
    }
  }
}
