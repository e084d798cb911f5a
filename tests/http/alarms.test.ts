import t from 'tap';
import { newAttemptId } from '../../src/ids.js';
import { testApp } from '../helpers/app.js';

const once = (extra: Record<string, unknown> = {}) => ({ kind: 'once', at: '2026-11-23T13:00:00Z', wake_message: 'Check the deploy of build 4f2a9c and report.', ...extra });

async function setup(t: { teardown(fn: () => unknown): void }, options: Parameters<typeof testApp>[1] = {}) {
  const h = await testApp(t, options);
  const client = h.client();
  const { token } = await client.principal();
  const post = (body: unknown, headers: Record<string, string> = {}) => h.request('POST', '/v1/alarms', { principal: token, body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  const get = (path: string) => h.request('GET', path, { principal: token });
  const del = (path: string) => h.request('DELETE', path, { principal: token });
  return { h, client, token, post, get, del };
}

interface Page {
  alarms: { id: string }[];
  next_cursor: string | null;
}

t.test('create, get, list, cancel: the AlarmView of SPEC 4.4', async (t) => {
  const { client, post, get, del } = await setup(t);
  const created = await post(once({ label: 'deploy check', conversation_id: 'conv_81c2', tags: ['deploy'], payload: { build: '4f2a9c' } }));
  t.equal(created.status, 201);
  const view = created.json.data;
  t.same(Object.keys(view), ['id', 'owner', 'kind', 'label', 'conversation_id', 'at', 'tz', 'until', 'max_fires', 'wake_message', 'payload', 'tags', 'status', 'target', 'misfire', 'next_fire_at', 'fire_count', 'attempt', 'last_fired_at', 'last_error', 'idempotency_key', 'created_at', 'updated_at']);
  t.match(view, {
    id: /^alm_[A-Za-z0-9_-]{20}$/,
    owner: client.did,
    kind: 'once',
    label: 'deploy check',
    conversation_id: 'conv_81c2',
    at: '2026-11-23T13:00:00.000Z',
    tz: 'UTC',
    until: null,
    max_fires: null,
    wake_message: 'Check the deploy of build 4f2a9c and report.',
    payload: { build: '4f2a9c' },
    tags: ['deploy'],
    target: { type: 'router' },
    misfire: 'coalesce',
    status: 'scheduled',
    next_fire_at: '2026-11-23T13:00:00.000Z',
    fire_count: 0,
    attempt: 0,
    last_fired_at: null,
    last_error: null,
    idempotency_key: null,
    created_at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
  });
  t.match(created.headers.get('x-request-id'), /.+/);
  const fetched = await get(`/v1/alarms/${view.id}`);
  t.same(fetched.json, { ok: true, data: view });
  const listed = await get('/v1/alarms');
  t.same(listed.json.data, { alarms: [view], next_cursor: null });
  const cancelled = await del(`/v1/alarms/${view.id}`);
  t.match(cancelled, { status: 200, json: { data: { id: view.id, status: 'cancelled', next_fire_at: null } } });
  t.match(await del(`/v1/alarms/${view.id}`), { status: 200, json: { data: { status: 'cancelled' } } }, 'cancelling again is 200');
  t.match(await get(`/v1/alarms/${view.id}/fires`), { status: 200, json: { data: { fires: [], next_cursor: null } } });
});

t.test('cron and rrule views carry their own fields', async (t) => {
  const { post } = await setup(t);
  const cron = await post({ kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'europe/berlin', until: '2027-01-01T00:00:00Z', max_fires: 20, wake_message: 'standup' });
  t.equal(cron.status, 201);
  t.match(cron.json.data, { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', start: '2026-11-23T12:00:00.000Z', until: '2027-01-01T00:00:00.000Z', max_fires: 20, next_fire_at: '2026-11-24T08:00:00.000Z' });
  t.notOk('at' in cron.json.data || 'rrule' in cron.json.data);
  const rrule = await post({ kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0', tz: 'America/New_York', start: '2026-12-01T00:00:00Z', wake_message: 'weekly' });
  t.match(rrule.json.data, { kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0', start: '2026-12-01T00:00:00.000Z', next_fire_at: '2026-12-04T14:00:00.000Z' });
  const delayed = await post({ kind: 'once', delay: '15m', wake_message: 'soon' });
  t.match(delayed.json.data, { at: '2026-11-23T12:15:00.000Z', next_fire_at: '2026-11-23T12:15:00.000Z' }, 'delay counts from the injected clock');
});

t.test('at_local: a wall time read in tz; the view shows it beside the resolved at; it takes part in idempotency', async (t) => {
  const { post, get } = await setup(t);
  const body = { kind: 'once', at_local: '2027-03-14T02:30', tz: 'America/New_York', wake_message: 'w', idempotency_key: 'local-1' };
  const created = await post(body);
  t.equal(created.status, 201);
  t.match(created.json.data, { kind: 'once', at: '2027-03-14T07:00:00.000Z', at_local: '2027-03-14T02:30', tz: 'America/New_York', next_fire_at: '2027-03-14T07:00:00.000Z' }, 'in the DST gap: right after it');
  t.same(Object.keys(created.json.data).slice(5, 8), ['at', 'at_local', 'tz']);
  t.equal((await get(`/v1/alarms/${created.json.data.id}`)).text, created.text, 'GET shows the same');
  t.equal((await post(body)).status, 200, 'the same request again: the existing alarm');
  t.match(await post({ ...body, at_local: '2027-03-14T03:00' }), { status: 409, json: { error: { code: 'idempotency_conflict' } } }, 'another wall time, even one resolving to the same instant, is another request');
  t.notOk('at_local' in (await post(once())).json.data, 'absent when the alarm was set with at');
});

t.test('target and misfire: given at create, in the view, defaulted, validated; they take part in idempotency', async (t) => {
  const { post } = await setup(t);
  const explicit = await post(once({ target: { type: 'router' }, misfire: 'coalesce', idempotency_key: 'k-target' }));
  t.match(explicit, { status: 201, json: { data: { target: { type: 'router' }, misfire: 'coalesce' } } });
  t.match(await post(once({ target: { type: 'router' }, misfire: 'coalesce', idempotency_key: 'k-target' })), { status: 200, json: { data: { id: explicit.json.data.id } } }, 'a replay');
  t.match(await post(once({ idempotency_key: 'k-target' })), { status: 409, json: { error: { code: 'idempotency_conflict' } } }, 'the same key without them is another request');
  const bad: [Record<string, unknown>, string][] = [
    [{ target: { type: 'pager' } }, 'target.type'],
    [{ target: { type: 'webhook', endpoint: 'ep_1' } }, 'target.endpoint'],
    [{ target: { type: 'router', url: 'http://elsewhere' } }, 'target.url'],
    [{ target: 'router' }, 'target'],
    [{ misfire: 'sometimes' }, 'misfire'],
  ];
  for (const [fields, path] of bad) {
    t.match(await post(once(fields)), { status: 400, json: { error: { code: 'invalid_request', details: [{ path }] } } }, JSON.stringify(fields));
  }
});

t.test('the payload comes back as the JSON text the client sent (SPEC 6.3)', async (t) => {
  const { post, get } = await setup(t);
  const payload = '{"z":1,"2":[1.10,18446744073709551615],"a":"\\u00e9"}';
  const body = `{"kind":"once","delay":"1h","wake_message":"w","payload":  ${payload}  }`;
  const created = await post(body);
  t.equal(created.status, 201);
  t.ok(created.text.includes(`"payload":${payload},`), 'create answers the payload verbatim');
  const id = created.json.data.id;
  t.ok((await get(`/v1/alarms/${id}`)).text.includes(`"payload":${payload},`), 'get too');
  t.ok((await get('/v1/alarms')).text.includes(`"payload":${payload},`), 'list too');
  const scalar = await post('{"kind":"once","delay":"1h","wake_message":"w","payload":1e400}');
  t.ok(scalar.text.includes('"payload":1e400,'), 'a number JSON.parse cannot hold is kept as written');
  const nested = await post('{"kind":"once","delay":"1h","wake_message":"w","payload":"\\ud83d\\ude00 \\u0000 \\ud800"}');
  t.equal(nested.status, 201, 'inside the payload any JSON escape is fine');
  t.ok(nested.text.includes('"payload":"\\ud83d\\ude00 \\u0000 \\ud800",'));
  const absent = await post({ kind: 'once', delay: '1h', wake_message: 'w' });
  t.equal(absent.json.data.payload, null, 'payload defaults to null');
});

t.test('idempotency keys', async (t) => {
  const { h, post, get } = await setup(t);
  const body = once({ idempotency_key: 'deploy-check-4f2a9c', payload: { a: 1, b: [1, 2] } });
  const first = await post(body);
  t.equal(first.status, 201);
  t.equal(first.json.data.idempotency_key, 'deploy-check-4f2a9c');
  const replay = await post('{"kind":"once","at":"2026-11-23T13:00:00Z","wake_message":"Check the deploy of build 4f2a9c and report.","idempotency_key":"deploy-check-4f2a9c","payload":{ "a" : 1, "b" : [ 1, 2 ] }}');
  t.equal(replay.status, 200, 'the same request with other whitespace in the payload is a replay');
  t.equal(replay.json.data.id, first.json.data.id);
  await h.database.sql`UPDATE alarms SET status = 'completed', next_fire_at = NULL, finished_at = now() WHERE id = ${first.json.data.id}`;
  t.match(await post(body), { status: 200, json: { data: { id: first.json.data.id, status: 'completed' } } }, 'whatever its status now');
  const conflict = await post(once({ idempotency_key: 'deploy-check-4f2a9c', payload: { a: 2 } }));
  t.match(conflict, { status: 409, json: { error: { code: 'idempotency_conflict', details: { alarm_id: first.json.data.id } } } });
  const viaHeader = await post(once({ wake_message: 'header key' }), { 'Idempotency-Key': 'hdr-1' });
  t.equal(viaHeader.status, 201);
  t.equal(viaHeader.json.data.idempotency_key, 'hdr-1');
  t.equal((await post(once({ wake_message: 'header key' }), { 'Idempotency-Key': 'hdr-1' })).status, 200);
  t.match(await post(once({ idempotency_key: 'a' }), { 'Idempotency-Key': 'b' }), { status: 400, json: { error: { code: 'invalid_request', details: [{ path: 'idempotency_key' }] } } });
  const other = h.client();
  const otherToken = (await other.principal()).token;
  const sameKeyOtherOwner = await h.request('POST', '/v1/alarms', { principal: otherToken, body: JSON.stringify(body) });
  t.equal(sameKeyOtherOwner.status, 201, 'keys are per owner');
  t.equal((await get('/v1/alarms')).json.data.alarms.length, 2);
});

t.test('20 concurrent identical creates make exactly one alarm', async (t) => {
  const { h, post } = await setup(t);
  const body = once({ idempotency_key: 'race', payload: [1, 2, 3] });
  const answers = await Promise.all(Array.from({ length: 20 }, () => post(body)));
  t.same(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
  t.equal(new Set(answers.map((a) => a.json.data.id)).size, 1);
  const rows = await h.database.sql`SELECT count(*)::int AS n FROM alarms WHERE idempotency_key = 'race'`;
  t.equal(rows[0]?.n, 1);
});

t.test("another owner's alarm is a 404 on every route", async (t) => {
  const { h, post } = await setup(t);
  const id = (await post(once())).json.data.id;
  const intruder = (await h.client().principal()).token;
  for (const [method, path] of [['GET', `/v1/alarms/${id}`], ['DELETE', `/v1/alarms/${id}`], ['GET', `/v1/alarms/${id}/fires`]] as const) {
    const res = await h.request(method, path, { principal: intruder });
    t.match(res, { status: 404, json: { ok: false, error: { code: 'not_found', message: 'no such alarm' } } }, `${method} ${path}`);
  }
  t.same((await h.request('GET', '/v1/alarms', { principal: intruder })).json.data.alarms, []);
  const missing = await h.request('GET', '/v1/alarms/alm_AAAAAAAAAAAAAAAAAAAA', { principal: intruder });
  t.same(missing.json, (await h.request('GET', `/v1/alarms/${id}`, { principal: intruder })).json, 'indistinguishable from a missing alarm');
  t.match(await h.request('GET', '/v1/alarms/not-an-id', { principal: intruder }), { status: 404 });
});

t.test('bad input: the right status and code, the field named, nothing stored', async (t) => {
  const { h, post } = await setup(t);
  const big = (n: number) => 'x'.repeat(n);
  const cases: [string, unknown, number, string, string?][] = [
    ['not JSON', '{"kind":', 400, 'invalid_json'],
    ['trailing comma', '{"kind":"once",}', 400, 'invalid_json'],
    ['an array body', '[]', 400, 'invalid_request', ''],
    ['unknown field', once({ wake_mesage: 'typo' }), 400, 'invalid_request', 'wake_mesage'],
    ['no wake_message', { kind: 'once', delay: '5m' }, 400, 'invalid_request', 'wake_message'],
    ['empty wake_message', once({ wake_message: '' }), 400, 'invalid_request', 'wake_message'],
    ['NUL in wake_message', once({ wake_message: 'a\u0000b' }), 400, 'invalid_request', 'wake_message'],
    ['lone surrogate in label', '{"kind":"once","delay":"5m","wake_message":"w","label":"\\ud800"}', 400, 'invalid_request', 'label'],
    ['NUL in a tag', once({ tags: ['ok', 'b\u0000d'] }), 400, 'invalid_request', 'tags[1]'],
    ['17 tags', once({ tags: Array.from({ length: 17 }, (_, i) => `t${i}`) }), 400, 'invalid_request', 'tags'],
    ['a 65-character tag', once({ tags: [big(65)] }), 400, 'invalid_request', 'tags[0]'],
    ['an empty tag', once({ tags: [''] }), 400, 'invalid_request', 'tags[0]'],
    ['a tag that is a number', once({ tags: [5] }), 400, 'invalid_request', 'tags[0]'],
    ['label of 201 characters', once({ label: big(201) }), 400, 'invalid_request', 'label'],
    ['conversation_id not a string', once({ conversation_id: 7 }), 400, 'invalid_request', 'conversation_id'],
    ['idempotency_key of 201 characters', once({ idempotency_key: big(201) }), 400, 'invalid_request', 'idempotency_key'],
    ['at without offset', once({ at: '2026-11-23T13:00:00' }), 400, 'invalid_request', 'at'],
    ['unknown tz', once({ tz: 'Mars/Base' }), 400, 'invalid_request', 'tz'],
    ['cron never fires', { kind: 'cron', cron: '0 0 30 2 *', wake_message: 'w' }, 400, 'invalid_request', 'cron'],
    ['wake_message over 8 KiB', once({ wake_message: big(8 * 1024 + 1) }), 413, 'payload_too_large', 'wake_message'],
    ['payload over 64 KiB', once({ payload: big(64 * 1024) }), 413, 'payload_too_large', 'payload'],
    ['body over 128 KiB', once({ payload: big(64 * 1024 - 10), label: null, x: big(70 * 1024) }), 413, 'payload_too_large'],
    ['payload twice', '{"kind":"once","delay":"5m","wake_message":"w","payload":1,"payload":2}', 400, 'invalid_request', 'payload'],
  ];
  for (const [name, body, status, code, path] of cases) {
    const res = await post(body);
    t.equal(res.status, status, `${name}: status`);
    t.equal(res.json.error?.code, code, `${name}: code`);
    if (path !== undefined) t.ok((res.json.error?.details as { path: string }[]).some((d) => d.path === path), `${name}: names ${path}`, { details: res.json.error?.details });
  }
  const wrongType = await h.request('POST', '/v1/alarms', { principal: (await h.client().principal()).token, body: JSON.stringify(once()), headers: { 'Content-Type': 'text/plain' } });
  t.match(wrongType, { status: 415, json: { error: { code: 'unsupported_media_type' } } });
  const badUtf8 = await h.app.request('http://chronos.test/v1/auth/challenge', { method: 'POST', headers: { Authorization: 'Bearer transport-token-for-tests-0123456789', 'Content-Type': 'application/json' }, body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) });
  t.equal(badUtf8.status, 400);
  t.match(await badUtf8.json(), { error: { code: 'invalid_json', message: /UTF-8/ } });
  const rows = await h.database.sql`SELECT count(*)::int AS n FROM alarms`;
  t.equal(rows[0]?.n, 0, 'nothing was stored');
});

t.test('quota: max_active_alarms per owner', async (t) => {
  const { h, post, del } = await setup(t, { maxActiveAlarms: 3 });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await post(once({ wake_message: `w${i}` }))).json.data.id);
  t.match(await post(once()), { status: 429, json: { error: { code: 'quota_exceeded' } } });
  const other = (await h.client().principal()).token;
  t.equal((await h.request('POST', '/v1/alarms', { principal: other, body: JSON.stringify(once()) })).status, 201, 'the quota is per owner');
  await del(`/v1/alarms/${ids[0]}`);
  t.equal((await post(once())).status, 201, 'a cancelled alarm frees its place');
  const concurrent = await Promise.all(Array.from({ length: 5 }, (_, i) => h.request('POST', '/v1/alarms', { principal: other, body: JSON.stringify(once({ wake_message: `c${i}` })) })));
  t.same(concurrent.map((r) => r.status).sort(), [201, 201, 429, 429, 429], 'concurrent creates never pass the quota');
});

t.test('rate limit: a token bucket per principal, with Retry-After', async (t) => {
  const { h, get } = await setup(t, { rate: { perSecond: 2, burst: 3 } });
  // Time passes for both deciders: this replica's buckets (the app's clock) and the shared state (the database clock, moved back instead).
  const elapse = async (ms: number) => {
    h.advance(ms);
    await h.database.sql`UPDATE rate_limits SET tat = tat - ${ms} * interval '1 millisecond'`;
  };
  await elapse(1_000);
  const other = (await h.client().principal()).token;
  // The address bucket: 2 calls at 0 s, refilled to 3 by 1 s, 2 calls for `other`, so one is left.
  const challenge = () => h.request('POST', '/v1/auth/challenge', { body: '{"did":"did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw"}' });
  t.equal((await challenge()).status, 200);
  t.match(await challenge(), { status: 429, json: { error: { code: 'rate_limited' } } }, 'auth routes: a bucket per client address');
  for (let i = 0; i < 3; i++) t.equal((await get('/v1/alarms')).status, 200);
  const limited = await get('/v1/alarms');
  t.match(limited, { status: 429, json: { error: { code: 'rate_limited' } } });
  t.equal(limited.headers.get('retry-after'), '1');
  t.equal((await h.request('GET', '/v1/alarms', { principal: other })).status, 200, 'another principal has its own bucket');
  await elapse(500);
  t.equal((await get('/v1/alarms')).status, 200, 'one token back after 500 ms at 2/s');
  t.equal((await get('/v1/alarms')).status, 429);
});

t.test('listing: newest first, filters, cursor pages', async (t) => {
  const { h, post, get, del } = await setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push((await post(once({ wake_message: `w${i}`, tags: i % 2 === 0 ? ['even'] : ['odd'] }))).json.data.id);
    h.advance(1);
  }
  await del(`/v1/alarms/${ids[1]}`);
  const all = (await get('/v1/alarms')).json.data.alarms.map((a: { id: string }) => a.id);
  t.same(all, [...ids].reverse(), 'newest first');
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = (await get(`/v1/alarms?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json.data as Page;
    t.ok(page.alarms.length <= 2);
    seen.push(...page.alarms.map((a) => a.id));
    cursor = page.next_cursor;
  } while (cursor);
  t.same(seen, all, 'pages cover every alarm once, in order');
  t.same((await get('/v1/alarms?status=cancelled')).json.data.alarms.map((a: { id: string }) => a.id), [ids[1]]);
  t.same((await get('/v1/alarms?status=scheduled,cancelled')).json.data.alarms.length, 5);
  t.same((await get('/v1/alarms?tag=even')).json.data.alarms.map((a: { id: string }) => a.id), [ids[4], ids[2], ids[0]]);
  t.same((await get('/v1/alarms?tag=odd&status=scheduled')).json.data.alarms.map((a: { id: string }) => a.id), [ids[3]]);
  const badQueries: [string, string][] = [['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=x', 'limit'], ['cursor=bogus', 'cursor'], ['status=done', 'status'], ['sort=asc', 'sort']];
  for (const [query, path] of badQueries) {
    t.match(await get(`/v1/alarms?${query}`), { status: 400, json: { error: { code: 'invalid_request', details: [{ path }] } } }, query);
  }
});

t.test('fire history: FireView, newest first, pages; cancel of completed or failed is 409', async (t) => {
  const { h, post, get, del } = await setup(t);
  const alarm = (await post(once())).json.data;
  for (let attempt = 1; attempt <= 3; attempt++) {
    await h.database.sql`
      INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome, status_code, error, duration_ms)
      VALUES (${newAttemptId()}, 'fir_test', ${alarm.id}, '2026-11-23T13:00:00Z', ${attempt}, ${new Date(Date.parse('2026-11-23T13:00:00Z') + attempt * 1000)},
              ${new Date(Date.parse('2026-11-23T13:00:00Z') + attempt * 1000 + 20)}, ${attempt === 3 ? 'delivered' : 'retrying'}, ${attempt === 3 ? 204 : 503},
              ${attempt === 3 ? null : 'router answered 503: busy'}, 20)`;
  }
  const page1 = await get(`/v1/alarms/${alarm.id}/fires?limit=2`);
  t.same(Object.keys(page1.json.data.fires[0]), ['id', 'fire_id', 'alarm_id', 'scheduled_for', 'attempt', 'started_at', 'finished_at', 'outcome', 'status_code', 'error', 'duration_ms', 'target_type', 'manual']);
  t.match(page1.json.data.fires, [
    { attempt: 3, outcome: 'delivered', status_code: 204, error: null, fire_id: 'fir_test', scheduled_for: '2026-11-23T13:00:00.000Z', duration_ms: 20 },
    { attempt: 2, outcome: 'retrying', status_code: 503, error: 'router answered 503: busy' },
  ]);
  const page2 = await get(`/v1/alarms/${alarm.id}/fires?limit=2&cursor=${page1.json.data.next_cursor}`);
  t.match(page2.json.data, { fires: [{ attempt: 1 }], next_cursor: null });
  for (const status of ['completed', 'failed']) {
    await h.database.sql`UPDATE alarms SET status = ${status}, next_fire_at = NULL, finished_at = now() WHERE id = ${alarm.id}`;
    t.match(await del(`/v1/alarms/${alarm.id}`), { status: 409, json: { error: { code: 'not_cancellable', details: { status } } } });
  }
});
