/** Deletes expired DID challenges in small batches, on its own interval. */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { deleteExpiredNonces } from '../store/nonces.js';
import type { Schema } from '../store/schema.js';

// Small batches keep each DELETE short; a burst of abandoned challenges drains over a few rounds.
const BATCH = 1_000;
const MAX_BATCHES_PER_ROUND = 20;

/** The sweeper service. */
export class NonceSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  /** Starts sweeping every interval; idempotent. */
  start(): void {
    this.timer ??= setInterval(() => void this.sweepOnce(), this.intervalMs).unref();
  }

  /** Stops and waits for a round in progress; idempotent. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** One round: deletes expired nonces batch by batch; returns how many. Errors are logged, not thrown. */
  sweepOnce(): Promise<number> {
    this.running ??= (async () => {
      let total = 0;
      try {
        for (let i = 0; i < MAX_BATCHES_PER_ROUND; i++) {
          const n = await deleteExpiredNonces(this.db, BATCH);
          total += n;
          if (n < BATCH) break;
        }
        if (total > 0) this.log.debug({ deleted: total }, 'expired nonces deleted');
      } catch (err) {
        this.log.warn({ err }, 'nonce sweep failed; will retry');
      }
      return total;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
