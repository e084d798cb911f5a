/** The start's wait for an external database: backoff, its bound, what it logs, and the refusals it does not retry. */
import { createServer } from 'node:net';
import { pino } from 'pino';
import t from 'tap';
import { ConfigError } from '../../src/config/kvx.js';
import { openDatabase } from '../../src/db/pool.js';
import { describeDatabaseUrl, startRetryDelayMs, waitForDatabase } from '../../src/db/wait-for-database.js';
import { adminUrl } from '../helpers/db.js';

/** A local port nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

t.test('retry delays double from 250 ms to at most 5 s, the upper half random', async (t) => {
  const table: [attempt: number, random: number, ms: number][] = [
    [1, 0, 125],
    [1, 1, 250],
    [2, 0.5, 375],
    [3, 0, 500],
    [5, 1, 4_000],
    [6, 0, 2_500],
    [6, 1, 5_000],
    [40, 1, 5_000],
  ];
  for (const [attempt, random, ms] of table) t.equal(startRetryDelayMs(attempt, () => random), ms, `attempt ${attempt}, random ${random}`);
});

t.test('a database URL is described as host:port/database, without user or password', async (t) => {
  t.equal(describeDatabaseUrl('postgres://chronos:hunter2@db.internal:6432/chronos'), 'db.internal:6432/chronos');
  t.equal(describeDatabaseUrl('postgresql://u:p@db/app'), 'db:5432/app');
  t.equal(describeDatabaseUrl('postgres:///app?host=/var/run/postgresql'), '/var/run/postgresql:5432/app', 'a Unix socket directory');
  t.equal(describeDatabaseUrl('postgres://app:secret@db'), 'db:5432/app', 'no path: the database is named after the user');
  t.equal(describeDatabaseUrl('postgres://u:p@pg-a:5499,pg-b/app?target_session_attrs=primary'), 'pg-a:5499,pg-b:5432/app', 'several hosts, each named');
});

t.test('a refused port is retried with backoff until the bound, each wait logged, then one error naming CHRONOS_DATABASE_URL', async (t) => {
  const port = await closedPort();
  const url = `postgres://chronos:hunter2@127.0.0.1:${port}/chronos`;
  const { log, lines } = capture();
  let clock = 1_000_000;
  const slept: number[] = [];
  await t.rejects(
    waitForDatabase({
      url,
      timeoutMs: 10_000,
      log,
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
      random: () => 1,
    }),
    { message: `no database reachable at 127.0.0.1:${port}/chronos (CHRONOS_DATABASE_URL) within db.start_timeout (10s): connect ECONNREFUSED 127.0.0.1:${port}` },
  );
  t.same(slept, [250, 500, 1_000, 2_000, 4_000, 2_250], 'backoff, the last wait cut to the bound');
  t.equal(lines.length, 6, 'one line per wait');
  t.match(lines[0], { level: 40, msg: 'waiting for the database of CHRONOS_DATABASE_URL', database: `127.0.0.1:${port}/chronos`, code: 'ECONNREFUSED', attempt: 1, retry_in_ms: 250, gives_up_in_ms: 10_000 });
  t.match(lines[5], { attempt: 6, retry_in_ms: 2_250, gives_up_in_ms: 2_250 });
  t.notOk(JSON.stringify(lines).includes('hunter2'), 'the password is never logged');
});

t.test('a bound of 0 tries once', async (t) => {
  const port = await closedPort();
  const url = `postgres://u:p@127.0.0.1:${port}/x`;
  const { log, lines } = capture();
  await t.rejects(waitForDatabase({ url, timeoutMs: 0, log }), { message: /^no database reachable at .* within db\.start_timeout \(0s\): connect ECONNREFUSED/ });
  t.equal(lines.length, 0);
});

t.test('a reachable database returns at once, quietly', async (t) => {
  const { log, lines } = capture();
  await waitForDatabase({ url: adminUrl(), timeoutMs: 10_000, log });
  t.equal(lines.length, 0);
});

t.test('a wrong password or a missing database fails at once as a config error, without a retry', async (t) => {
  const wrongPassword = new URL(adminUrl());
  wrongPassword.password = 'not-the-password';
  const missing = new URL(adminUrl());
  missing.pathname = '/no_such_database';
  const cases: [URL, RegExp][] = [
    [wrongPassword, /^CHRONOS_DATABASE_URL: the server at 127\.0\.0\.1:\d+\/postgres refused it: password authentication failed for user "chronos" \(28P01\)$/],
    [missing, /^CHRONOS_DATABASE_URL: the server at 127\.0\.0\.1:\d+\/no_such_database refused it: database "no_such_database" does not exist \(3D000\)$/],
  ];
  for (const [url, message] of cases) {
    const { log, lines } = capture();
    const err = await waitForDatabase({ url: url.toString(), timeoutMs: 60_000, log }).catch((e: unknown) => e);
    t.type(err, ConfigError);
    t.match(err, { message });
    t.equal(lines.length, 0, 'not retried');
  }
});

t.test('an aborted wait ends at its sleep with the signal’s reason', async (t) => {
  const port = await closedPort();
  const url = `postgres://u:p@127.0.0.1:${port}/x`;
  const { log } = capture();
  const abort = new AbortController();
  const waiting = waitForDatabase({ url, timeoutMs: 600_000, log, signal: abort.signal });
  abort.abort(new Error('SIGTERM'));
  await t.rejects(waiting, { message: 'SIGTERM' });
});

t.test('a URL of several hosts reaches the one that answers, as after a failover', async (t) => {
  const real = new URL(adminUrl());
  const dead = await closedPort();
  const url = `postgres://${real.username}:${real.password}@127.0.0.1:${dead},${real.host}${real.pathname}`;
  const { log } = capture();
  await waitForDatabase({ url, timeoutMs: 5_000, log });
  const database = openDatabase(url, 1, log);
  t.teardown(() => database.close());
  const [row] = await database.sql<{ port: number }[]>`SELECT current_setting('port')::int AS port`;
  t.equal(row?.port, Number(real.port), 'connected to the second host, past the first that refuses');
});
