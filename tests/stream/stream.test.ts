/**
 * The agent's own stream end to end (SPEC 8.3): chronosd replicas on one
 * database, real WebSocket clients, wakes acked, nacked, missed and handed
 * across replicas.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sign } from 'hono/jwt';
import t, { type Test } from 'tap';
import { freshDatabase } from '../helpers/db.js';
import { fakeRouter } from '../helpers/router.js';
import { agent, connectStream, insertAlarms, REPLICA_SECRETS, signedBody, startReplica, type ConnectOptions, type Replica } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';
import type { Database } from '../../src/db/pool.js';
import { admitListener, markConnected } from '../../src/store/stream.js';

const TRANSPORT = REPLICA_SECRETS.CHRONOS_TRANSPORT_TOKENS;

/** Two replicas on a fresh database, dispatching to a fake router (which no stream wake reaches). */
async function cluster(t: Test, env: Record<string, string> = {}) {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  const a = await startReplica(t, database.url, router.url, env);
  const b = await startReplica(t, database.url, router.url, env);
  return { database, router, a, b };
}

/** Connects `client`'s agent to `replica`'s stream. */
async function listen(replica: Replica, principal: string, o: Omit<ConnectOptions, 'principal'> = {}) {
  const conn = await connectStream(replica.url, { transport: TRANSPORT, principal, ...o });
  return conn;
}

/** The alarm's row as the API sees it. */
async function alarmRow(database: Database, id: string) {
  const [row] = await database.sql`SELECT status, attempt, fire_id, last_error, fire_count FROM alarms WHERE id = ${id}`;
  return { ...row };
}

/** The attempts of the alarm, in order. */
async function ledger(database: Database, id: string) {
  const rows = await database.sql`SELECT fire_id, attempt, outcome, status_code, error FROM fires WHERE alarm_id = ${id} ORDER BY attempt, finished_at`;
  return rows.map((r) => ({ ...r }));
}

