/**
 * graphile-worker as a peer. The bench process installs graphile-worker's
 * schema (`WorkerUtils.migrate`) and bulk-adds the jobs; `processes` worker
 * processes (graphile-worker.ts) work them, each job POSTing one wake.
 *
 * Settings, checked in node_modules/graphile-worker (0.17.3):
 * - `pollInterval` 100 ms: LISTEN "jobs:insert" only announces jobs that are
 *   due when added (dist/main.js nudges the pool on it); a job due later is
 *   found by polling.
 * - `concurrency` 64 with `localQueue.size` 64 (preset option, 0.16+;
 *   dist/localQueue.js): the pool fetches and locks up to 64 due jobs per poll
 *   and hands them to its workers, instead of each of the 64 workers polling
 *   on its own (without it, a 1,000 burst took 3.8 s instead of 1.5 s here).
 *   main.js warns when the size is below the concurrency. Concurrency 32 or
 *   128, or a local queue of 256, measured the same on this 2-core machine:
 *   the POSTs' CPU is the limit.
 * - `completeJobBatchDelay` 0: completions of the same tick go to the
 *   database in one statement (the default, -1, completes one by one; a 1,000
 *   burst took 1.8 s with it instead of 1.5 s, in one run).
 * - `maxPoolSize` concurrency + 2, as dist/index.d.ts recommends (it warns
 *   below the concurrency). The pool connects as needed: in a 5,000 burst
 *   the database saw at most 9 connections, the bench side's included.
 *   Prepared statements on (the default).
 * - No cron: an empty list instead of reading a `crontab` file. Only warnings
 *   and errors are logged: the default logger writes a line per completed job.
 *
 * Scheduling: `addJobs` writes one chunk in one call of the SQL function
 * `add_jobs`; four chunks at a time. 100,000 jobs took 2.5-2.8 s here (one at
 * a time: 5.0 s; two: 3.1 s).
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker';
import { wakeJobs } from './post-wake.js';
import { cpuSecondsOfAll, rssBytesOfAll } from './proc.js';
import { inChunks, startWorker, terminate } from './worker-process.js';
import type { SystemContext, SystemUnderTest } from './system.js';

/** What a worker process is told, as JSON in `BENCH_GRAPHILE`. */
export interface GraphileWorkerConfig {
  readonly databaseUrl: string;
  readonly routerUrl: string;
  readonly task: string;
  readonly concurrency: number;
  readonly pollInterval: number;
  readonly localQueueSize: number;
  readonly completeJobBatchDelay: number;
  readonly maxPoolSize: number;
}

const TASK = 'wake';
const CONCURRENCY = 64;
const POLL_INTERVAL_MS = 100;
const LOCAL_QUEUE_SIZE = CONCURRENCY;
const COMPLETE_JOB_BATCH_DELAY_MS = 0;
const MAX_POOL_SIZE = CONCURRENCY + 2;
const ADD_CHUNK = 5_000;
const ADD_LANES = 4;

const VERSION = (createRequire(import.meta.url)('graphile-worker/package.json') as { version: string }).version;
const WORKER = new URL('./graphile-worker.ts', import.meta.url);
const ENV_VAR = 'BENCH_GRAPHILE';

/** graphile-worker, worked by `ctx.processes` worker processes. */
export function graphileWorker(): SystemUnderTest {
  let utils: WorkerUtils | undefined;
  let children: ChildProcess[] = [];
  return {
    name: `graphile-worker ${VERSION}`,
    settings: `concurrency ${CONCURRENCY}, pollInterval ${POLL_INTERVAL_MS} ms, localQueue size ${LOCAL_QUEUE_SIZE}, completeJobBatchDelay ${COMPLETE_JOB_BATCH_DELAY_MS} ms, pool ${MAX_POOL_SIZE}, prepared statements; no cron`,

    async start(ctx: SystemContext): Promise<void> {
      utils = await makeWorkerUtils({ connectionString: ctx.databaseUrl, maxPoolSize: ADD_LANES });
      await utils.migrate();
      const config: GraphileWorkerConfig = {
        databaseUrl: ctx.databaseUrl,
        routerUrl: ctx.routerUrl,
        task: TASK,
        concurrency: CONCURRENCY,
        pollInterval: POLL_INTERVAL_MS,
        localQueueSize: LOCAL_QUEUE_SIZE,
        completeJobBatchDelay: COMPLETE_JOB_BATCH_DELAY_MS,
        maxPoolSize: MAX_POOL_SIZE,
      };
      children = await Promise.all(Array.from({ length: ctx.processes }, () => startWorker(WORKER, ENV_VAR, config)));
    },

    async schedule(dues: readonly Date[]): Promise<void> {
      await inChunks(dues.length, ADD_CHUNK, ADD_LANES, (from, to) =>
        utils!.addJobs(wakeJobs(dues, from, to).map((job, i) => ({ identifier: TASK, payload: job, runAt: dues[from + i]! }))),
      );
    },

    cpuSeconds: () => cpuSecondsOfAll(children),
    rssBytes: () => rssBytesOfAll(children),

    async stop(): Promise<void> {
      await Promise.all(children.map(terminate));
      children = [];
      await utils?.release();
      utils = undefined;
    },
  };
}
