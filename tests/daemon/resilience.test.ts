/** /healthz follows the database down and back up while chronosd keeps running; the embedded default works from nothing. */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ChronosClient } from '../../src/client/client.js';
import { startEmbedded } from '../../src/db/embedded.js';
import { spawnCli, startDaemon, stop, TEST_SECRETS } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';

const log = pino({ level: 'silent' });

async function healthStatus(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

t.test('database stopped: 503 db down; restarted: 200 again, same daemon process', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'chronos-dbdown-')), 'pg');
  let pg = await startEmbedded({ dir, log });
  const port = pg.port;
  t.teardown(() => pg.stop().catch(() => {}));
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: pg.url, ...TEST_SECRETS });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  t.same((await healthStatus(daemon.url)).status, 200);
  const agent = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed: generateSeed() });
  await agent.principal();
  const create = () => agent.call('POST', '/v1/alarms', { rawBody: '{"kind":"once","delay":"1h","wake_message":"w"}', headers: { 'Idempotency-Key': 'outage-1' } });

  await pg.stop();
  const down = await waitFor(async () => {
    const h = await healthStatus(daemon.url);
    return h.status === 503 ? h : undefined;
  }, 20_000);
  t.match(down.body, { status: 'degraded', db: 'down', dispatch: String, version: String, uptime_s: Number });
  await t.rejects(create(), { status: 503, code: 'database_unavailable' }, 'a create while the database is down: 503, not 500');

  pg = await startEmbedded({ dir, log, port });
  const up = await waitFor(async () => {
    const h = await healthStatus(daemon.url);
    return h.status === 200 ? h : undefined;
  }, 20_000);
  t.match(up.body, { status: 'ok', db: 'ok' });
  const made = await waitFor(() => create().catch(() => undefined), 20_000);
  t.equal(made.status, 201, 'the same create, once the database is back');
  t.equal(daemon.child.exitCode, null, 'the daemon ran throughout');
  t.equal(await stop(daemon), 0);
});

t.test('no database configured: embedded PostgreSQL under the data dir, generated secrets reused on restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chronos-embedded-'));
  const cwd = mkdtempSync(join(tmpdir(), 'chronos-cwd-'));
  const first = await startDaemon({ CHRONOS_DATA_DIR: dataDir }, [], cwd);
  t.teardown(() => first.child.kill('SIGKILL'));
  t.equal((await healthStatus(first.url)).status, 200);
  const secretsFile = join(dataDir, 'secrets.json');
  t.equal(statSync(secretsFile).mode & 0o777, 0o600, 'secrets are stored with mode 0600');
  const secrets = readFileSync(secretsFile, 'utf8');
  const parsed = JSON.parse(secrets) as { transport_tokens: string[]; token_secrets: string[] };
  t.ok(parsed.transport_tokens[0]!.length >= 32 && Buffer.byteLength(parsed.token_secrets[0]!) >= 32, 'strong generated secrets');
  t.ok(first.logs.some((l) => l.file === secretsFile), 'the start log says where the secrets are');
  t.notOk(first.stdout().includes(parsed.transport_tokens[0]!), 'the token itself is not logged');
  t.equal(await stop(first), 0);
  t.notOk(existsSync(join(dataDir, 'pg', 'postmaster.pid')), 'shutdown stopped the embedded server');

  const second = await startDaemon({ CHRONOS_DATA_DIR: dataDir }, [], cwd);
  t.teardown(() => second.child.kill('SIGKILL'));
  const intruder = spawnCli('chronosd', ['--port', '0'], { CHRONOS_DATA_DIR: dataDir }, cwd);
  t.equal(await intruder.exited, 1, 'a second chronosd on the same data directory is refused');
  t.match(intruder.stderr(), new RegExp(`data directory .* is in use by chronosd pid ${second.child.pid}`));
  t.equal((await healthStatus(second.url)).status, 200);
  t.equal(readFileSync(secretsFile, 'utf8'), secrets, 'secrets are reused, not regenerated');
  t.notOk(second.logs.some((l) => l.msg === 'creating embedded PostgreSQL cluster'), 'the cluster is reused');
  t.equal(await stop(second), 0);
});
