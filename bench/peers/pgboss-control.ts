/**
 * pg-boss's control process (Node 22), started by bench/systems/pgboss.ts with
 * the settings in `BENCH_PGBOSS`: installs pg-boss's schema, creates the
 * queue, then inserts the jobs of each schedule request on stdin. Its CPU is
 * not counted: the bench process did this work before the peers moved here.
 */
// Resolved from bench/peers/node_modules, which the bench installs on demand: typed where it is installed, `any` where it is not (the root's `npm ci`).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- @ts-expect-error would fail where it is installed
// @ts-ignore
import { PgBoss } from 'pg-boss';
import { wakeJobs } from './alarm.js';
import { inChunks, ready, serve, settings } from './process.js';
import type { PgBossSettings, ScheduleRequest } from './settings.js';

const config = settings<PgBossSettings>('BENCH_PGBOSS');
const boss = new PgBoss({ connectionString: config.databaseUrl, max: config.insertLanes, schedule: false, supervise: false });
boss.on('error', (err: unknown) => console.error('pg-boss control:', err));
await boss.start();
await boss.createQueue(config.queue);
const stop = () => boss.stop({ graceful: false });
ready('pg-boss control', stop);

await serve<ScheduleRequest>(({ dues }) =>
  inChunks(dues.length, config.insertChunk, config.insertLanes, (from, to) =>
    boss.insert(
      config.queue,
      wakeJobs(dues, from, to).map((job) => ({ data: job, startAfter: job.scheduled_for })),
    ),
  ),
);
// stdin closed: the bench is gone.
await stop();
