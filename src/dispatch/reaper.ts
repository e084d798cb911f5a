/** Takes back claims whose lease expired (a replica died mid-attempt), on its own interval. */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { newAttemptId } from '../ids.js';
import { recoverExpiredLeases } from '../store/claims.js';
import type { Schema } from '../store/schema.js';

const BATCH = 500;

/** The reaper service. */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Starts; idempotent. */
  start(): void {
    this.timer ??= setInterval(() => void this.reapOnce(), this.intervalMs).unref();
  }

  /** Stops and waits for a round in progress; idempotent. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** One round; returns how many claims were taken back. Errors are logged, not thrown. */
  reapOnce(): Promise<number> {
    this.running ??= (async () => {
      let total = 0;
      try {
        for (;;) {
          const recovered = await recoverExpiredLeases(this.db, BATCH, newAttemptId);
          total += recovered.length;
          for (const r of recovered) this.log.warn({ alarm_id: r.id, fire_id: r.fire_id, replica: r.claimed_by }, 'lease expired: claim taken back');
          if (recovered.length < BATCH) break;
        }
      } catch (err) {
        this.log.warn({ err }, 'lease recovery failed; will retry');
      }
      return total;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
