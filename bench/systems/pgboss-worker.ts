/**
 * A pg-boss worker process, spawned by pgboss.ts with its settings as JSON in
 * `BENCH_PGBOSS`. Registers `loops` work() loops, started evenly apart within
 * one polling interval; each POSTs a wake per job of its batch, all at once.
 * A job whose POST failed is failed on its own (pg-boss retries it); the rest
 * of the batch completes when the handler returns. Prints `ready` once
 * working; SIGTERM stops pg-boss gracefully and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import type { PgBossWorkerConfig } from './pgboss.js';
import { postWake, type WakeJob } from './post-wake.js';

const config = JSON.parse(process.env.BENCH_PGBOSS!) as PgBossWorkerConfig;
const boss = new PgBoss({ connectionString: config.databaseUrl, max: config.poolSize, migrate: false, schedule: false, supervise: false });
boss.on('error', (err) => console.error('pg-boss worker:', err));
await boss.start();

async function handle(jobs: PgBoss.Job<WakeJob>[]): Promise<void> {
  // Attempt 1: the stub answers 204, so no job is retried; pg-boss tells the retry count only to work() with includeMetadata, a wider fetch.
  const results = await Promise.allSettled(jobs.map((job) => postWake(config.routerUrl, job.data, 1)));
  const failed = jobs.filter((_, i) => results[i]!.status === 'rejected').map((job) => job.id);
  if (failed.length > 0) await boss.fail(config.queue, failed);
}

const options = { batchSize: config.batchSize, pollingIntervalSeconds: config.pollingIntervalSeconds };
for (let loop = 0; loop < config.loops; loop++) {
  if (loop > 0) await sleep((config.pollingIntervalSeconds * 1000) / config.loops);
  await boss.work<WakeJob>(config.queue, options, handle);
}
console.log('ready');

process.once('SIGTERM', () => {
  boss.stop({ graceful: true, timeout: 5_000 }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('pg-boss worker: stop failed:', err);
      process.exit(1);
    },
  );
});
