/**
 * A maintenance job that runs on its own interval in small batches (nonce
 * sweeping, lease recovery, fire retention): every round repeats the batch
 * until it comes back short, so no statement holds locks for long.
 */
import type { Logger } from 'pino';

/** What a job does and how often. */
export interface PeriodicBatchJobOptions {
  readonly name: string;
  readonly log: Logger;
  readonly intervalMs: number;
  /** Rows per batch: a batch that handles fewer ends the round. */
  readonly batch: number;
  /** Batches per round at most, so one round cannot run for ever. */
  readonly maxBatches: number;
  /** Handles up to `batch` rows; returns how many. */
  readonly runBatch: (batch: number) => Promise<number>;
}

/** The job; start()/stop() are idempotent. */
export class PeriodicBatchJob {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<number> | undefined;

  constructor(private readonly o: PeriodicBatchJobOptions) {}

  /** Runs a round every interval. */
  start(): void {
    this.timer ??= setInterval(() => void this.runOnce(), this.o.intervalMs).unref();
  }

  /** Stops and waits for a round in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => {});
  }

  /** One round (joining one in progress); returns the rows handled. Errors are logged, not thrown. */
  runOnce(): Promise<number> {
    this.round ??= (async () => {
      let total = 0;
      try {
        for (let i = 0; i < this.o.maxBatches; i++) {
          const n = await this.o.runBatch(this.o.batch);
          total += n;
          if (n < this.o.batch) break;
        }
        if (total > 0) this.o.log.debug({ job: this.o.name, rows: total }, 'maintenance round done');
      } catch (err) {
        this.o.log.warn({ err, job: this.o.name }, 'maintenance round failed; will retry');
      }
      return total;
    })().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }
}
