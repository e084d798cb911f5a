/**
 * The scenarios of `npm run bench`: each runs the systems alternately,
 * `repeats` times, and prints a Markdown table of medians (min-max) with
 * the ratio chronosd/peer from the same run. steady and burst also run the
 * `--baseline` chronosd, if any, right after chronosd in every repeat, and
 * give the ratio chronosd/baseline; scale, api and replicas run this
 * checkout's chronosd only.
 */
import { apiAtRate, apiThroughput, type ApiReport } from './api.js';
import { dispatchRun, type DispatchRun } from './dispatch.js';
import type { BenchPostgres } from './postgres.js';
import { cell, num, percentile, ratio, spread } from './stats.js';
import type { RouterStub } from './stub.js';
import { BENCH_TRANSPORT_TOKEN, Chronosd } from './systems/chronosd.js';
import { freshDatabase } from './systems/database.js';
import type { SystemUnderTest } from './systems/system.js';

// The other owner of the fairness scenario (any DID but the bench owner's).
const FAIRNESS_OTHER_OWNER = 'did:key:z6MkfairnessOtherOwner';

/** What every scenario gets. */
export interface BenchEnv {
  readonly pg: BenchPostgres;
  readonly stub: RouterStub;
  readonly quick: boolean;
  readonly repeats: number;
  /** chronosd first, then the baseline (if any), then the peers; a fresh instance per run. */
  readonly systems: readonly (() => SystemUnderTest)[];
  /** The name of the `--baseline` chronosd among `systems`, e.g. `chronosd@dac04e7`. */
  readonly baseline?: string;
}

type Metric = (r: DispatchRun) => number;

/**
 * Runs `make()` for every system, `repeats` times, alternating (with a
 * baseline and no peers: A B A B ..., never all of A and then all of B);
 * runs grouped by system name, each system's in repeat order.
 */
async function alternate(env: BenchEnv, runOne: (system: SystemUnderTest) => Promise<DispatchRun>): Promise<Map<string, DispatchRun[]>> {
  const runs = new Map<string, DispatchRun[]>();
  for (let repeat = 0; repeat < env.repeats; repeat++) {
    for (const make of env.systems) {
      const system = make();
      const run = await runOne(system);
      process.stderr.write(`  ${system.name}: n=${run.n} p50=${num(run.p50, 1)} p99=${num(run.p99, 1)} early=${run.early} (earliest ${num(run.min, 1)} ms) span=${num(run.spanMs)} ms dup=${run.duplicates}\n`);
      runs.set(system.name, [...(runs.get(system.name) ?? []), run]);
    }
  }
  return runs;
}

function over(runs: DispatchRun[], metric: Metric) {
  return spread(runs.map(metric));
}

/** The ratio cell of chronosd against each peer (not the baseline) for `metric`. */
function ratios(env: BenchEnv, runs: Map<string, DispatchRun[]>, metric: Metric): string {
  const [ours, ...others] = [...runs.entries()];
  const peers = others.filter(([name]) => name !== env.baseline);
  if (!ours || peers.length === 0) return '';
  return peers.map(([name, r]) => `${name}: ${ratio(over(ours[1], metric), over(r, metric))}`).join('; ');
}

/**
 * The note line of chronosd against its baseline, '' without one: for each
 * metric the ratio of the medians, and in brackets the range of the
 * ratios of each repeat's pair (the two ran back to back).
 */
function againstBaseline(env: BenchEnv, runs: Map<string, DispatchRun[]>, metrics: Record<string, Metric>, prefix: string): string {
  const ours = runs.get('chronosd');
  const theirs = env.baseline === undefined ? undefined : runs.get(env.baseline);
  if (!ours || !theirs) return '';
  const cells = Object.entries(metrics).map(([label, metric]) => {
    const pairs = spread(ours.map((run, i) => metric(run) / metric(theirs[i]!)));
    return `${label} ${ratio(over(ours, metric), over(theirs, metric))}${ours.length > 1 ? ` (pairs ${num(pairs.min, 2)}-${num(pairs.max, 2)})` : ''}`;
  });
  return `- ${prefix}chronosd/${env.baseline}: ${cells.join('; ')}`;
}

