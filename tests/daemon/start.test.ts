/** chronosd as a real process: config errors, secrets, /healthz, shutdown. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, stop, TEST_SECRETS } from '../helpers/daemon.js';

const cwd = mkdtempSync(join(tmpdir(), 'chronos-daemon-'));

t.test('a config file with an unknown key exits 2 with one line naming file and line', async (t) => {
  const file = join(cwd, 'bad.kvx');
  writeFileSync(file, '[server]\nport = 8080\n\n[dispatch]\nbatch_sise = 10\n');
  const proc = spawnCli('chronosd', ['--config', file], {}, cwd);
  t.equal(await proc.exited, 2);
  t.equal(proc.stderr(), `chronosd: ${file}:5: unknown key "batch_sise" in [dispatch]\n`);
  t.equal(proc.stdout(), '', 'nothing else is printed');
});

t.test('bad flags and values exit 2 with one line', async (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--frobnicate'], {}, /^chronosd: unknown flag --frobnicate \(see --help\)\n$/],
    [['--port', 'eighty'], {}, /^chronosd: --port: bad value "eighty": "eighty" is not a whole number\n$/],
    [[], { CHRONOS_RETRY_LADDER: '5s,soon' }, /^chronosd: CHRONOS_RETRY_LADDER: bad value "5s,soon": "soon" is not a duration.*\n$/],
  ];
  for (const [args, env, stderr] of cases) {
    const proc = spawnCli('chronosd', args, env, cwd);
    t.equal(await proc.exited, 2, args.join(' '));
    t.match(proc.stderr(), stderr);
  }
});

t.test('--help lists the flags and exits 0', async (t) => {
  const proc = spawnCli('chronosd', ['--help'], {}, cwd);
  t.equal(await proc.exited, 0);
  t.match(proc.stdout(), /usage: chronosd \[flags\]/);
  t.match(proc.stdout(), /--router-url/);
});

t.test('an external database without transport tokens, token secrets and signing keys exits 2 naming each', async (t) => {
  const proc = spawnCli('chronosd', [], { CHRONOS_DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x' }, cwd);
  t.equal(await proc.exited, 2);
  t.match(proc.stderr(), /^chronosd: with an external database these must be configured.*CHRONOS_TRANSPORT_TOKENS.*CHRONOS_TOKEN_SECRETS.*CHRONOS_SIGNING_KEYS/);
  const { CHRONOS_TRANSPORT_TOKENS, CHRONOS_TOKEN_SECRETS } = TEST_SECRETS;
  const keyless = spawnCli('chronosd', [], { CHRONOS_DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x', CHRONOS_TRANSPORT_TOKENS, CHRONOS_TOKEN_SECRETS }, cwd);
  t.equal(await keyless.exited, 2);
  t.match(keyless.stderr(), /^chronosd: with an external database these must be configured, and shared by every replica: CHRONOS_SIGNING_KEYS \(wake.signing_keys\)\n$/);
});

t.test('with an external database: migrates, serves /healthz, logs no secret, exits 0 on SIGTERM', async (t) => {
  const url = await freshDatabaseUrl(t, { empty: true });
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: url, ...TEST_SECRETS, CHRONOS_WAKE_TOKEN: 'wake-token-secret-value' }, [], cwd);
  const res = await fetch(`${daemon.url}/healthz`, { headers: { 'X-Request-Id': 'req-123_abc.X' } });
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-request-id'), 'req-123_abc.X', 'a well-formed request id is echoed');
  const body = (await res.json()) as Record<string, unknown>;
  t.match(body, { status: 'ok', db: 'ok', dispatch: 'idle: no router_url', version: String, uptime_s: Number });
  const minted = await fetch(`${daemon.url}/healthz`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
  t.match(minted.headers.get('x-request-id'), /^[A-Za-z0-9._-]{1,128}$/);
  t.not(minted.headers.get('x-request-id'), 'bad id with spaces', 'a malformed request id is replaced');
  const missing = await fetch(`${daemon.url}/nope`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { ok: false, error: { code: 'not_found' } });
  t.ok(daemon.logs.some((l) => l.msg === 'migration applied' && l.migration === '001_init.sql'));
  t.equal(await stop(daemon), 0);
  for (const secret of [...Object.values(TEST_SECRETS), 'wake-token-secret-value', url]) {
    t.notOk(daemon.stdout().includes(secret) || daemon.stderr().includes(secret), 'no secret in the logs');
  }
  t.ok(daemon.logs.some((l) => l.msg === 'stopped'));
});

t.test('chronos migrate applies, then reports the schema up to date', async (t) => {
  const url = await freshDatabaseUrl(t, { empty: true });
  const first = spawnCli('chronos', ['migrate'], { CHRONOS_DATABASE_URL: url, ...TEST_SECRETS }, cwd);
  t.equal(await first.exited, 0);
  t.match(first.stdout(), /applied: 001_init\.sql/);
  const second = spawnCli('chronos', ['migrate'], { CHRONOS_DATABASE_URL: url, ...TEST_SECRETS }, cwd);
  t.equal(await second.exited, 0);
  t.match(second.stdout(), /schema is up to date/);
});

t.test('an unknown command exits 2', async (t) => {
  const proc = spawnCli('chronos', ['frobnicate'], {}, cwd);
  t.equal(await proc.exited, 2);
  t.match(proc.stderr(), /unknown command "frobnicate"/);
});

