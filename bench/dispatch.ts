/**
 * One measured dispatch run of a system: a fresh database, its processes
 * started, optionally a backlog of far-future jobs, then jobs due at the
 * given instants; lateness is what the router stub saw (received - due).
 */
import { pino } from 'pino';
import { openDatabase } from '../src/db/pool.js';
import { fireIdFor, newAlarmId } from '../src/ids.js';
import { bulkInsertOnceAlarms } from './seed.js';
import { AlarmService } from '../src/alarms/service.js';
import type { BenchPostgres } from './postgres.js';
import { percentile } from './stats.js';
import type { RouterStub } from './stub.js';
import { BENCH_OWNER } from './peers/alarm.js';
import { Chronosd } from './systems/chronosd.js';
import { freshDatabase, settleDatabase } from './systems/database.js';
import type { SystemUnderTest } from './systems/system.js';

/** What one run measured. */
export interface DispatchRun {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Wakes the router received before their scheduled instant, and the earliest of them (ms, negative), or 0. */
  readonly early: number;
  readonly min: number;
  /** First due instant to last receive, ms. */
  readonly spanMs: number;
  readonly duplicates: number;
  /** CPU seconds per 1,000 wakes: the system's processes, and the PostgreSQL server (null if external). */
  readonly cpuPer1000: number;
  readonly pgCpuPer1000: number | null;
  /** Largest RSS of the system's processes sampled during the run, MB. */
  readonly rssMb: number;
  /** Median time of one claim of 100 (chronosd only), ms. */
  claimMs?: number;
  /** The lateness of the other owner's wakes (RunSetup.other), sorted, ms. */
  otherLateness?: number[];
}

/** What a run needs. */
export interface RunSetup {
  readonly pg: BenchPostgres;
  readonly stub: RouterStub;
  readonly system: SystemUnderTest;
  /** Due instants relative to the start of the run, ms. */
  readonly offsetsMs: readonly number[];
  /** Far-future jobs scheduled before the measured ones. */
  readonly backlog?: number;
  readonly processes?: number;
  /** Measure chronosd's claim statement on the same table afterwards. */
  readonly probeClaims?: boolean;
  /** --quick: a shorter lead and warm-up. */
  readonly quick?: boolean;
  /** Alarms of another owner (chronosd only), scheduled after the bench owner's, due at these offsets too; counted in `n`. */
  readonly other?: { readonly owner: string; readonly offsetsMs: readonly number[] };
}

// Time to schedule before the first job is due: a fixed part and a part per job (bulk inserts run at about 10,000 rows/s or more).
const LEAD_MS = 3_000;
const QUICK_LEAD_MS = 1_500;
const LEAD_PER_JOB_MS = 0.1;
const DAY_MS = 86_400_000;
const WARM_UP_JOBS = 1_000;
const QUICK_WARM_UP_JOBS = 200;

