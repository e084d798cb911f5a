/**
 * failover: chronosd replicas firing a steady stream of alarms while their
 * PostgreSQL goes away and comes back (docs/scaling.md). Not part of `npm
 * run bench`: it stops and starts a server, which needs a command for that
 * server.
 *
 *   node --import tsx bench/failover.ts --database-url postgres://u:p@127.0.0.1:5432/postgres \
 *     [--stop 'pg_ctlcluster 15 main stop'] [--start 'pg_ctlcluster 15 main start'] [--down-ms 0] \
 *     [--replicas 2] [--rate 200] [--seconds 30] [--outage-at-s 10]
 *
 * Runs `--replicas` chronosd processes (bench settings, bench/systems/chronosd.ts)
 * on a fresh database of that server and the router stub; schedules `--rate`
 * once alarms a second for `--seconds`; `--outage-at-s` seconds into them
 * runs the stop command, waits `--down-ms`, runs the start command; then
 * waits until every fire_id has reached the stub and reports the lateness
 * of the wakes due before, during and after the outage, how many fire_ids
 * arrived more than once, and what the fire ledger recorded.
 */
import { exec } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import postgres from 'postgres';
import { BENCH_OWNER } from './peers/alarm.js';
import { RouterStub } from './stub.js';
import { num, percentile } from './stats.js';
import { Chronosd } from './systems/chronosd.js';
import { freshDatabase } from './systems/database.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    stop: { type: 'string', default: 'pg_ctlcluster 15 main stop' },
    start: { type: 'string', default: 'pg_ctlcluster 15 main start' },
    'down-ms': { type: 'string', default: '0' },
    replicas: { type: 'string', default: '2' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '30' },
    'outage-at-s': { type: 'string', default: '10' },
  },
});
if (!values['database-url']) {
  console.error('--database-url: a PostgreSQL server this script may stop and start (with --stop and --start)');
  process.exit(2);
}
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const downMs = Number(values['down-ms']);
const outageAtMs = Number(values['outage-at-s']) * 1000;
const LEAD_MS = 3_000;
const WARM_UP = 1_000;
const PROBE_EVERY_MS = 100;

/**
 * Whether the server answers, from a connection of its own opened every
 * PROBE_EVERY_MS (a new one each time, as a replica reconnecting would):
 * the instants of the first failed and the first answered probe after it.
 */
function probeServer(url: string): { stop(): Promise<{ downAt: number | null; upAt: number | null }> } {
  let downAt: number | null = null;
  let upAt: number | null = null;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      const client = postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} });
      try {
        await client`SELECT 1`;
        if (downAt !== null && upAt === null) upAt = t;
      } catch {
        downAt ??= t;
      } finally {
        await client.end({ timeout: 1 }).catch(() => {});
      }
      await new Promise((r) => setTimeout(r, Math.max(0, t + PROBE_EVERY_MS - Date.now())));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { downAt, upAt };
    },
  };
}

/** Runs `command` without blocking this process's event loop (the server probe runs meanwhile); returns how long it took. */
async function run(command: string): Promise<number> {
  const t0 = Date.now();
  await promisify(exec)(command);
  return Date.now() - t0;
}

