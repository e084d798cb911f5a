/**
 * What the bench (bench/systems/pgboss.ts, graphile.ts) tells the peers'
 * processes, as JSON in one environment variable, and what it asks their
 * control processes. Imports nothing: both sides load it.
 */

/** pg-boss: the control process and each worker process, in `BENCH_PGBOSS`. */
export interface PgBossSettings {
  readonly databaseUrl: string;
  readonly routerUrl: string;
  readonly queue: string;
  /** work() calls a worker process makes, started pollingIntervalSeconds / loops apart. */
  readonly loops: number;
  /** Workers (fetch loops) each work() call spawns, all at once. */
  readonly localConcurrency: number;
  readonly batchSize: number;
  readonly burstWhenBatchFull: boolean;
  readonly pollingIntervalSeconds: number;
  /** node-postgres pool size of a worker process's pg-boss. */
  readonly poolSize: number;
  /** Jobs per insert() and inserts at a time (control process). */
  readonly insertChunk: number;
  readonly insertLanes: number;
}

/** graphile-worker: the control process and each worker process, in `BENCH_GRAPHILE`. */
export interface GraphileSettings {
  readonly databaseUrl: string;
  readonly routerUrl: string;
  readonly task: string;
  readonly concurrency: number;
  readonly pollInterval: number;
  readonly localQueueSize: number;
  readonly completeJobBatchDelay: number;
  readonly maxPoolSize: number;
  /** Jobs per addJobs() and calls at a time (control process). */
  readonly addChunk: number;
  readonly addLanes: number;
}

/** A control process's one request: schedule one job per instant (epoch milliseconds). */
export interface ScheduleRequest {
  readonly dues: readonly number[];
}