/** The CPU metrics for againstBaseline: the process's, and PostgreSQL's where it was read. */
function cpuMetrics(runs: Map<string, DispatchRun[]>): Record<string, Metric> {
  const pg = [...runs.values()].every((r) => r.every((x) => x.pgCpuPer1000 !== null));
  return { 'CPU (process)': (x) => x.cpuPer1000, ...(pg ? { 'CPU (PostgreSQL)': (x: DispatchRun) => x.pgCpuPer1000! } : {}) };
}

function settingsList(env: BenchEnv): string {
  return env.systems.map((make) => make()).map((s) => `- ${s.name}: ${s.settings}`).join('\n');
}

/** steady: R jobs a second, each due at its own instant, for D seconds. */
export async function steady(env: BenchEnv): Promise<void> {
  const seconds = env.quick ? 2 : 60;
  console.log(`## steady: lateness at the router, ${seconds} s at a fixed rate\n\n${settingsList(env)}\n`);
  console.log('| rate | system | wakes | p50 ms | p99 ms | max ms | received early (earliest, ms) | CPU s / 1,000 wakes (process) | CPU s / 1,000 wakes (PostgreSQL) | duplicates |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const notes: string[] = [];
  for (const rate of [200, 1_000]) {
    process.stderr.write(`steady ${rate}/s\n`);
    const offsets = Array.from({ length: rate * seconds }, (_, i) => (i * 1000) / rate);
    const runs = await alternate(env, (system) => dispatchRun({ pg: env.pg, stub: env.stub, system, offsetsMs: offsets, quick: env.quick }));
    for (const [name, r] of runs) {
      console.log(
        `| ${rate}/s | ${name} | ${r[0]!.n} | ${cell(over(r, (x) => x.p50), 1)} | ${cell(over(r, (x) => x.p99), 1)} | ${cell(over(r, (x) => x.max), 1)} | ${cell(over(r, (x) => x.early))} (${num(Math.min(...r.map((x) => x.min)), 1)}) | ${cell(over(r, (x) => x.cpuPer1000), 3)} | ${r[0]!.pgCpuPer1000 === null ? 'n/a' : cell(over(r, (x) => x.pgCpuPer1000!), 3)} | ${Math.max(...r.map((x) => x.duplicates))} |`,
      );
    }
    const p99 = ratios(env, runs, (x) => x.p99);
    if (p99) notes.push(`- ${rate}/s, p99 chronosd/peer: ${p99}; p50: ${ratios(env, runs, (x) => x.p50)}; CPU (process): ${ratios(env, runs, (x) => x.cpuPer1000)}`);
    const baseline = againstBaseline(env, runs, { p50: (x) => x.p50, p99: (x) => x.p99, max: (x) => x.max, ...cpuMetrics(runs) }, `${rate}/s, `);
    if (baseline) notes.push(baseline);
  }
  console.log(notes.length > 0 ? `\n${notes.join('\n')}\n` : '');
}

/** burst: N jobs due at one instant. */
export async function burst(env: BenchEnv): Promise<void> {
  const n = env.quick ? 3_000 : 50_000;
  console.log(`## burst: ${num(n)} due at one instant\n\n${settingsList(env)}\n`);
  console.log('| system | wakes | all received after (ms) | wakes/s | p50 ms | p99 ms | CPU s / 1,000 wakes (process) | CPU s / 1,000 wakes (PostgreSQL) | duplicates |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  process.stderr.write(`burst ${n}\n`);
  const runs = await alternate(env, (system) => dispatchRun({ pg: env.pg, stub: env.stub, system, offsetsMs: Array.from({ length: n }, () => 0), quick: env.quick }));
  const perSecond: Metric = (x) => (x.n * 1000) / x.spanMs;
  for (const [name, r] of runs) {
    console.log(
      `| ${name} | ${r[0]!.n} | ${cell(over(r, (x) => x.spanMs))} | ${cell(over(r, perSecond))} | ${cell(over(r, (x) => x.p50))} | ${cell(over(r, (x) => x.p99))} | ${cell(over(r, (x) => x.cpuPer1000), 3)} | ${r[0]!.pgCpuPer1000 === null ? 'n/a' : cell(over(r, (x) => x.pgCpuPer1000!), 3)} | ${Math.max(...r.map((x) => x.duplicates))} |`,
    );
  }
  const wakes = ratios(env, runs, perSecond);
  const baseline = againstBaseline(env, runs, { 'wakes/s': perSecond, p50: (x) => x.p50, p99: (x) => x.p99, ...cpuMetrics(runs) }, '');
  const notes = [...(wakes ? [`- wakes/s chronosd/peer: ${wakes}`] : []), ...(baseline ? [baseline] : [])];
  console.log(notes.length > 0 ? `\n${notes.join('\n')}\n` : '');
}

/**
 * fairness (SPEC 10.5): one owner's 50,000 alarms due at one instant, and 30
 * of another owner due at the same instant, scheduled after the flood (their
 * ids sort after it); chronosd systems only. The target: the other owner's
 * p99 lateness under 200 ms while the flood drains.
 */
export async function fairness(env: BenchEnv): Promise<void> {
  const n = env.quick ? 3_000 : 50_000;
  const others = 30;
  console.log(`## fairness: ${num(n)} of one owner and ${others} of another due at one instant\n\n${settingsList(env)}\n`);
  console.log('| system | flood drained after (ms) | wakes/s | other owner p50 ms | p99 ms | max ms | other p99 / drain | duplicates |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  process.stderr.write(`fairness ${n} + ${others}\n`);
  const chronosds = env.systems.filter((make) => make() instanceof Chronosd);
  const runs = await alternate({ ...env, systems: chronosds }, (system) =>
    dispatchRun({ pg: env.pg, stub: env.stub, system, offsetsMs: Array.from({ length: n }, () => 0), other: { owner: FAIRNESS_OTHER_OWNER, offsetsMs: Array.from({ length: others }, () => 0) }, quick: env.quick }),
  );
  const other = (q: number): Metric => (x) => (q === 100 ? x.otherLateness!.at(-1)! : percentile(x.otherLateness!, q));
  for (const [name, r] of runs) {
    console.log(
      `| ${name} | ${cell(over(r, (x) => x.spanMs))} | ${cell(over(r, (x) => (x.n * 1000) / x.spanMs))} | ${cell(over(r, other(50)), 1)} | ${cell(over(r, other(99)), 1)} | ${cell(over(r, other(100)), 1)} | ${cell(over(r, (x) => other(99)(x) / x.spanMs), 3)} | ${Math.max(...r.map((x) => x.duplicates))} |`,
    );
  }
  console.log('\n- target: the other owner\'s p99 under 200 ms while the flood drains\n');
}

/** scale: steady 200/s on an empty table, then with a large backlog of far-future alarms. */
export async function scale(env: BenchEnv): Promise<void> {
  const backlog = env.quick ? 20_000 : 1_000_000;
  const seconds = env.quick ? 2 : 60;
  console.log(`## scale: steady 200/s for ${seconds} s, with 0 and with ${num(backlog)} alarms pending\n`);
  console.log('| pending | wakes | p50 ms | p99 ms | max ms | claim of 100, ms (median of 20) | chronosd RSS MB (max) | duplicates |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  const offsets = Array.from({ length: 200 * seconds }, (_, i) => i * 5);
  const runs: Record<string, DispatchRun[]> = { empty: [], full: [] };
  for (let repeat = 0; repeat < env.repeats; repeat++) {
    for (const [key, pending] of [['empty', 0], ['full', backlog]] as const) {
      process.stderr.write(`scale, ${pending} pending\n`);
      runs[key]!.push(await dispatchRun({ pg: env.pg, stub: env.stub, system: new Chronosd(), offsetsMs: offsets, backlog: pending, probeClaims: true, quick: env.quick }));
    }
  }
  for (const [key, pending] of [['empty', 0], ['full', backlog]] as const) {
    const r = runs[key]!;
    console.log(
      `| ${num(pending)} | ${r[0]!.n} | ${cell(over(r, (x) => x.p50), 1)} | ${cell(over(r, (x) => x.p99), 1)} | ${cell(over(r, (x) => x.max), 1)} | ${cell(over(r, (x) => x.claimMs!), 2)} | ${cell(over(r, (x) => x.rssMb))} | ${Math.max(...r.map((x) => x.duplicates))} |`,
    );
  }
  const change = (m: Metric) => `${num((over(runs.full!, m).median / over(runs.empty!, m).median - 1) * 100, 0)}%`;
  console.log(`\n- with ${num(backlog)} pending vs empty: p50 ${change((x) => x.p50)}, p99 ${change((x) => x.p99)}, claim time ${change((x) => x.claimMs!)}, RSS ${change((x) => x.rssMb)}\n`);
}

/** replicas: the burst with 1, 2 and 3 chronosd processes on one database. */
export async function replicas(env: BenchEnv): Promise<void> {
  const n = env.quick ? 3_000 : 50_000;
  console.log(`## replicas: ${num(n)} due at one instant, 1 to 3 chronosd processes\n`);
  console.log('| processes | wakes | all received after (ms) | wakes/s | p50 ms | p99 ms | duplicates |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  const runs = new Map<number, DispatchRun[]>();
  for (let repeat = 0; repeat < env.repeats; repeat++) {
    for (const processes of [1, 2, 3]) {
      process.stderr.write(`replicas: ${processes}\n`);
      const run = await dispatchRun({ pg: env.pg, stub: env.stub, system: new Chronosd(), offsetsMs: Array.from({ length: n }, () => 0), processes, quick: env.quick });
      runs.set(processes, [...(runs.get(processes) ?? []), run]);
    }
  }
  for (const [processes, r] of runs) {
    console.log(
      `| ${processes} | ${r[0]!.n} | ${cell(over(r, (x) => x.spanMs))} | ${cell(over(r, (x) => (x.n * 1000) / x.spanMs))} | ${cell(over(r, (x) => x.p50))} | ${cell(over(r, (x) => x.p99))} | ${Math.max(...r.map((x) => x.duplicates))} |`,
    );
  }
  console.log('');
}

/** api: creates over HTTP with auth; throughput at 50 clients, latency at 1,000/s. */
export async function api(env: BenchEnv): Promise<void> {
  const seconds = env.quick ? 2 : 10;
  console.log(`## api: POST /v1/alarms with auth, ${seconds} s per phase, one chronosd\n`);
  console.log('| phase | created | errors | creates/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const phases: Record<string, ApiReport[]> = { throughput: [], rate: [] };
  for (let repeat = 0; repeat < env.repeats; repeat++) {
    const system = new Chronosd();
    await system.start({ databaseUrl: await freshDatabase(env.pg.url, 'bench_api'), routerUrl: env.stub.url, processes: 1, stub: env.stub });
    try {
      process.stderr.write('api: throughput\n');
      phases.throughput!.push(await apiThroughput(system.urls[0]!, BENCH_TRANSPORT_TOKEN, 50, seconds));
      process.stderr.write('api: 1,000/s\n');
      phases.rate!.push(await apiAtRate(system.urls[0]!, BENCH_TRANSPORT_TOKEN, 50, 1_000, seconds));
    } finally {
      await system.stop();
    }
  }
  for (const [label, key] of [['50 clients, closed loop', 'throughput'], ['1,000/s, open loop', 'rate']] as const) {
    const r = phases[key]!;
    const s = (m: (x: ApiReport) => number) => spread(r.map(m));
    console.log(`| ${label} | ${cell(s((x) => x.created))} | ${Math.max(...r.map((x) => x.errors))} | ${cell(s((x) => x.perSecond))} | ${cell(s((x) => x.p50), 1)} | ${cell(s((x) => x.p99), 1)} |`);
  }
  console.log('');
}