const stub = await RouterStub.start();
const system = new Chronosd();
const databaseUrl = await freshDatabase(values['database-url'], 'bench_failover');
try {
  await system.start({ databaseUrl, routerUrl: stub.url, processes: Number(values.replicas), stub });
  // Warm-up, not measured: connections opened and code compiled, as in a running deployment (bench/dispatch.ts).
  const warm = stub.expect(WARM_UP, 60_000);
  await system.schedule(Array.from({ length: WARM_UP }, (_, i) => new Date(Date.now() + 500 + i)));
  await warm;
  const n = rate * seconds;
  const base = Date.now() + LEAD_MS;
  const dues = Array.from({ length: n }, (_, i) => new Date(base + Math.floor((i * 1000) / rate)));
  const arrived = stub.expect(n, seconds * 1000 + LEAD_MS + 180_000);
  const fireIds = await system.scheduleAs(BENCH_OWNER, dues);
  const dueOf = new Map(fireIds.map((f, i) => [f, dues[i]!.getTime()]));
  const probe = probeServer(databaseUrl);
  await new Promise((r) => setTimeout(r, base + outageAtMs - Date.now()));
  const stopAt = Date.now();
  const stopMs = await run(values.stop);
  await new Promise((r) => setTimeout(r, downMs));
  const startMs = await run(values.start);
  const upAt = Date.now();
  process.stderr.write(`failover: stop took ${stopMs} ms, start ${startMs} ms; down from +${stopAt - base} to +${upAt - base} ms of the run\n`);
  await arrived;
  const seen = await probe.stop();
  const r = await stub.results();
  // Each wake's lateness by when it was due: before the stop, while the server was down, in the 5 s after it was back, later.
  const groups: [string, (due: number) => boolean, number[]][] = [
    ['due before the stop', (d) => d < stopAt, []],
    ['due while it was down', (d) => d >= stopAt && d < upAt, []],
    ['due in the 5 s after', (d) => d >= upAt && d < upAt + 5_000, []],
    ['due later', (d) => d >= upAt + 5_000, []],
  ];
  r.fireIds.forEach((fireId, i) => groups.find(([, within]) => within(dueOf.get(fireId)!))![2].push(r.lateness[i]!));
  const sorted = [...r.lateness].sort((a, b) => a - b);
  console.log(`## failover: ${values.replicas} chronosd replicas, ${rate} wakes/s for ${seconds} s, PostgreSQL stopped at +${stopAt - base} ms and back at +${upAt - base} ms\n`);
  console.log(`- stop: \`${values.stop}\` (${stopMs} ms); down ${downMs} ms more; start: \`${values.start}\` (${startMs} ms)`);
  console.log(`- a new connection every ${PROBE_EVERY_MS} ms: first refused at ${seen.downAt === null ? '-' : `+${seen.downAt - base} ms`}, first answered again at ${seen.upAt === null ? '-' : `+${seen.upAt - base} ms`}`);
  console.log(`- wakes: ${num(r.lateness.length)} distinct fire_ids of ${num(n)}; ${r.duplicates} received more than once`);
  console.log('\n| wakes | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|');
  for (const [name, , xs] of groups) {
    const s = [...xs].sort((a, b) => a - b);
    console.log(`| ${name} | ${num(s.length)} | ${s.length ? num(percentile(s, 50), 1) : '-'} | ${s.length ? num(percentile(s, 99), 1) : '-'} | ${s.length ? num(s[s.length - 1]!, 1) : '-'} |`);
  }
  // Lateness by the second the wakes were due in, where any was over 50 ms late.
  const bySecond = new Map<number, number[]>();
  r.fireIds.forEach((fireId, i) => {
    const second = Math.floor((dueOf.get(fireId)! - base) / 1000);
    bySecond.set(second, [...(bySecond.get(second) ?? []), r.lateness[i]!]);
  });
  const late = [...bySecond].filter(([, xs]) => Math.max(...xs) > 50).sort(([a], [b]) => a - b);
  console.log(`\nSeconds of the run (from its first due wake) in which a wake was over 50 ms late: ${late.length === 0 ? 'none' : late.map(([sec, xs]) => `${sec}: ${xs.filter((x) => x > 50).length} of ${xs.length}, max ${num(Math.max(...xs))} ms`).join('; ')}`);
  console.log(`\n- all: p50 ${num(percentile(sorted, 50), 1)}, p99 ${num(percentile(sorted, 99), 1)}, max ${num(sorted[sorted.length - 1]!, 1)}; over 100 ms: ${sorted.filter((x) => x > 100).length}, over 1 s: ${sorted.filter((x) => x > 1000).length}`);
  // The last settles go in groups that wait up to 25 ms for company.
  await new Promise((r) => setTimeout(r, 1_000));
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const alarms = await sql<{ status: string; n: string }[]>`SELECT status, count(*) AS n FROM alarms GROUP BY 1 ORDER BY 1`;
    const fires = await sql<{ outcome: string; error: string | null; n: string }[]>`
      SELECT outcome, left(error, 60) AS error, count(*) AS n FROM fires GROUP BY 1, 2 ORDER BY 3 DESC`;
    const perFire = await sql<{ attempts: number; n: string }[]>`SELECT attempts, count(*) AS n FROM (SELECT fire_id, count(*)::int AS attempts FROM fires GROUP BY 1) f GROUP BY 1 ORDER BY 1`;
    console.log(`- alarms: ${alarms.map((a) => `${a.status} ${num(Number(a.n))}`).join(', ')}`);
    console.log(`- fire ledger: ${fires.map((f) => `${f.outcome}${f.error ? ` (${f.error})` : ''} ${num(Number(f.n))}`).join('; ')}`);
    console.log(`- attempts per fire_id: ${perFire.map((p) => `${p.attempts}: ${num(Number(p.n))}`).join(', ')}`);
  } finally {
    await sql.end();
  }
} finally {
  await system.stop();
  await stub.stop();
}
