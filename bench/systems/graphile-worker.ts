/**
 * A graphile-worker process, spawned by graphile.ts with its settings as JSON
 * in `BENCH_GRAPHILE`. Runs one worker pool whose only task POSTs the job's
 * wake (a throw fails the job; graphile-worker retries it with backoff).
 * Prints `ready` once working; SIGTERM stops the runner gracefully and exits.
 */
import { Logger, run } from 'graphile-worker';
import type { GraphileWorkerConfig } from './graphile.js';
import { postWake, type WakeJob } from './post-wake.js';

const config = JSON.parse(process.env.BENCH_GRAPHILE!) as GraphileWorkerConfig;

// Warnings and errors to stderr; stdout carries `ready`.
const logger = new Logger(() => (level, message) => {
  if (level === ('error' as typeof level) || level === ('warning' as typeof level)) console.error(`graphile-worker ${level}: ${message}`);
});

const runner = await run({
  connectionString: config.databaseUrl,
  maxPoolSize: config.maxPoolSize,
  concurrency: config.concurrency,
  pollInterval: config.pollInterval,
  noHandleSignals: true,
  logger,
  taskList: {
    [config.task]: async (payload, helpers) => {
      await postWake(config.routerUrl, payload as WakeJob, helpers.job.attempts);
    },
  },
  parsedCronItems: [],
  preset: { worker: { localQueue: { size: config.localQueueSize }, completeJobBatchDelay: config.completeJobBatchDelay } },
});
console.log('ready');

process.once('SIGTERM', () => {
  runner.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('graphile-worker: stop failed:', err);
      process.exit(1);
    },
  );
});
