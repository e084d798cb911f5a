/**
 * Refreshes the queue-wide gauges from one count (store/queue-stats.ts) every
 * few seconds, so a scrape reads numbers and never the database, however
 * often it comes.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { queueStats } from '../store/queue-stats.js';
import type { Schema } from '../store/schema.js';
import type { Metrics } from './metrics.js';

/**
 * How often the queue is counted unless a caller says otherwise: the count by
 * status reads the whole alarms table on each replica (its cost: docs/operations.md,
 * Metrics), so not much more often than Prometheus scrapes.
 */
export const QUEUE_STATS_INTERVAL_MS = 10_000;

/** What the poller needs. */
export interface QueuePollerOptions {
  readonly db: Kysely<Schema>;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly intervalMs?: number;
}

/** The poller; start()/stop() are idempotent. */
export class QueuePoller {
  private timer: NodeJS.Timeout | undefined;
  private counting: Promise<void> | undefined;

  constructor(private readonly o: QueuePollerOptions) {}

  /** Counts at once, then every interval. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.o.intervalMs ?? QUEUE_STATS_INTERVAL_MS).unref();
    void this.refresh();
  }

  /** Stops and waits for a count in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.counting;
  }

  /** One count (joining one in progress); a failure is logged and the gauges keep their last values. */
  refresh(): Promise<void> {
    this.counting ??= queueStats(this.o.db)
      .then((stats) => this.o.metrics.queueCounted(stats))
      .catch((err: unknown) => this.o.log.warn({ err }, 'counting the queue for metrics failed; will retry'))
      .finally(() => {
        this.counting = undefined;
      });
    return this.counting;
  }
}
