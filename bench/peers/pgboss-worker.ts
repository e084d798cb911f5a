/**
 * A pg-boss worker process (Node 22), started by bench/systems/pgboss.ts with
 * its settings in `BENCH_PGBOSS`. Makes `loops` work() calls, started evenly
 * apart within one polling interval, each spawning `localConcurrency` fetch
 * loops; a loop POSTs a wake per job of its batch, all at once. A job whose
 * POST failed is failed on its own (pg-boss retries it); the rest of the
 * batch completes when the handler returns.
 */
import { setTimeout as sleep } from 'node:timers/promises';
// Resolved from bench/peers/node_modules, which the bench installs on demand: typed where it is installed, `any` where it is not (the root's `npm ci`).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- @ts-expect-error would fail where it is installed
// @ts-ignore
import { PgBoss, type Job, type WorkOptions } from 'pg-boss';
import type { WakeJob } from './alarm.js';
import { ready, settings } from './process.js';
import type { PgBossSettings } from './settings.js';
import { postWake } from './wake.js';

const config = settings<PgBossSettings>('BENCH_PGBOSS');
const boss = new PgBoss({ connectionString: config.databaseUrl, max: config.poolSize, migrate: false, schedule: false, supervise: false });
boss.on('error', (err: unknown) => console.error('pg-boss worker:', err));
await boss.start();

async function handle(jobs: Job<WakeJob>[]): Promise<void> {
  // Attempt 1: the stub answers 204, so no job is retried; pg-boss tells the retry count only to work() with includeMetadata, a wider fetch.
  const results = await Promise.allSettled(jobs.map((job) => postWake(config.routerUrl, job.data, 1)));
  const failed = jobs.filter((_, i) => results[i]!.status === 'rejected').map((job) => job.id);
  if (failed.length > 0) await boss.fail(config.queue, failed);
}

const options: WorkOptions = {
  batchSize: config.batchSize,
  localConcurrency: config.localConcurrency,
  burstWhenBatchFull: config.burstWhenBatchFull,
  pollingIntervalSeconds: config.pollingIntervalSeconds,
};
for (let loop = 0; loop < config.loops; loop++) {
  if (loop > 0) await sleep((config.pollingIntervalSeconds * 1000) / config.loops);
  await boss.work<WakeJob>(config.queue, options, handle);
}
ready('pg-boss worker', () => boss.stop({ graceful: true, timeout: 5_000 }));
