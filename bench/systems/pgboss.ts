/**
 * pg-boss as a peer. The bench process installs pg-boss's schema, creates the
 * queue and bulk-inserts the jobs; `processes` worker processes
 * (pgboss-worker.ts) work them, each job POSTing one wake.
 *
 * Settings, checked in node_modules/pg-boss (10.4.2):
 * - `pollingIntervalSeconds` 0.5, the least it accepts (src/attorney.js:
 *   `MIN_POLLING_INTERVAL_MS: 500`). pg-boss 10 has no LISTEN/NOTIFY for new
 *   jobs; its workers only poll.
 * - Each `work()` call is one loop (src/worker.js): fetch up to `batchSize`
 *   jobs, await the handler, complete the batch, then sleep out the rest of
 *   the interval when the round took less than 400 ms
 *   (`interval - duration > 100`). One loop thus polls at most twice a
 *   second and handles at most `batchSize` jobs per 0.5 s. LOOPS loops,
 *   started interval / LOOPS apart, poll in turn: a due job waits up to about
 *   125 ms for a poll (8 polls a second a process, near graphile-worker's 10
 *   at 100 ms), and a burst drains at up to 4 x 250 / 0.5 s = 2,000 jobs/s,
 *   more than this machine's CPU allows (a 5,000 burst: about 1,300/s; with
 *   batchSize 100, 750/s).
 * - `schedule: false`: no cron, so no timekeeper polling for cron jobs and
 *   clock skew. `supervise: false`: maintenance (every 120 s) fails jobs
 *   expired after 15 min and archives completed ones after 12 h: nothing
 *   within a run. State monitoring is off by default.
 *
 * Scheduling: `insert` writes one chunk in one statement (json_to_recordset);
 * four chunks at a time. 100,000 jobs took 2.7-2.9 s here (one at a time:
 * 6-7 s; two: 3.3 s).
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import PgBoss from 'pg-boss';
import { wakeJobs } from './post-wake.js';
import { cpuSecondsOfAll, rssBytesOfAll } from './proc.js';
import { inChunks, startWorker, terminate } from './worker-process.js';
import type { SystemContext, SystemUnderTest } from './system.js';

/** What a worker process is told, as JSON in `BENCH_PGBOSS`. */
export interface PgBossWorkerConfig {
  readonly databaseUrl: string;
  readonly routerUrl: string;
  readonly queue: string;
  readonly loops: number;
  readonly batchSize: number;
  readonly pollingIntervalSeconds: number;
  /** node-postgres pool size of the worker's pg-boss. */
  readonly poolSize: number;
}

const QUEUE = 'wake';
const LOOPS = 4;
const BATCH_SIZE = 250;
const POLLING_INTERVAL_SECONDS = 0.5;
const POOL_SIZE = 10;
const INSERT_CHUNK = 5_000;
const INSERT_LANES = 4;

const VERSION = (createRequire(import.meta.url)('pg-boss/package.json') as { version: string }).version;
const WORKER = new URL('./pgboss-worker.ts', import.meta.url);
const ENV_VAR = 'BENCH_PGBOSS';

/** pg-boss, worked by `ctx.processes` worker processes. */
export function pgBoss(): SystemUnderTest {
  let boss: PgBoss | undefined;
  let children: ChildProcess[] = [];
  return {
    name: `pg-boss ${VERSION}`,
    settings: `${LOOPS} work() loops a process, started ${(POLLING_INTERVAL_SECONDS * 1000) / LOOPS} ms apart, batchSize ${BATCH_SIZE} POSTed in parallel, pollingIntervalSeconds ${POLLING_INTERVAL_SECONDS} (the minimum), pool ${POOL_SIZE}; cron and maintenance off`,

    async start(ctx: SystemContext): Promise<void> {
      boss = new PgBoss({ connectionString: ctx.databaseUrl, max: INSERT_LANES, schedule: false, supervise: false });
      boss.on('error', (err) => console.error('pg-boss (bench side):', err));
      await boss.start();
      await boss.createQueue(QUEUE);
      const config: PgBossWorkerConfig = {
        databaseUrl: ctx.databaseUrl,
        routerUrl: ctx.routerUrl,
        queue: QUEUE,
        loops: LOOPS,
        batchSize: BATCH_SIZE,
        pollingIntervalSeconds: POLLING_INTERVAL_SECONDS,
        poolSize: POOL_SIZE,
      };
      children = await Promise.all(Array.from({ length: ctx.processes }, () => startWorker(WORKER, ENV_VAR, config)));
    },

    async schedule(dues: readonly Date[]): Promise<void> {
      await inChunks(dues.length, INSERT_CHUNK, INSERT_LANES, (from, to) =>
        boss!.insert(wakeJobs(dues, from, to).map((job): PgBoss.JobInsert => ({ name: QUEUE, data: job, startAfter: job.scheduled_for }))),
      );
    },

    cpuSeconds: () => cpuSecondsOfAll(children),
    rssBytes: () => rssBytesOfAll(children),

    async stop(): Promise<void> {
      await Promise.all(children.map(terminate));
      children = [];
      await boss?.stop({ graceful: false });
      boss = undefined;
    },
  };
}
