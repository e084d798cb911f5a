/**
 * deploy/router/router.mjs, the example router of the compose file, run as
 * compose runs it (node, no dependencies) against a real chronosd: it takes
 * the keys from /.well-known/chronos, accepts the wake chronosd signed, and
 * refuses the same wake with a changed body, another fire_id, a wrong bearer
 * token, an old timestamp or another key's signature.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import t from 'tap';
import { parseSeed } from '../../src/auth/seed.js';
import { generateSeed } from '../../src/auth/ed25519.js';
import { WakeSigner } from '../../src/auth/wake-signer.js';
import { ChronosClient } from '../../src/client/client.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { startDaemon, stop, TEST_SECRETS } from '../helpers/daemon.js';
import { fakeRouter, type Reply } from '../helpers/router.js';

const SCRIPT = new URL('../../deploy/router/router.mjs', import.meta.url).pathname;
const WAKE_TOKEN = 'router-wake-token-0123456789abcdefghij';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Starts router.mjs on a free port; resolves with its URL and its JSON log lines. */
async function startRouter(t: Teardown, chronosUrl: string) {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { PATH: process.env.PATH ?? '', CHRONOS_URL: chronosUrl, CHRONOS_WAKE_TOKEN: WAKE_TOKEN, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const logs: Record<string, any>[] = [];
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, any>;
      logs.push(entry);
      if (entry.msg === 'router listening') resolve(String(entry.url));
    });
    void exited.then((code) => reject(new Error(`router.mjs exited with ${code}`)));
  });
  return { url: await listening, logs, child, exited };
}

type Headers = Record<string, string>;

async function post(url: string, headers: Headers, body: string) {
  const res = await fetch(`${url}/internal/wake`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

t.test('router.mjs accepts the wake chronosd signed and refuses tampered ones', async (t) => {
  // chronosd -> a recording proxy -> router.mjs: the test keeps the wake as sent, and chronosd gets router.mjs's real answer.
  let routerUrl = '';
  const answers: number[] = [];
  const proxy = await fakeRouter(t, (req) => {
    const reply: Reply = {};
    const headers: Headers = {};
    for (const name of ['authorization', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'idempotency-key']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    reply.after = post(routerUrl, headers, req.text).then((r) => {
      answers.push(r.status);
      reply.status = r.status;
      reply.body = JSON.stringify(r.body);
    });
    return reply;
  });
  const daemon = await startDaemon({
    CHRONOS_DATABASE_URL: await freshDatabaseUrl(t),
    ...TEST_SECRETS,
    CHRONOS_ROUTER_URL: proxy.url,
    CHRONOS_WAKE_TOKEN: WAKE_TOKEN,
  });
  t.teardown(() => stop(daemon));
  const router = await startRouter(t, daemon.url);
  routerUrl = router.url;

  const agent = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed: generateSeed() });
  const created = await agent.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'once', delay: '1s', wake_message: 'deploy router', payload: { n: 1.1 } } });
  await proxy.waitForCount(1);
  const wake = proxy.received[0]!;
  const fireId = String(wake.body.fire_id);

  // chronosd settles the alarm with router.mjs's answer: 200 makes a once alarm completed.
  let status = '';
  for (let i = 0; i < 100 && status !== 'completed'; i++) {
    status = (await agent.call<{ status: string }>('GET', `/v1/alarms/${created.data.id}`)).data.status;
    if (status !== 'completed') await new Promise((r) => setTimeout(r, 100));
  }
  t.same(answers, [200], 'router.mjs answered the real wake 200');
  t.equal(status, 'completed', 'chronosd recorded the wake as delivered');
  const published = (await (await fetch(`${daemon.url}/.well-known/chronos`)).json()) as { keys: { did: string }[] };
  const fetched = router.logs.find((l) => l.msg === 'keys fetched');
  t.same(fetched?.keys, published.keys.map((k) => k.did), "router.mjs took chronosd's published keys from /.well-known/chronos");
  t.match(router.logs.find((l) => l.msg === 'wake'), { fire_id: fireId, alarm_id: created.data.id, attempt: 1 }, 'router.mjs logged the wake');

  const headers: Headers = {};
  for (const name of ['authorization', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) headers[name] = String(wake.headers[name]);
  t.match(await post(router.url, headers, wake.text), { status: 200, body: { duplicate: true } }, 'the same wake again is taken and dropped as a duplicate');
  t.equal((await post(router.url, headers, wake.text.replace('deploy router', 'deploy rooter'))).status, 401, 'a changed body is refused');
  t.equal((await post(router.url, { ...headers, 'webhook-id': 'fir_other' }, wake.text)).status, 401, 'another fire_id is refused');
  t.equal((await post(router.url, { ...headers, authorization: 'Bearer not-the-wake-token-0123456789abcdef' }, wake.text)).status, 401, 'a wrong bearer token is refused');
  const unsigned = { ...headers };
  delete unsigned['webhook-signature'];
  t.equal((await post(router.url, unsigned, wake.text)).status, 401, 'an unsigned wake is refused');

  const daemonKey = new WakeSigner([parseSeed(TEST_SECRETS.CHRONOS_SIGNING_KEYS)]);
  const auth = { authorization: `Bearer ${WAKE_TOKEN}` };
  const fresh = wake.text.replace(fireId, 'fir_fresh');
  t.equal((await post(router.url, { ...auth, ...daemonKey.sign('fir_fresh', new Date(), fresh) }, fresh)).status, 200, "a fresh wake signed with chronosd's key is accepted");
  t.equal((await post(router.url, { ...auth, ...daemonKey.sign('fir_old', new Date(Date.now() - 6 * 60_000), fresh) }, fresh)).status, 401, 'the same key 6 minutes ago: a replay, refused');
  const forger = new WakeSigner([Buffer.alloc(32, 42)]);
  t.equal((await post(router.url, { ...auth, ...forger.sign('fir_forged', new Date(), fresh) }, fresh)).status, 401, 'another key is refused');
  t.ok(router.logs.some((l) => l.msg === 'wake refused' && l.reason === 'bad signature'), 'refusals are logged with their reason');
  t.notOk(JSON.stringify(router.logs).includes(WAKE_TOKEN), 'the wake token is never logged');
});

t.test('router.mjs answers 503 (retried by chronosd) while no chronosd publishes keys', async (t) => {
  const router = await startRouter(t, 'http://127.0.0.1:9');
  const signer = new WakeSigner([parseSeed(TEST_SECRETS.CHRONOS_SIGNING_KEYS)]);
  const body = JSON.stringify({ type: 'chronos.wake', fire_id: 'fir_x' });
  const res = await post(router.url, { authorization: `Bearer ${WAKE_TOKEN}`, ...signer.sign('fir_x', new Date(), body) }, body);
  t.equal(res.status, 503, 'no key, no verdict: a retryable answer');
  t.ok(router.logs.some((l) => l.msg === 'cannot fetch the signing keys'), 'the failed fetch is logged');
});

t.test("router.mjs refuses to start with a short wake token (deploy/env.example's placeholder)", async (t) => {
  const child = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', CHRONOS_WAKE_TOKEN: 'replace-me', PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  t.equal(code, 2, 'exit 2');
  t.match(stderr, /CHRONOS_WAKE_TOKEN is 10 characters: use at least 32/, 'saying why');
});
