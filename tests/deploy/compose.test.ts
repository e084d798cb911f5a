/**
 * deploy/compose.yaml, checked without a container runtime (none runs here):
 * - dclint (Docker Compose Linter) validates it against the Compose
 *   Specification's JSON schema it ships, and runs its correctness rules;
 * - what no schema says: the env names are chronosd's keys, both replicas and
 *   the migration share one database, the migration runs `chronos migrate`
 *   before the replicas, every secret comes from deploy/.env, the router and
 *   chronosd point at each other;
 * - and what can run here does: deploy/secrets.mjs's values are accepted by
 *   chronosd's own parsers while deploy/env.example's placeholders are not,
 *   and the migration's and both replicas' environments, as compose would
 *   interpolate them from a generated deploy/.env (the database URL pointed at
 *   the test server), run `chronos migrate` and two chronosd on one database.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DCLinter } from 'dclint';
import t from 'tap';
import { parse } from 'yaml';
import { KEYS } from '../../src/config/keys.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, stop } from '../helpers/daemon.js';

const root = new URL('../../', import.meta.url).pathname;
const COMPOSE = join(root, 'deploy', 'compose.yaml');
const text = readFileSync(COMPOSE, 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, Record<string, any>>; volumes?: Record<string, unknown> };
const services = compose.services;
const ENV_NAMES = new Set(Object.values(KEYS).flatMap((k) => [...k.env]));

/**
 * dclint's rules, at error level, but for its style rules on ordering (keys,
 * services and top-level properties sorted alphabetically or by group): the
 * file is ordered for reading, in the order things start.
 */
const LINT_CONFIG = {
  rules: {
    'service-keys-order': 0,
    'services-alphabetical-order': 0,
    'top-level-properties-order': 0,
    'service-dependencies-alphabetical-order': 0,
    'require-quotes-in-ports': [2, { quoteType: 'double' }],
    'no-build-and-image': 2,
    'no-duplicate-container-names': 2,
    'no-duplicate-exported-ports': 2,
    'no-unbound-port-interfaces': 2,
    'no-version-field': 2,
    'require-project-name-field': 2,
    'service-image-require-explicit-tag': 2,
    'no-quotes-in-volumes': 2,
    'service-container-name-regex': 2,
    'service-ports-alphabetical-order': 2,
  },
  quiet: false,
  debug: false,
  exclude: [],
} as ConstructorParameters<typeof DCLinter>[0];

// dclint's .d.ts files import each other without extensions, which NodeNext does not resolve: its result, typed here.
interface LintResult {
  messages: { line: number; rule: string; message: string }[];
}

function lint(file: string): string[] {
  const results = new DCLinter(LINT_CONFIG).lintFiles([file], false) as LintResult[];
  return results.flatMap((r) => r.messages.map((m) => `${m.line}: ${m.rule}: ${m.message}`));
}

