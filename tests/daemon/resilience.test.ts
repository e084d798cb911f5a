/**
 * /healthz follows the database down and back up while chronosd keeps running; every request answers in bounded time while
 * the database is stopped or frozen; the embedded default works from nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { didFromPublicKey } from '../../src/auth/did-key.js';
import { generateSeed, keyFromSeed } from '../../src/auth/ed25519.js';
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
  const parsed = JSON.parse(secrets) as { transport_tokens: string[]; token_secrets: string[]; signing_keys: string[] };
  t.ok(parsed.transport_tokens[0]!.length >= 32 && Buffer.byteLength(parsed.token_secrets[0]!) >= 32, 'strong generated secrets');
  const signingDid = didFromPublicKey(keyFromSeed(Buffer.from(parsed.signing_keys[0]!, 'base64url')).publicKey);
  const published = (await (await fetch(`${first.url}/.well-known/chronos`)).json()) as { keys: { did: string; signing: boolean }[] };
  t.match(published.keys, [{ did: signingDid, signing: true }], 'a generated signing key, published at /.well-known/chronos');
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

/** The PIDs of a running server: its postmaster (from postmaster.pid) and the postmaster's children. */
function serverPids(dir: string): number[] {
  const postmaster = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  return [postmaster, ...children];
}

/** Sends `signal` to each of `pids`; a child that exited meanwhile (an autovacuum worker) is no concern. */
function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

/** A request's answer as an outage test judges it. */
interface Answer {
  readonly what: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;
  readonly ms: number;
}

/** Sends the request and times its answer; a request that gets no answer at all has status 0 and the error as its code. */
async function timed(what: string, request: () => Promise<Response>): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await request();
    const body = (await res.json()) as { error?: { code?: string } };
    return { what, status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after'), ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { what, status: 0, code: String(err), retryAfter: null, ms: Math.round(performance.now() - started) };
  }
}

// The daemon's deadline on the database work of a request; an answer may take this plus the margin.
const DB_TIMEOUT_S = 2;
const ANSWER_BOUND_MS = (DB_TIMEOUT_S + 3) * 1000;
const CREATE_BODY = '{"kind":"once","delay":"1h","wake_message":"during an outage"}';

type OutageKind = 'stopped' | 'frozen';

for (const kind of ['stopped', 'frozen'] as OutageKind[]) {
  t.test(`database ${kind}: every request answers within the deadline, and a create retried with its key is made once`, async (t) => {
    const dir = join(mkdtempSync(join(tmpdir(), `chronos-outage-${kind}-`)), 'pg');
    let pg = await startEmbedded({ dir, log });
    const port = pg.port;
    let frozen: number[] = [];
    const thaw = () => {
      signalAll(frozen, 'SIGCONT');
      frozen = [];
    };
    t.teardown(() => {
      thaw();
      return pg.stop().catch(() => {});
    });
    const daemon = await startDaemon({ CHRONOS_DATABASE_URL: pg.url, CHRONOS_DB_REQUEST_TIMEOUT: `${DB_TIMEOUT_S}s`, ...TEST_SECRETS });
    t.teardown(() => daemon.child.kill('SIGKILL'));
    const transport = { Authorization: `Bearer ${TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS}` };
    const seed = generateSeed();
    const agent = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed });
    const principal = { ...transport, 'X-Chronos-Principal': (await agent.principal()).token };
    const existing = await agent.call<{ id: string }>('POST', '/v1/alarms', { rawBody: CREATE_BODY, headers: { 'Idempotency-Key': 'before' } });
    // Signed challenges, to verify while the database is away.
    const WAVES = 3;
    const signed: string[] = [];
    for (let i = 0; i < WAVES; i++) {
      const ch = await agent.transport<{ nonce: string; message: string }>('POST', '/v1/auth/challenge', { body: { did: agent.did } });
      signed.push(JSON.stringify({ did: agent.did, nonce: ch.data.nonce, signature: Buffer.from(keyFromSeed(seed).sign(Buffer.from(ch.data.message, 'utf8'))).toString('base64url') }));
    }

    const json = { 'Content-Type': 'application/json' };
    const wave = (i: number): Promise<Answer>[] => [
      timed('create', () => fetch(`${daemon.url}/v1/alarms`, { method: 'POST', headers: { ...principal, ...json, 'Idempotency-Key': `${kind}-${i}` }, body: CREATE_BODY })),
      timed('get', () => fetch(`${daemon.url}/v1/alarms/${existing.data.id}`, { headers: principal })),
      timed('list', () => fetch(`${daemon.url}/v1/alarms`, { headers: principal })),
      timed('challenge', () => fetch(`${daemon.url}/v1/auth/challenge`, { method: 'POST', headers: { ...transport, ...json }, body: JSON.stringify({ did: agent.did }) })),
      timed('verify', () => fetch(`${daemon.url}/v1/auth/verify`, { method: 'POST', headers: { ...transport, ...json }, body: signed[i]! })),
      timed('healthz', () => fetch(`${daemon.url}/healthz`)),
    ];

    if (kind === 'stopped') {
      await pg.stop();
    } else {
      // SIGSTOP: connections are still accepted by the kernel, but nothing answers.
      frozen = serverPids(dir);
      signalAll(frozen, 'SIGSTOP');
    }
    const answers: Promise<Answer>[] = [];
    for (let i = 0; i < WAVES; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 1_500));
      answers.push(...wave(i));
    }
    // The outage lasts until every request answered, or clearly longer than the bound (the old code's requests hung until it ended).
    const all = Promise.all(answers);
    await Promise.race([all, new Promise((r) => setTimeout(r, ANSWER_BOUND_MS + 1_000))]);
    if (kind === 'stopped') pg = await startEmbedded({ dir, log, port });
    else thaw();

    const results = await all;
    if (results.some((a) => a.status === 0)) t.comment(daemon.stderr());
    for (const a of results) {
      t.ok(a.ms <= ANSWER_BOUND_MS, `${a.what} answered in ${a.ms} ms (at most ${ANSWER_BOUND_MS} ms)`);
      if (a.what === 'healthz') t.equal(a.status, 503, 'healthz: 503 degraded');
      else t.match(a, { status: 503, code: 'database_unavailable', retryAfter: /^\d+$/ }, `${a.what}: 503 database_unavailable with Retry-After`);
    }

    await waitFor(async () => ((await healthStatus(daemon.url)).status === 200 ? true : undefined), 30_000);
    for (let i = 0; i < WAVES; i++) {
      const retry = () => agent.call<{ id: string }>('POST', '/v1/alarms', { rawBody: CREATE_BODY, headers: { 'Idempotency-Key': `${kind}-${i}` } });
      const first = await waitFor(() => retry().catch(() => undefined), 20_000);
      t.ok(first.status === 200 || first.status === 201, `the create retried with key ${kind}-${i}: ${first.status}`);
      const again = await retry();
      t.same([again.status, again.data.id], [200, first.data.id], 'the same alarm again');
    }
    const listed = await agent.call<{ alarms: { idempotency_key: string }[] }>('GET', '/v1/alarms?limit=100');
    t.same(listed.data.alarms.map((a) => a.idempotency_key).sort(), ['before', ...Array.from({ length: WAVES }, (_, i) => `${kind}-${i}`)].sort(), 'one alarm per key, no duplicate');
    t.equal(daemon.child.exitCode, null, 'the daemon ran throughout');
    t.equal(await stop(daemon), 0);
  });
}
