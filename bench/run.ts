/**
 * `npm run bench [-- scenario ...] [--quick] [--repeats N] [--database-url URL] [--systems a,b]`
 *
 * The benchmark suite. One PostgreSQL (embedded, or the server at
 * --database-url), one router stub in a process of its own, and a fresh
 * database per system and run. Scenarios: schedule, ceiling, steady, burst,
 * scale, api, replicas (all by default). Prints Markdown; results are copied into
 * docs/benchmarks.md with the command that made them. --quick: short runs,
 * one repeat, for development.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { ceiling } from './ceiling.js';
import { benchPostgres } from './postgres.js';
import { api, burst, replicas, scale, steady, type BenchEnv } from './scenarios.js';
import { benchSchedule } from './schedule.js';
import { RouterStub } from './stub.js';
import { Chronosd } from './systems/chronosd.js';
import { graphileWorker } from './systems/graphile.js';
import { pgBoss } from './systems/pgboss.js';
import type { SystemUnderTest } from './systems/system.js';

const SYSTEMS: Record<string, () => SystemUnderTest> = {
  chronosd: () => new Chronosd(),
  'pg-boss': pgBoss,
  'graphile-worker': graphileWorker,
};
const SCENARIOS: Record<string, ((env: BenchEnv) => Promise<void>) | undefined> = { schedule: undefined, ceiling, steady, burst, scale, api, replicas };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    repeats: { type: 'string' },
    'database-url': { type: 'string' },
    systems: { type: 'string', default: Object.keys(SYSTEMS).join(',') },
  },
});
const unknown = [...positionals.filter((p) => !(p in SCENARIOS)), ...values.systems.split(',').filter((s) => !(s in SYSTEMS))];
if (unknown.length > 0) {
  console.error(`unknown ${unknown.join(', ')}; scenarios: ${Object.keys(SCENARIOS).join(', ')}; systems: ${Object.keys(SYSTEMS).join(', ')}`);
  process.exit(2);
}
const wanted = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
const systems = ['chronosd', ...values.systems.split(',').filter((s) => s !== 'chronosd')].map((s) => SYSTEMS[s]!);

console.log(`# chronos bench, ${new Date().toISOString()}\n`);
console.log(`- command: \`npm run bench -- ${process.argv.slice(2).join(' ')}\``);
console.log(`- machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB; node ${process.version}\n`);
if (wanted.includes('schedule')) benchSchedule();
const dispatching = wanted.filter((w) => w !== 'schedule');
if (dispatching.length > 0) {
  const pg = await benchPostgres(values['database-url']);
  const stub = await RouterStub.start();
  console.log(`- PostgreSQL: ${pg.description}; router stub: node:http in its own process, answers 204 at once\n`);
  const env: BenchEnv = { pg, stub, quick: values.quick, repeats: Number(values.repeats ?? (values.quick ? 1 : 3)), systems };
  try {
    for (const name of dispatching) await SCENARIOS[name]!(env);
  } finally {
    await stub.stop();
    await pg.stop();
  }
}
