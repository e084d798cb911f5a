/**
 * graphile-worker's control process (Node 22), started by
 * bench/systems/graphile.ts with the settings in `BENCH_GRAPHILE`: installs
 * graphile-worker's schema (`WorkerUtils.migrate`), then adds the jobs of each
 * schedule request on stdin. Its CPU is not counted: the bench process did
 * this work before the peers moved here.
 */
// Resolved from bench/peers/node_modules, which the bench installs on demand: typed where it is installed, `any` where it is not (the root's `npm ci`).
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- @ts-expect-error would fail where it is installed
// @ts-ignore
import { makeWorkerUtils } from 'graphile-worker';
import { wakeJobs } from './alarm.js';
import { inChunks, ready, serve, settings } from './process.js';
import type { GraphileSettings, ScheduleRequest } from './settings.js';

const config = settings<GraphileSettings>('BENCH_GRAPHILE');
const utils = await makeWorkerUtils({ connectionString: config.databaseUrl, maxPoolSize: config.addLanes });
await utils.migrate();
const stop = async () => {
  await utils.release();
};
ready('graphile-worker control', stop);

await serve<ScheduleRequest>(({ dues }) =>
  inChunks(dues.length, config.addChunk, config.addLanes, (from, to) =>
    utils.addJobs(wakeJobs(dues, from, to).map((job) => ({ identifier: config.task, payload: job, runAt: new Date(job.scheduled_for) }))),
  ),
);
// stdin closed: the bench is gone.
await stop();
