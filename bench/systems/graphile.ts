/**
 * graphile-worker as a peer, at its current release on Node 22
 * (bench/systems/peers.ts: the package bench/peers, installed on demand). A
 * control process (bench/peers/graphile-control.ts) installs graphile-worker's
 * schema (`WorkerUtils.migrate`) and adds the jobs; `processes` worker
 * processes (bench/peers/graphile-worker.ts) work them, each job POSTing one
 * wake.
 *
 * Settings, checked in bench/peers/node_modules/graphile-worker (0.18.0, dist/):
 * - LISTEN/NOTIFY as it ships: the pool LISTENs on "jobs:insert" (main.js)
 *   and `add_jobs` NOTIFYs on every insert (generated/sql.js), which nudges
 *   the local queue to fetch; a job due later than its insert is found by
 *   polling.
 * - `pollInterval` 100 ms (the default is 2 s, config.js): how long the
 *   local queue waits after a fetch that came back short (localQueue.js
 *   _fetch: `setTimeout(this.fetch, this.pollInterval)`).
 * - `concurrency` 64 with `localQueue.size` 64 (preset option;
 *   localQueue.js): the pool fetches and locks up to 64 due jobs per fetch
 *   and hands them to its workers, instead of each of the 64 workers polling
 *   on its own. main.js warns when the size is below the concurrency.
 * - `completeJobBatchDelay` 0: completions of the same tick go to the
 *   database in one statement (main.js `batch("completeJobs", ...)`; the
 *   default, -1, completes one by one).
 * - `maxPoolSize` concurrency + 2 (lib.js warns below the concurrency).
 *   Prepared statements on (the default).
 * - No cron: an empty list instead of reading a `crontab` file. Only warnings
 *   and errors are logged: the default logger writes a line per completed job.
 *
 * Ceiling of this configuration: the local queue sleeps only after a fetch
 * that came back short (fewer than 64, the queue drained); after a full one
 * it fetches again as soon as its jobs are handed out (localQueue.js:
 * `fetchedMax` -> `this.fetch()`). The poll bounds a drain only where every
 * fetch comes back just short of full: 64 jobs / 0.1 s = 640 jobs/s. In a
 * burst the fetches come back full and the limit is 64 workers, each a POST
 * at a time, on the machine's CPU: a one-off burst of 20,000 on a busy
 * 2-core machine drained at 5,373 wakes/s, far above that bound.
 *
 * Scheduling: `addJobs` writes one chunk in one call of the SQL function
 * `add_jobs`; four chunks at a time.
 */
import type { ChildProcess } from 'node:child_process';
import type { GraphileSettings } from '../peers/settings.js';
import { peerNode, peerVersion, startPeer, type PeerProcess } from './peers.js';
import { cpuSecondsOfAll, rssBytesOfAll } from './proc.js';
import type { SystemContext, SystemUnderTest } from './system.js';
import { terminate } from './worker-process.js';

const TASK = 'wake';
const CONCURRENCY = 64;
const POLL_INTERVAL_MS = 100;
const LOCAL_QUEUE_SIZE = CONCURRENCY;
const COMPLETE_JOB_BATCH_DELAY_MS = 0;
const MAX_POOL_SIZE = CONCURRENCY + 2;
const ADD_CHUNK = 5_000;
const ADD_LANES = 4;
const ENV_VAR = 'BENCH_GRAPHILE';

/** graphile-worker, worked by `ctx.processes` worker processes. */
export function graphileWorker(): SystemUnderTest {
  let control: PeerProcess | undefined;
  let children: ChildProcess[] = [];
  return {
    name: `graphile-worker ${peerVersion('graphile-worker')}`,
    settings: `node ${peerNode().version}; concurrency ${CONCURRENCY}, pollInterval ${POLL_INTERVAL_MS} ms, LISTEN/NOTIFY on (as shipped), localQueue size ${LOCAL_QUEUE_SIZE}, completeJobBatchDelay ${COMPLETE_JOB_BATCH_DELAY_MS} ms, pool ${MAX_POOL_SIZE}, prepared statements; no cron`,

    async start(ctx: SystemContext): Promise<void> {
      const settings: GraphileSettings = {
        databaseUrl: ctx.databaseUrl,
        routerUrl: ctx.routerUrl,
        task: TASK,
        concurrency: CONCURRENCY,
        pollInterval: POLL_INTERVAL_MS,
        localQueueSize: LOCAL_QUEUE_SIZE,
        completeJobBatchDelay: COMPLETE_JOB_BATCH_DELAY_MS,
        maxPoolSize: MAX_POOL_SIZE,
        addChunk: ADD_CHUNK,
        addLanes: ADD_LANES,
      };
      control = await startPeer('graphile-control.ts', ENV_VAR, settings, true);
      const workers = await Promise.all(Array.from({ length: ctx.processes }, () => startPeer('graphile-worker.ts', ENV_VAR, settings)));
      children = workers.map((w) => w.child);
    },

    async schedule(dues: readonly Date[]): Promise<void> {
      await control!.ask({ dues: dues.map((d) => d.getTime()) });
    },

    cpuSeconds: () => cpuSecondsOfAll(children),
    rssBytes: () => rssBytesOfAll(children),

    async stop(): Promise<void> {
      await Promise.all(children.map(terminate));
      children = [];
      if (control) await terminate(control.child);
      control = undefined;
    },
  };
}
