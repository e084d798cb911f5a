/**
 * chronosd as a real process, at start: an external database that is not up
 * yet is waited for up to db.start_timeout, one that refuses the URL fails at
 * once, and a short transport token is a config error.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { startEmbedded } from '../../src/db/embedded.js';
import { adminUrl, freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, stop, TEST_SECRETS } from '../helpers/daemon.js';

const cwd = mkdtempSync(join(tmpdir(), 'chronos-startup-'));
const waiting = (l: Record<string, unknown>) => l.msg === 'waiting for the database of CHRONOS_DATABASE_URL';

/** A local port nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('a refused port: each wait logged, then after db.start_timeout one line naming CHRONOS_DATABASE_URL, exit 1', async (t) => {
  const port = await closedPort();
  const proc = spawnCli('chronosd', ['--port', '0'], { CHRONOS_DATABASE_URL: `postgres://chronos:hunter2@127.0.0.1:${port}/chronos`, CHRONOS_DB_START_TIMEOUT: '2s', ...TEST_SECRETS }, cwd);
  t.equal(await proc.exited, 1);
  t.equal(proc.stderr(), `chronosd: no database reachable at 127.0.0.1:${port}/chronos (CHRONOS_DATABASE_URL) within db.start_timeout (2s): connect ECONNREFUSED 127.0.0.1:${port}\n`);
  const waits = proc.logs.filter(waiting);
  t.ok(waits.length >= 2, `retried (${waits.length} waits)`);
  t.match(waits[0], { level: 'warn', database: `127.0.0.1:${port}/chronos`, code: 'ECONNREFUSED', attempt: 1, retry_in_ms: Number, gives_up_in_ms: Number });
  t.ok(proc.logs.some((l) => l.msg === 'chronosd failed to start'));
  t.notOk(proc.stdout().includes('hunter2') || proc.stderr().includes('hunter2'), 'the password is never printed');
});

t.test('a database that comes up during the wait: chronosd starts on it', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'chronos-late-db-')), 'pg');
  const log = pino({ level: 'silent' });
  // Created (with its chronos database) and stopped first, so it comes up during the wait with the database already there.
  const first = await startEmbedded({ dir, log });
  const { port, url } = first;
  await first.stop();
  const daemon = spawnCli('chronosd', ['--port', '0'], { CHRONOS_DATABASE_URL: url, CHRONOS_DB_START_TIMEOUT: '2m', ...TEST_SECRETS }, cwd);
  t.teardown(() => daemon.child.kill('SIGKILL'));
  await daemon.waitForLog(waiting);
  const pg = await startEmbedded({ dir, log, port });
  t.teardown(() => pg.stop());
  t.match(await daemon.waitForLog((l) => l.msg === 'database reachable'), { database: `127.0.0.1:${port}/chronos`, attempts: Number, waited_ms: Number });
  const listening = await daemon.waitForLog((l) => l.msg === 'chronosd listening');
  t.equal((await fetch(`${String(listening.url)}/healthz`)).status, 200);
  t.equal(await stop(daemon), 0);
});

t.test('a wrong password or a missing database: one line naming CHRONOS_DATABASE_URL at once, exit 2, no retry', async (t) => {
  const wrongPassword = new URL(adminUrl());
  wrongPassword.password = 'not-the-password';
  const missing = new URL(adminUrl());
  missing.pathname = '/no_such_database';
  const cases: [URL, RegExp][] = [
    [wrongPassword, /^chronosd: CHRONOS_DATABASE_URL: the server at 127\.0\.0\.1:\d+\/postgres refused it: password authentication failed for user "chronos" \(28P01\)\n$/],
    [missing, /^chronosd: CHRONOS_DATABASE_URL: the server at 127\.0\.0\.1:\d+\/no_such_database refused it: database "no_such_database" does not exist \(3D000\)\n$/],
  ];
  for (const [url, stderr] of cases) {
    // A bound far longer than the test: only a refusal that is not retried ends it.
    const proc = spawnCli('chronosd', ['--port', '0'], { CHRONOS_DATABASE_URL: url.toString(), CHRONOS_DB_START_TIMEOUT: '1h', ...TEST_SECRETS }, cwd);
    t.equal(await proc.exited, 2);
    t.match(proc.stderr(), stderr);
    t.equal(proc.logs.filter(waiting).length, 0, 'not retried');
  }
});

t.test('SIGTERM while waiting for the database: an ordinary stop, exit 0', async (t) => {
  const port = await closedPort();
  const proc = spawnCli('chronosd', ['--port', '0'], { CHRONOS_DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/x`, CHRONOS_DB_START_TIMEOUT: '1h', ...TEST_SECRETS }, cwd);
  await proc.waitForLog(waiting);
  t.equal(await stop(proc), 0);
  t.ok(proc.logs.some((l) => l.msg === 'stopped'));
  t.notOk(proc.logs.some((l) => l.msg === 'chronosd failed to start'));
});

t.test('chronos migrate waits for the database the same way', async (t) => {
  const port = await closedPort();
  const proc = spawnCli('chronos', ['migrate'], { CHRONOS_DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/x`, CHRONOS_DB_START_TIMEOUT: '1s' }, cwd);
  t.equal(await proc.exited, 1);
  t.match(proc.stderr(), new RegExp(`^chronos migrate: no database reachable at 127\\.0\\.0\\.1:${port}/x \\(CHRONOS_DATABASE_URL\\) within db\\.start_timeout \\(1s\\): connect ECONNREFUSED`));
  t.ok(proc.logs.some(waiting));
});

t.test('a transport token shorter than 32 characters: one line naming the key, exit 2', async (t) => {
  const proc = spawnCli('chronosd', ['--port', '0'], { CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), CHRONOS_TRANSPORT_TOKENS: 'abc', CHRONOS_TOKEN_SECRETS: TEST_SECRETS.CHRONOS_TOKEN_SECRETS }, cwd);
  t.teardown(() => proc.child.kill('SIGKILL'));
  const listening = proc.waitForLog((l) => l.msg === 'chronosd listening').then(() => 'listening', () => 'exited');
  t.equal(await Promise.race([proc.exited, listening]), 2, 'refused, not started');
  t.equal(proc.stderr(), 'chronosd: CHRONOS_TRANSPORT_TOKENS: bad value: token #1 is 3 characters: each must be at least 32 characters\n');
  t.equal(proc.stdout(), '');
});