export async function dispatchRun(setup: RunSetup): Promise<DispatchRun> {
  const { pg, stub, system, offsetsMs } = setup;
  const databaseUrl = await freshDatabase(pg.url, `bench_${system.name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`);
  await system.start({ databaseUrl, routerUrl: stub.url, processes: setup.processes ?? 1, stub });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await system.stop();
    stopped = true;
  };
  try {
    if (setup.backlog) {
      // Spread over the next 30 days, from a day ahead: pending, never due during the run.
      const start = Date.now() + DAY_MS;
      await system.schedule(Array.from({ length: setup.backlog }, (_, i) => new Date(start + Math.floor((i * 30 * DAY_MS) / setup.backlog!))));
      // The steady state with this many pending, not the first vacuum after loading them, is under test.
      await settleDatabase(databaseUrl);
    }
    await warmUp(stub, system, setup.quick ? QUICK_WARM_UP_JOBS : WARM_UP_JOBS);
    const n = offsetsMs.length + (setup.other?.offsetsMs.length ?? 0);
    const leadMs = setup.quick ? QUICK_LEAD_MS : LEAD_MS;
    const base = Date.now() + leadMs + n * LEAD_PER_JOB_MS;
    const dues = offsetsMs.map((o) => new Date(base + o));
    const arrived = stub.expect(n, offsetsMs[offsetsMs.length - 1]! + leadMs + 120_000);
    await system.schedule(dues);
    let otherFireIds = new Set<string>();
    if (setup.other) {
      if (!(system instanceof Chronosd)) throw new Error(`${system.name}: alarms of another owner are seeded for chronosd only`);
      otherFireIds = new Set(await system.scheduleAs(setup.other.owner, setup.other.offsetsMs.map((o) => new Date(base + o))));
    }
    // As autovacuum would have by the time this many jobs had been scheduled over time: without it, whether the
    // first autovacuum and analyze of the freshly loaded table lands before or inside the run decides plans (for
    // chronosd and graphile-worker alike, PostgreSQL CPU per wake varied up to 4x between repeats).
    await settleDatabase(databaseUrl);
    if (Date.now() > base) throw new Error(`${system.name}: scheduling ${n} jobs and settling the database overran the first due instant; raise LEAD_PER_JOB_MS`);
    const cpu0 = system.cpuSeconds();
    const pgCpu0 = pg.cpuSeconds();
    let rss = system.rssBytes();
    const sampler = setInterval(() => (rss = Math.max(rss, system.rssBytes())), 500);
    try {
      await arrived;
    } finally {
      clearInterval(sampler);
    }
    const cpu = system.cpuSeconds() - cpu0;
    const pgCpu = pg.cpuSeconds();
    const r = await stub.results();
    const lateness = [...r.lateness].sort((a, b) => a - b);
    const run: DispatchRun = {
      n: lateness.length,
      p50: percentile(lateness, 50),
      p99: percentile(lateness, 99),
      max: lateness[lateness.length - 1]!,
      early: lateness.filter((l) => l < 0).length,
      min: Math.min(0, lateness[0]!),
      spanMs: r.lastAt - dues[0]!.getTime(),
      duplicates: r.duplicates,
      cpuPer1000: (cpu * 1000) / n,
      pgCpuPer1000: pgCpu === null || pgCpu0 === null ? null : ((pgCpu - pgCpu0) * 1000) / n,
      rssMb: rss / 2 ** 20,
    };
    if (setup.other) run.otherLateness = r.lateness.filter((_, i) => otherFireIds.has(r.fireIds[i]!)).sort((a, b) => a - b);
    if (setup.probeClaims) {
      await stop();
      run.claimMs = await probeClaim(databaseUrl);
    }
    return run;
  } finally {
    await stop();
  }
}

/**
 * `jobs` jobs, one a millisecond, not measured: every system opens its
 * database connections and HTTP connections and warms its JIT on them, as a
 * system that has been running does.
 */
async function warmUp(stub: RouterStub, system: SystemUnderTest, jobs: number): Promise<void> {
  const base = Date.now() + 500 + jobs;
  const arrived = stub.expect(jobs, 60_000);
  await system.schedule(Array.from({ length: jobs }, (_, i) => new Date(base + i)));
  await arrived;
}

/**
 * Times chronosd's claim statement on the table as the run left it: 2,000
 * alarms made due, claimed 100 at a time; the median of 20 claims. Each
 * claim is handed back before the next, as a dispatcher settles its claims
 * within milliseconds: claims left in place would pile up in the due index
 * for the later claims to pass over.
 */
async function probeClaim(databaseUrl: string): Promise<number> {
  const database = openDatabase(databaseUrl, 1, pino({ level: 'warn' }));
  try {
    const past = new Date(Date.now() - 1_000);
    await bulkInsertOnceAlarms(database.db, BENCH_OWNER, Array.from({ length: 2_000 }, () => past), newAlarmId, fireIdFor);
    const alarms = new AlarmService({ db: database.db, maxActiveAlarms: 1, pollIntervalMs: 1_000, now: Date.now });
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const { rows } = await alarms.claim('bench-probe', 100, 60_000, 50);
      times.push(performance.now() - t0);
      await alarms.handBack('bench-probe', rows.map((r) => r.id));
    }
    return percentile(times.sort((a, b) => a - b), 50);
  } finally {
    await database.close();
  }
}