/** Compose's interpolation of `${NAME}`, `${NAME:?message}` and `${NAME:-default}` from `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?:(:\?|:-)([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const v = vars[name];
    if (v !== undefined && v !== '') return v;
    if (op === ':-') return arg ?? '';
    throw new Error(`compose would stop: ${name} unset (${arg ?? ''})`);
  });
}

/** KEY=value lines of an env file, comments and blank lines skipped. */
function envFile(content: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of content.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const referenced = [...new Set([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!))].sort();
const generated = envFile(execFileSync(process.execPath, [join(root, 'deploy', 'secrets.mjs')], { encoding: 'utf8' }));
const example = envFile(readFileSync(join(root, 'deploy', 'env.example'), 'utf8'));
const keyOf = (name: string) => Object.values(KEYS).find((k) => k.env.includes(name));

t.test('dclint: valid against the Compose schema, no finding', async (t) => {
  t.same(lint(COMPOSE), [], 'deploy/compose.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'chronos-compose-'));
  const broken = join(dir, 'compose.yaml');
  writeFileSync(broken, text.replace('      interval: 5s', '      intervall: 5s'));
  t.match(lint(broken), [/invalid-schema.*additional properties/i], 'a misspelt healthcheck field fails the schema');
  writeFileSync(broken, text.replace('"127.0.0.1:8081:8080"', '"9090:8080"'));
  t.match(lint(broken), [/no-unbound-port-interfaces/], 'a port published on every interface fails a rule');
  writeFileSync(broken, text.replace('"127.0.0.1:8081:8080"', '"127.0.0.1:8080:8080"'));
  t.match(lint(broken), [/no-duplicate-exported-ports/], 'and so does a host port published twice');
});

t.test('PostgreSQL: the official image, with a health check and a volume', async (t) => {
  const pg = services.postgres!;
  t.match(pg.image, /^postgres:\d+/, 'the official image, a major version pinned');
  t.ok(pg.healthcheck?.test?.join(' ').includes('pg_isready'), 'healthy once pg_isready answers');
  t.ok(pg.volumes?.some((v: string) => v.startsWith('pgdata:/var/lib/postgresql/data')), 'its data on the named volume pgdata');
  t.ok(compose.volumes && 'pgdata' in compose.volumes, 'which is declared');
});

t.test('two replicas and the migration: one image, one database, chronosd keys only', async (t) => {
  const replicas = Object.keys(services).filter((name) => /^chronosd-\d+$/.test(name));
  t.same(replicas, ['chronosd-1', 'chronosd-2'], 'two chronosd replicas');
  const migrate = services.migrate!;
  t.same(migrate.entrypoint, ['chronos', 'migrate'], 'the one-shot service runs chronos migrate');
  t.equal(migrate.restart, 'no', 'once');
  t.same(migrate.depends_on, { postgres: { condition: 'service_healthy' } }, 'once PostgreSQL is healthy');
  for (const name of replicas) {
    const s = services[name]!;
    t.same(s.build, { context: '..', dockerfile: 'Dockerfile' }, `${name} is built from the repository's Dockerfile`);
    t.equal(s.image, migrate.image, `${name} runs the migration's image`);
    t.match(s.depends_on, { postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } }, `${name} starts after the migration succeeded`);
    t.equal(s.environment.CHRONOS_DATABASE_URL, migrate.environment.CHRONOS_DATABASE_URL, `${name} uses the migrated database`);
    t.match(s.environment.CHRONOS_DATABASE_URL, /@postgres:5432\/chronos$/, 'the postgres service');
    for (const key of Object.keys(s.environment)) t.ok(ENV_NAMES.has(key), `${name}: ${key} is a chronosd key`);
    for (const key of ['CHRONOS_TRANSPORT_TOKENS', 'CHRONOS_TOKEN_SECRETS', 'CHRONOS_SIGNING_KEYS']) {
      t.match(s.environment[key], new RegExp(`^\\$\\{${key}:\\?`), `${name}: ${key} comes from deploy/.env, required`);
    }
    t.ok(parseInt(s.stop_grace_period, 10) > KEYS.drainTimeoutMs.parse(KEYS.drainTimeoutMs.default) / 1000, `${name}: stop_grace_period covers the drain`);
  }
  t.same(services['chronosd-1']!.environment, services['chronosd-2']!.environment, 'both replicas share one configuration');
  for (const key of Object.keys(migrate.environment)) t.ok(ENV_NAMES.has(key), `migrate: ${key} is a chronosd key`);
});

t.test('the router: the example script, pointed at by chronosd and pointing back', async (t) => {
  const router = services.router!;
  t.same(router.command, ['node', '/router/router.mjs'], 'runs deploy/router/router.mjs');
  t.ok(router.volumes.includes('./router:/router:ro'), 'mounted read-only from deploy/router');
  t.match(router.image, /^node:20/, "on Node 20, chronosd's runtime");
  const port = router.environment.PORT;
  t.equal(services['chronosd-1']!.environment.CHRONOS_ROUTER_URL, `http://router:${port}`, 'chronosd sends wakes to the router');
  t.same(String(router.environment.CHRONOS_URL).split(','), ['http://chronosd-1:8080', 'http://chronosd-2:8080'], 'the router takes the keys from either replica');
  t.equal(router.environment.CHRONOS_WAKE_TOKEN, services['chronosd-1']!.environment.CHRONOS_WAKE_TOKEN, 'and checks the wake token chronosd sends');
});

t.test('secrets: every variable in deploy/.env; generated ones accepted, placeholders refused', async (t) => {
  t.same(referenced, ['CHRONOS_ADMIN_TOKENS', 'CHRONOS_SIGNING_KEYS', 'CHRONOS_TOKEN_SECRETS', 'CHRONOS_TRANSPORT_TOKENS', 'CHRONOS_WAKE_TOKEN', 'POSTGRES_PASSWORD'], 'the variables compose.yaml reads');
  t.same(Object.keys(example).sort(), referenced, 'deploy/env.example names each of them');
  t.same(Object.keys(generated).sort(), referenced, 'deploy/secrets.mjs makes each of them');
  t.match(generated.POSTGRES_PASSWORD, /^[0-9a-f]{48}$/, 'the generated PostgreSQL password is URL-safe');
  for (const name of referenced.filter((n) => n.startsWith('CHRONOS_'))) {
    const key = keyOf(name)!;
    t.doesNotThrow(() => key.parse(generated[name]!), `${name}: the generated value passes chronosd's check`);
    // chronosd takes any text as its wake token; the example router refuses a short one (tests/deploy/router.test.ts).
    if (name !== 'CHRONOS_WAKE_TOKEN') t.throws(() => key.parse(example[name]!), `${name}: the placeholder is refused`);
  }
  const again = envFile(execFileSync(process.execPath, [join(root, 'deploy', 'secrets.mjs')], { encoding: 'utf8' }));
  t.not(again.CHRONOS_TRANSPORT_TOKENS, generated.CHRONOS_TRANSPORT_TOKENS, 'each run makes new values');
});

t.test("the migration's and the replicas' environments run: chronos migrate, then two chronosd on one database", async (t) => {
  const databaseUrl = await freshDatabaseUrl(t, { empty: true });
  // As compose interpolates them from a generated deploy/.env, with the database URL pointed at the test server.
  const envOf = (service: string) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(services[service]!.environment as Record<string, string>)) env[k] = interpolate(String(v), generated);
    t.equal(env.CHRONOS_DATABASE_URL, `postgres://chronos:${generated.POSTGRES_PASSWORD}@postgres:5432/chronos`, `${service}: the URL compose would give`);
    return { ...env, CHRONOS_DATABASE_URL: databaseUrl };
  };
  const migrate = spawnCli('chronos', ['migrate'], envOf('migrate'));
  t.equal(await migrate.exited, 0, 'chronos migrate exits 0');
  t.match(migrate.stdout(), /^applied: 001_init\.sql, /m, 'and applied the migrations');

  const first = await startDaemon(envOf('chronosd-1'));
  t.teardown(() => stop(first));
  const second = await startDaemon(envOf('chronosd-2'));
  t.teardown(() => stop(second));
  for (const d of [first, second]) {
    t.notOk(d.logs.some((l) => l.msg === 'migration applied'), 'a replica found nothing left to migrate');
    const health = (await (await fetch(`${d.url}/healthz`)).json()) as Record<string, unknown>;
    t.match(health, { status: 'ok', db: 'ok', dispatch: 'running' }, 'healthy, dispatching (a router URL is set)');
  }
  const keys = await Promise.all([first, second].map(async (d) => (await (await fetch(`${d.url}/.well-known/chronos`)).json()) as unknown));
  t.same(keys[0], keys[1], 'both publish the same signing key');
});
