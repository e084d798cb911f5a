/**
 * A graphile-worker process (Node 22), started by bench/systems/graphile.ts
 * with its settings in `BENCH_GRAPHILE`. Runs one worker pool whose only
 * task POSTs the job's wake (a throw fails the job; graphile-worker retries
 * it with backoff). SIGTERM stops the runner gracefully.
 */
// Resolved from bench/peers/node_modules, which the bench installs on demand: typed where it is installed, `any` where it is not (the root's `npm ci`).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- @ts-expect-error would fail where it is installed
// @ts-ignore
import { Logger, run, type JobHelpers, type LogLevel } from 'graphile-worker';
import type { WakeJob } from './alarm.js';
import { ready, settings } from './process.js';
import type { GraphileSettings } from './settings.js';
import { postWake } from './wake.js';

const config = settings<GraphileSettings>('BENCH_GRAPHILE');

// Warnings and errors to stderr: the default logger writes a line per completed job.
const logger = new Logger(() => (level: LogLevel, message: string) => {
  if (level === 'error' || level === 'warning') console.error(`graphile-worker ${level}: ${message}`);
});

const runner = await run({
  connectionString: config.databaseUrl,
  maxPoolSize: config.maxPoolSize,
  concurrency: config.concurrency,
  pollInterval: config.pollInterval,
  noHandleSignals: true,
  logger,
  taskList: {
    [config.task]: async (payload: unknown, helpers: JobHelpers) => {
      await postWake(config.routerUrl, payload as WakeJob, helpers.job.attempts);
    },
  },
  parsedCronItems: [],
  preset: { worker: { localQueue: { size: config.localQueueSize }, completeJobBatchDelay: config.completeJobBatchDelay } },
});
ready('graphile-worker', () => runner.stop());
