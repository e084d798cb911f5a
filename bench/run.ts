/**
 * `npm run bench [-- scenario ...] [--quick] [--repeats N] [--database-url URL] [--systems a,b] [--baseline REF] [--pending N,N] [--fires N]`
 *
 * The benchmark suite. One PostgreSQL (embedded, or the server at
 * --database-url), one router stub in a process of its own, and a fresh
 * database per system and run. Scenarios: schedule, ceiling, steady, burst,
 * fairness, scale, api, replicas (all by default), and capacity, run only
 * when named: what one PostgreSQL holds, at each size of --pending (default
 * 1,000,000 and 5,000,000; 100,000 with --quick) and --fires attempts
 * (default 1,000,000), see capacity.ts. Prints Markdown; results are copied into
 * docs/benchmarks.md with the command that made them. --quick: short runs,
 * one repeat, for development.
 *
 * --baseline REF: an A/B in one run. REF (any git commit-ish) is checked out
 * into a temporary git worktree (removed at the end, also on failure or
 * Ctrl-C) with this checkout's node_modules linked in (its dependencies must
 * be the same: see baseline.ts), and runs as one more system,
 * `chronosd@<short sha>`, exactly as `chronosd` runs this working tree: same
 * settings, same seeding. steady and burst run it right after chronosd in
 * every repeat (A B A B ...) and print chronosd/baseline ratios; scale, api
 * and replicas do not run it. E.g. `npm run bench -- steady burst --systems
 * chronosd --baseline dac04e7 --repeats 8`.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { checkOutBaseline, currentCode, type Baseline } from './baseline.js';
import { capacity } from './capacity.js';
import { ceiling } from './ceiling.js';
import { benchPostgres } from './postgres.js';
import { api, burst, fairness, replicas, scale, steady, type BenchEnv } from './scenarios.js';
import { benchSchedule } from './schedule.js';
import { benchSigning } from './signing.js';
import { RouterStub } from './stub.js';
import { Chronosd } from './systems/chronosd.js';
import { graphileWorker } from './systems/graphile.js';
import { pgBoss } from './systems/pgboss.js';
import type { SystemUnderTest } from './systems/system.js';

const SYSTEMS: Record<string, () => SystemUnderTest> = {
  chronosd: () => new Chronosd(),
  'chronosd-webhook': () => new Chronosd(undefined, 'webhook'),
  'chronosd-stream': () => new Chronosd(undefined, 'stream'),
  'pg-boss': pgBoss,
  'graphile-worker': graphileWorker,
};
const SCENARIOS: Record<string, ((env: BenchEnv) => Promise<void>) | undefined> = { schedule: undefined, signing: undefined, ceiling, steady, burst, fairness, scale, api, replicas, capacity: undefined };
// Run only when named: it loads millions of rows (minutes, gigabytes of disk) and measures the database, not a dispatch.
const ON_REQUEST = new Set(['capacity']);
// Scenarios with no router stub and no chronosd process.
const STANDALONE = new Set(['schedule', 'signing', 'capacity']);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    repeats: { type: 'string' },
    'database-url': { type: 'string' },
    systems: { type: 'string', default: Object.keys(SYSTEMS).join(',') },
    baseline: { type: 'string' },
    pending: { type: 'string' },
    fires: { type: 'string' },
  },
});
const unknown = [...positionals.filter((p) => !(p in SCENARIOS)), ...values.systems.split(',').filter((s) => !(s in SYSTEMS))];
if (unknown.length > 0) {
  console.error(`unknown ${unknown.join(', ')}; scenarios: ${Object.keys(SCENARIOS).join(', ')}; systems: ${Object.keys(SYSTEMS).join(', ')}`);
  process.exit(2);
}
const wanted = positionals.length > 0 ? positionals : Object.keys(SCENARIOS).filter((s) => !ON_REQUEST.has(s));
if (values.baseline !== undefined && !wanted.some((w) => w === 'steady' || w === 'burst' || w === 'fairness')) {
  console.error('--baseline: only the steady, burst and fairness scenarios run a baseline; name one of them');
  process.exit(2);
}
let baseline: Baseline | undefined;
try {
  baseline = values.baseline === undefined ? undefined : checkOutBaseline(values.baseline);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const peers = values.systems.split(',').filter((s) => s !== 'chronosd').map((s) => SYSTEMS[s]!);
// The baseline right after chronosd: in every repeat the two run back to back.
const systems = [SYSTEMS.chronosd!, ...(baseline ? [() => new Chronosd(baseline)] : []), ...peers];

console.log(`# chronos bench, ${new Date().toISOString()}\n`);
console.log(`- command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\``);
console.log(`- machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB; node ${process.version}`);
console.log(`- code: chronosd at ${currentCode()}${baseline ? `; ${baseline.name} at ${baseline.code}, in a temporary worktree` : ''}\n`);
try {
  if (wanted.includes('schedule')) benchSchedule();
  if (wanted.includes('signing')) benchSigning();
  if (wanted.includes('capacity')) {
    const sizes = (values.pending ?? (values.quick ? '100000' : '1000000,5000000')).split(',').map(Number);
    const fires = Number(values.fires ?? (values.quick ? 100_000 : 1_000_000));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(fires) || fires < 1) {
      console.error('--pending takes sizes such as 1000000,5000000 and --fires a count, each a positive integer');
      process.exit(2);
    }
    await capacity(values['database-url'], sizes, fires);
  }
  const dispatching = wanted.filter((w) => !STANDALONE.has(w));
  if (dispatching.length > 0) {
    const pg = await benchPostgres(values['database-url']);
    const stub = await RouterStub.start();
    console.log(`- PostgreSQL: ${pg.description}; router stub: node:http in its own process, answers 204 at once\n`);
    const env: BenchEnv = { pg, stub, quick: values.quick, repeats: Number(values.repeats ?? (values.quick ? 1 : 3)), systems, baseline: baseline?.name };
    try {
      for (const name of dispatching) await SCENARIOS[name]!(env);
    } finally {
      await stub.stop();
      await pg.stop();
    }
  }
} finally {
  baseline?.remove();
}
