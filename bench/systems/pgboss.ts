/**
 * pg-boss as a peer, at its current release on Node 22 (bench/systems/peers.ts:
 * the package bench/peers, installed on demand). A control process
 * (bench/peers/pgboss-control.ts) installs pg-boss's schema, creates the queue
 * and inserts the jobs; `processes` worker processes
 * (bench/peers/pgboss-worker.ts) work them, each job POSTing one wake.
 *
 * Settings, checked in bench/peers/node_modules/pg-boss (12.38.1, dist/):
 * - `batchSize` 500: each fetch claims up to 500 due jobs in one statement
 *   (plans.js fetchNextJob, `FOR UPDATE OF j SKIP LOCKED`), and the handler
 *   POSTs all of them at once through the 64-connection pool.
 * - `burstWhenBatchFull` true (its name in 12: attorney.js
 *   applyPollingInterval, registrar.js): a loop whose fetch came back full
 *   fetches again as soon as its batch is done instead of sleeping
 *   (manager.js work(), resolveInterval returns 0; worker.js run() sleeps
 *   only when `interval - duration > 100`).
 * - `pollingIntervalSeconds` 0.5, the least it accepts (attorney.js
 *   `MIN_POLLING_INTERVAL_MS: 500`): a loop whose fetch came back short
 *   sleeps out the rest of 0.5 s.
 * - 4 fetch loops a process, as 4 work() calls of `localConcurrency` 1
 *   started 125 ms apart, so that they poll in turn: a due job waits up to
 *   about 125 ms for a poll. `localConcurrency` 4 in one work() call makes the
 *   same 4 loops, but starts them at one instant (manager.js work(): "Spawn
 *   workers based on localConcurrency setting", a plain for loop) and each
 *   sleeps out the interval from its own round's start, so they stay in step
 *   and poll together every 0.5 s: in `steady --quick` that gave p50 267 and
 *   315 ms, p99 508 and 532 ms at 200/s and 1,000/s, against 72 and 83 ms,
 *   132 and 139 ms staggered (one run each, busy machine). A burst drains at
 *   the same rate either way: 4 loops, SKIP LOCKED keeping their claims apart.
 * - LISTEN/NOTIFY off, as it ships (`useListenNotify` false, queue `notify`
 *   false): pg-boss 12 can NOTIFY on insert, but only for jobs runnable when
 *   inserted (plans.js insertJobs gates pg_notify on
 *   `start_after <= job_now()`), and the bench's jobs are inserted ahead of
 *   their instant; with NOTIFY active an idle loop would even poll only every
 *   `notifyPollingIntervalSeconds` (default 30 s, attorney.js).
 * - `schedule: false`: no cron, so no timekeeper. `supervise: false`:
 *   maintenance (expiry after 15 min, archiving) does nothing within a run.
 * - Pool 10 a worker process (4 loops fetching and completing, the fail()
 *   path).
 *
 * Ceiling of this configuration: a loop sleeps only after a short fetch,
 * that is once it found fewer than 500 due jobs left; until then it
 * refetches at once. So the polling interval bounds a drain only where every
 * fetch comes back just short of full: 4 loops x 500 jobs / 0.5 s = 4,000
 * jobs/s. Without burstWhenBatchFull that bound holds for every drain (and
 * pg-boss 10 here, 4 loops x 250 / 0.5 s = 2,000/s, measured 1,996/s in the
 * fifth round's burst). A one-off burst of 20,000 on a busy 2-core machine:
 * 4,617 wakes/s with burstWhenBatchFull, 3,914/s without (at its 4,000/s
 * bound): with it, the limit is the rounds themselves (fetch, 500 POSTs,
 * complete) on the machine's CPU, not the configuration.
 *
 * Scheduling: `insert` writes one chunk in one statement (json_to_recordset),
 * four chunks at a time.
 */
import type { ChildProcess } from 'node:child_process';
import type { PgBossSettings } from '../peers/settings.js';
import { peerNode, peerVersion, startPeer, type PeerProcess } from './peers.js';
import { cpuSecondsOfAll, rssBytesOfAll } from './proc.js';
import type { SystemContext, SystemUnderTest } from './system.js';
import { terminate } from './worker-process.js';

const QUEUE = 'wake';
const LOOPS = 4;
const LOCAL_CONCURRENCY = 1;
const BATCH_SIZE = 500;
const BURST_WHEN_BATCH_FULL = true;
const POLLING_INTERVAL_SECONDS = 0.5;
const POOL_SIZE = 10;
const INSERT_CHUNK = 5_000;
const INSERT_LANES = 4;
const ENV_VAR = 'BENCH_PGBOSS';

/** pg-boss, worked by `ctx.processes` worker processes. */
export function pgBoss(): SystemUnderTest {
  let control: PeerProcess | undefined;
  let children: ChildProcess[] = [];
  return {
    name: `pg-boss ${peerVersion('pg-boss')}`,
    settings: `node ${peerNode().version}; ${LOOPS} work() calls a process of localConcurrency ${LOCAL_CONCURRENCY}, started ${(POLLING_INTERVAL_SECONDS * 1000) / LOOPS} ms apart, batchSize ${BATCH_SIZE} POSTed in parallel, burstWhenBatchFull ${BURST_WHEN_BATCH_FULL}, pollingIntervalSeconds ${POLLING_INTERVAL_SECONDS} (the minimum), LISTEN/NOTIFY off (as shipped), pool ${POOL_SIZE}; cron and maintenance off`,

    async start(ctx: SystemContext): Promise<void> {
      const settings: PgBossSettings = {
        databaseUrl: ctx.databaseUrl,
        routerUrl: ctx.routerUrl,
        queue: QUEUE,
        loops: LOOPS,
        localConcurrency: LOCAL_CONCURRENCY,
        batchSize: BATCH_SIZE,
        burstWhenBatchFull: BURST_WHEN_BATCH_FULL,
        pollingIntervalSeconds: POLLING_INTERVAL_SECONDS,
        poolSize: POOL_SIZE,
        insertChunk: INSERT_CHUNK,
        insertLanes: INSERT_LANES,
      };
      control = await startPeer('pgboss-control.ts', ENV_VAR, settings, true);
      const workers = await Promise.all(Array.from({ length: ctx.processes }, () => startPeer('pgboss-worker.ts', ENV_VAR, settings)));
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