/** The receiver's check that docs/targets.md shows (its stream section's TypeScript block), loaded as written. */
async function docsVerifier() {
  const md = readFileSync(new URL('../../docs/targets.md', import.meta.url), 'utf8');
  const section = md.slice(md.indexOf('## Stream')).slice(md.slice(md.indexOf('## Stream')).indexOf('### Checking the signature'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('docs/targets.md: no TypeScript example under "### Checking the signature"');
  const file = join(mkdtempSync(join(tmpdir(), 'chronos-docs-')), 'verify.ts');
  writeFileSync(file, code);
  const module = (await import(pathToFileURL(file).href)) as { verifiedWake: (text: string, publicKeys: string[], nowMs?: number) => Record<string, unknown> | null };
  return module.verifiedWake;
}

/** How a connect was refused: the status and code of the answer (or "accepted"). */
async function refusalOf(connecting: Promise<unknown>): Promise<{ status: number; code: string } | 'accepted'> {
  try {
    await connecting;
    return 'accepted';
  } catch (err) {
    const e = err as { status?: number; body?: { ok?: boolean; error?: { code?: string } } };
    return { status: e.status ?? 0, code: e.body?.ok === false ? (e.body.error?.code ?? '') : 'no envelope' };
  }
}

/** A raw HTTP GET with `headers`, answered as status and text. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a wake created through one replica reaches the listener on the other, signed, with the exact 6.1 body; the ack completes it', async (t) => {
  const { database, router, a, b } = await cluster(t);
  const alice = agent(a);
  const { token } = await alice.principal();
  const listener = await listen(b, token);
  t.match(listener.ready, { type: 'ready', agent_did: alice.did, tags: null, connection_id: /^conn_/ });
  const payload = '{"n":1.10,"big":18446744073709551615,"s":"\\u00e9"}';
  const created = await alice.call<{ id: string; fire_id: string }>('POST', '/v1/alarms', {
    rawBody: `{"kind":"once","delay":"1s","wake_message":"resume the deploy check","payload":${payload},"label":"deploy","conversation_id":"conv_1","tags":["deploy"],"target":{"type":"stream"}}`,
  });
  const wake = await listener.next((m) => m.json.type === 'chronos.wake');
  const body = JSON.parse(signedBody(wake.text)) as Record<string, unknown>;
  t.match(body, { type: 'chronos.wake', agent_did: alice.did, alarm_id: created.data.id, attempt: 1, kind: 'once', label: 'deploy', conversation_id: 'conv_1', tags: ['deploy'], wake_message: 'resume the deploy check' });
  t.equal(Object.keys(body).join(','), 'type,agent_did,alarm_id,fire_id,scheduled_for,fired_at,attempt,kind,label,conversation_id,tags,wake_message,manual,payload', 'the 6.1 members (and manual, SPEC 9.2), in order, and nothing else');
  t.ok(signedBody(wake.text).endsWith(`,"payload":${payload}}`), 'the payload verbatim: 1.10, every digit, the escape');
  const signature = wake.json.signature as Record<string, string>;
  t.equal(signature['webhook-id'], body.fire_id, 'webhook-id is the fire_id');
  t.ok(Math.abs(Number(signature['webhook-timestamp']) - Date.now() / 1000) < 60, 'webhook-timestamp is now, in seconds');
  const wellKnown = (await (await fetch(`${a.url}/.well-known/chronos`)).json()) as { keys: { public_key: string }[] };
  const keys = wellKnown.keys.map((k) => k.public_key);
  // The receiver's code of docs/targets.md: v1a checked with node:crypto against the published keys.
  const verifiedWake = await docsVerifier();
  t.same(verifiedWake(wake.text, keys), body, 'the signature verifies over the recovered body, which it returns');
  t.equal(verifiedWake(wake.text.replace('resume the deploy check', 'resume the deploy chock'), keys), null, 'a changed body does not verify');
  t.equal(verifiedWake(wake.text, keys, Date.now() + 6 * 60_000), null, 'a wake replayed 6 minutes later is refused');
  t.equal(verifiedWake(wake.text, [`whpk_${Buffer.alloc(32, 1).toString('base64')}`]), null, 'another key does not verify it');

  listener.send({ type: 'ack', fire_id: body.fire_id });
  await waitFor(async () => ((await alarmRow(database, created.data.id)).status === 'completed' ? true : undefined), 10_000);
  t.same(await alarmRow(database, created.data.id), { status: 'completed', attempt: 1, fire_id: body.fire_id, last_error: null, fire_count: 1 });
  t.same(await ledger(database, created.data.id), [{ fire_id: body.fire_id, attempt: 1, outcome: 'delivered', status_code: 200, error: null }]);
  t.equal(router.received.length, 0, 'nothing went to the router');
});

t.test('authentication: tokens as headers or as query parameters; a refused upgrade is a plain HTTP answer with the API\'s codes', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  const a = await startReplica(t, database.url, router.url);
  const alice = agent(a);
  const { token } = await alice.principal();
  t.equal((await listen(a, token)).ready.agent_did, alice.did, 'Authorization and X-Chronos-Principal headers');
  t.equal((await listen(a, token, { via: 'query' })).ready.agent_did, alice.did, 'access_token and principal query parameters');

  const refused = async (o: ConnectOptions, status: number, code: string, what: string) => {
    t.same(await refusalOf(connectStream(a.url, o)), { status, code }, what);
  };
  await refused({ principal: token }, 401, 'unauthorized', 'no transport token');
  await refused({ transport: 'wrong', principal: token }, 401, 'unauthorized', 'a wrong transport token');
  await refused({ transport: 'wrong', principal: token, via: 'query' }, 401, 'unauthorized', 'a wrong transport token in the query');
  await refused({ transport: TRANSPORT }, 401, 'invalid_token', 'no principal token');
  await refused({ transport: TRANSPORT, principal: `${token}x` }, 401, 'invalid_token', 'a forged principal token');
  await refused({ transport: TRANSPORT, principal: `${token}x`, via: 'query' }, 401, 'invalid_token', 'a forged principal token in the query');
  const iat = Math.floor(Date.now() / 1000) - 7200;
  const expired = await sign({ sub: alice.did, aud: 'chronos', iat, exp: iat + 3600, jti: 'expired' }, REPLICA_SECRETS.CHRONOS_TOKEN_SECRETS, 'HS256');
  await refused({ transport: TRANSPORT, principal: expired }, 401, 'token_expired', 'an expired principal token');
  await refused({ transport: TRANSPORT, principal: token, tags: '' }, 400, 'invalid_request', 'an empty tags filter');
  await refused({ transport: TRANSPORT, principal: token, tags: 'a,,b' }, 400, 'invalid_request', 'an empty tag');
  t.same(await database.sql`SELECT count(*)::int AS n FROM stream_listeners`.then((r) => r[0]!.n), 2, 'only the two accepted connections have rows');

  const plain = await rawGet(`${a.url}/v1/stream`, { authorization: `Bearer ${TRANSPORT}`, 'x-chronos-principal': token });
  t.equal(plain.status, 426, 'a GET without Upgrade: 426');
  t.match(JSON.parse(plain.text), { ok: false, error: { code: 'upgrade_required' } });
  const h2c = await rawGet(`${a.url}/healthz`, { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': '' });
  t.equal(h2c.status, 200, 'another Upgrade (h2c) elsewhere is served as an ordinary request');
  t.match(JSON.parse(h2c.text), { status: 'ok' });
  const elsewhere = await rawGet(`${a.url}/v1/alarms`, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13', authorization: `Bearer ${TRANSPORT}`, 'x-chronos-principal': token });
  t.equal(elsewhere.status, 200, 'a WebSocket upgrade of another path is served as an ordinary request');
  t.match(JSON.parse(elsewhere.text), { ok: true, data: { alarms: [] } });
});

t.test('at most stream.max_connections_per_owner connections per DID across replicas: the 9th is refused 429 on either', async (t) => {
  const { database, a, b } = await cluster(t);
  const alice = agent(a);
  const { token } = await alice.principal();
  const open = [];
  for (let i = 0; i < 8; i++) open.push(await listen(i % 2 === 0 ? a : b, token));
  for (const replica of [a, b]) {
    t.same(await refusalOf(connectStream(replica.url, { transport: TRANSPORT, principal: token })), { status: 429, code: 'too_many_connections' }, 'the 9th is refused');
  }
  const bob = agent(b);
  t.ok((await listen(a, (await bob.principal()).token)).ready, 'another DID has a cap of its own');
  open[0]!.ws.close();
  await waitFor(async () => ((await database.sql`SELECT count(*)::int AS n FROM stream_listeners WHERE owner = ${alice.did}`)[0]!.n === 7 ? true : undefined), 5_000);
  t.ok((await listen(b, token)).ready, 'once one closed, another is admitted');
});

t.test('a replica that fires nothing (no router_url) serves no stream: 503 stream_unavailable', async (t) => {
  const database = await freshDatabase(t);
  const idle = await startReplica(t, database.url, undefined);
  const { token } = await agent(idle).principal();
  t.same(await refusalOf(connectStream(idle.url, { transport: TRANSPORT, principal: token })), { status: 503, code: 'stream_unavailable' });
});

t.test('nack with retry false: the occurrence fails, last_error naming the listener\'s error', async (t) => {
  const { database, router, a, b } = await cluster(t);
  const alice = agent(a);
  const listener = await listen(b, (await alice.principal()).token);
  const [id] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did });
  const wake = await listener.next((m) => m.json.type === 'chronos.wake');
  listener.send({ type: 'nack', fire_id: wake.json.fire_id, retry: false, error: 'unknown conversation\u0000' });
  await waitFor(async () => ((await alarmRow(database, id!)).status === 'failed' ? true : undefined), 10_000);
  const error = 'stream listener refused the wake: unknown conversation';
  t.same(await alarmRow(database, id!), { status: 'failed', attempt: 1, fire_id: wake.json.fire_id, last_error: error, fire_count: 0 });
  t.same(await ledger(database, id!), [{ fire_id: wake.json.fire_id, attempt: 1, outcome: 'failed', status_code: null, error }]);
  t.equal(router.received.length, 0);
});

t.test('nack with retry true: sent again with the same fire_id, along the ladder', async (t) => {
  const { database, a, b } = await cluster(t);
  const alice = agent(a);
  const listener = await listen(b, (await alice.principal()).token);
  const [id] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did });
  const first = await listener.next((m) => m.json.type === 'chronos.wake');
  listener.send({ type: 'nack', fire_id: first.json.fire_id, retry: true, error: 'busy' });
  const second = await listener.next((m) => m.json.type === 'chronos.wake' && m.json.attempt === 2);
  t.equal(second.json.fire_id, first.json.fire_id, 'the same fire_id');
  listener.send({ type: 'ack', fire_id: second.json.fire_id });
  await waitFor(async () => ((await alarmRow(database, id!)).status === 'completed' ? true : undefined), 10_000);
  t.match(await ledger(database, id!), [
    { attempt: 1, outcome: 'retrying', error: 'stream listener nacked the wake: busy' },
    { attempt: 2, outcome: 'delivered', error: null },
  ]);
});

t.test('no listener: retrying with last_error "no stream listener", then delivered once one connects', async (t) => {
  const { database, a, b } = await cluster(t, { CHRONOS_RETRY_LADDER: '300ms, 300ms, 300ms, 300ms, 300ms, 300ms' });
  const alice = agent(a);
  const { token } = await alice.principal();
  const [id] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did });
  await waitFor(async () => ((await ledger(database, id!)).length > 0 ? true : undefined), 10_000);
  t.match(await alarmRow(database, id!), { status: 'scheduled', attempt: 1, last_error: 'no stream listener' }, 'retrying');
  t.match(await ledger(database, id!), [{ attempt: 1, outcome: 'retrying', error: 'no stream listener' }]);
  const listener = await listen(b, token);
  const wake = await listener.next((m) => m.json.type === 'chronos.wake');
  t.equal(wake.json.fire_id, (await alarmRow(database, id!)).fire_id, 'the same occurrence');
  listener.send({ type: 'ack', fire_id: wake.json.fire_id });
  await waitFor(async () => ((await alarmRow(database, id!)).status === 'completed' ? true : undefined), 10_000);
  t.match(await ledger(database, id!), [...Array.from({ length: Number(wake.json.attempt) - 1 }, () => ({ outcome: 'retrying', error: 'no stream listener' })), { outcome: 'delivered' }]);
});

t.test('no ack within wake.timeout: "stream ack timeout", sent again', async (t) => {
  const { database, a } = await cluster(t, { CHRONOS_WAKE_TIMEOUT: '300ms' });
  const alice = agent(a);
  const listener = await listen(a, (await alice.principal()).token);
  const [id] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did });
  const first = await listener.next((m) => m.json.type === 'chronos.wake');
  const second = await listener.next((m) => m.json.type === 'chronos.wake' && m.json.attempt === 2);
  t.equal(second.json.fire_id, first.json.fire_id);
  listener.send({ type: 'ack', fire_id: second.json.fire_id });
  await waitFor(async () => ((await alarmRow(database, id!)).status === 'completed' ? true : undefined), 10_000);
  t.match(await ledger(database, id!), [
    { attempt: 1, outcome: 'retrying', error: 'stream ack timeout' },
    { attempt: 2, outcome: 'delivered' },
  ]);
});

t.test('the tags filter: a listener with tags=deploy,ops gets alarms carrying either; others wait for a listener that takes them', async (t) => {
  const { database, a, b } = await cluster(t, { CHRONOS_RETRY_LADDER: '300ms, 300ms, 300ms, 300ms, 300ms, 300ms' });
  const alice = agent(a);
  const { token } = await alice.principal();
  const filtered = await listen(a, token, { tags: 'deploy,ops' });
  t.same(filtered.ready.tags, ['deploy', 'ops']);
  const [ops] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did, tags: ['ops', 'x'] });
  const [other] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did, tags: ['other'] });
  const [none] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did });
  const got = await filtered.next((m) => m.json.type === 'chronos.wake');
  t.equal(got.json.alarm_id, ops, 'the ops alarm came');
  filtered.send({ type: 'ack', fire_id: got.json.fire_id });
  await waitFor(async () => ((await ledger(database, other!)).length > 0 && (await ledger(database, none!)).length > 0 ? true : undefined), 10_000);
  t.match(await alarmRow(database, other!), { status: 'scheduled', last_error: 'no stream listener' }, 'tag other: no listener takes it');
  t.match(await alarmRow(database, none!), { status: 'scheduled', last_error: 'no stream listener' }, 'no tags: no listener takes it');
  const all = await listen(b, token);
  const taken = new Set<string>();
  for (const wanted of [other, none]) {
    const wake = await all.next((m) => m.json.alarm_id === wanted);
    all.send({ type: 'ack', fire_id: wake.json.fire_id });
    taken.add(String(wake.json.alarm_id));
  }
  t.same([...taken].sort(), [other, none].sort(), 'a listener without a filter takes both');
  t.equal(filtered.received.filter((m) => m.json.type === 'chronos.wake').length, 1, 'the filtered listener got only its own');
});

t.test('a listener that disconnects mid-wake gets it again, with the same fire_id, when it reconnects (to another replica)', async (t) => {
  const { database, a, b } = await cluster(t, { CHRONOS_RETRY_LADDER: '300ms, 300ms, 300ms, 300ms, 300ms, 300ms' });
  const alice = agent(a);
  const { token } = await alice.principal();
  const before = await listen(a, token);
  const [id] = await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did });
  const first = await before.next((m) => m.json.type === 'chronos.wake');
  before.ws.close();
  await waitFor(async () => ((await ledger(database, id!)).length > 0 ? true : undefined), 10_000);
  t.match(await ledger(database, id!), [{ attempt: 1, outcome: 'retrying', error: 'stream listener disconnected before acking' }]);
  const after = await listen(b, token);
  const again = await after.next((m) => m.json.type === 'chronos.wake');
  t.equal(again.json.fire_id, first.json.fire_id, 'the same fire_id');
  t.ok(Number(again.json.attempt) >= 2, `as attempt ${String(again.json.attempt)}`);
  after.send({ type: 'ack', fire_id: again.json.fire_id });
  await waitFor(async () => ((await alarmRow(database, id!)).status === 'completed' ? true : undefined), 10_000);
  t.match(await alarmRow(database, id!), { status: 'completed', fire_count: 1, last_error: null });
});

t.test('one occurrence goes to one connection: two listeners on one replica share the wakes, each once', async (t) => {
  const { database, a } = await cluster(t);
  const alice = agent(a);
  const { token } = await alice.principal();
  const listeners = [await listen(a, token), await listen(a, token)];
  for (const l of listeners) l.ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; fire_id: string };
    if (m.type === 'chronos.wake') l.send({ type: 'ack', fire_id: m.fire_id });
  });
  const ids = await insertAlarms(database, { n: 40, at: new Date(), owner: alice.did });
  await waitFor(async () => ((await database.sql`SELECT count(*)::int AS n FROM alarms WHERE status = 'completed'`)[0]!.n === 40 ? true : undefined), 15_000);
  const got = listeners.map((l) => l.received.filter((m) => m.json.type === 'chronos.wake').map((m) => String(m.json.alarm_id)));
  t.same([...got[0]!, ...got[1]!].sort(), [...ids].sort(), 'every alarm once, to one of them');
  t.ok(got[0]!.length > 0 && got[1]!.length > 0, `both had some (${got[0]!.length} and ${got[1]!.length}): round robin`);
});

t.test('a listener that connects wakes a sleeping dispatcher: its due alarm comes at once, not at the next poll', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  // A poll interval far beyond this test's waits: a wake that comes at all was brought by the NOTIFY of the connect.
  const a = await startReplica(t, database.url, router.url, { CHRONOS_POLL_INTERVAL: '10m' });
  const alice = agent(a);
  const { token } = await alice.principal();
  // The owner listens on another replica, so this one's claims pass the alarm over, and plan no wake-up for it.
  t.ok(await admitListener(database.db, 'elsewhere', { id: 'conn_elsewhere', owner: alice.did, tags: null }, 8));
  t.ok(await markConnected(database.db, 'conn_elsewhere'));
  // Inserted without a NOTIFY.
  await insertAlarms(database, { n: 1, at: new Date(), owner: alice.did });
  const listener = await listen(a, token);
  const wake = await listener.next((m) => m.json.type === 'chronos.wake', 5_000);
  t.equal(wake.json.attempt, 1, 'delivered at its first attempt, on the connect\'s wake-up');
});

t.test('shutdown: a replica closes its listeners (1001) after draining, and removes their rows', async (t) => {
  const { database, a, b } = await cluster(t);
  const alice = agent(a);
  const listener = await listen(b, (await alice.principal()).token);
  await b.stop();
  t.equal(await listener.closed, 1001, 'going away');
  t.same(await database.sql`SELECT count(*)::int AS n FROM stream_listeners`.then((r) => r[0]!.n), 0, 'no presence left behind');
});
