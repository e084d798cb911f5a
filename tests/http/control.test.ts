/**
 * SPEC 9.1 and 9.2 through the API: PATCH (merge patch, ETag and If-Match,
 * busy and finished alarms), pause, resume and fire now, on the app's clock.
 */
import t from 'tap';
import { testApp } from '../helpers/app.js';

const cron = (extra: Record<string, unknown> = {}) => ({ kind: 'cron', cron: '0 9 * * *', tz: 'Europe/Berlin', wake_message: 'Morning report.', ...extra });

async function setup(t: { teardown(fn: () => unknown): void }, options: Parameters<typeof testApp>[1] = {}) {
  const h = await testApp(t, options);
  const client = h.client();
  // A token of the app's clock, renewed as the tests move it on.
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    h.request(method, path, { principal: (await client.principal()).token, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const create = async (body: unknown) => {
    const res = await call('POST', '/v1/alarms', body);
    if (res.status !== 201) throw new Error(res.text);
    return res.json.data as Record<string, any>;
  };
  return { h, call, create };
}

t.test('PATCH changes the fields given, keeps the payload verbatim, and recomputes the schedule from now only when it changes', async (t) => {
  const { h, call, create } = await setup(t);
  h.advance(345);
  const alarm = await create(`${JSON.stringify(cron({ label: 'report', tags: ['a'] })).slice(0, -1)},"payload":{"n":1.10}}`);
  t.equal(alarm.start, '2026-11-23T12:00:00.345Z');
  t.equal(alarm.next_fire_at, '2026-11-24T08:00:00.000Z');
  const relabelled = await call('PATCH', `/v1/alarms/${alarm.id}`, { label: null, tags: ['b', 'c'], wake_message: 'Evening report.' });
  t.equal(relabelled.status, 200);
  t.match(relabelled.json.data, { label: null, tags: ['b', 'c'], wake_message: 'Evening report.', cron: '0 9 * * *', next_fire_at: '2026-11-24T08:00:00.000Z', status: 'scheduled' });
  t.match(relabelled.text, /"payload":\{"n":1\.10\}/, 'the payload is kept as sent');

  h.advance(1_800_000);
  const moved = await call('PATCH', `/v1/alarms/${alarm.id}`, '{"cron":"30 14 * * *","payload":{"big":18446744073709551615}}', { 'Content-Type': 'application/merge-patch+json' });
  t.equal(moved.status, 200);
  t.match(moved.json.data, { cron: '30 14 * * *', tz: 'Europe/Berlin', next_fire_at: '2026-11-23T13:30:00.000Z', attempt: 0, start: alarm.start });
  t.match(moved.text, /"payload":\{"big":18446744073709551615\}/, 'a new payload is kept as sent');

  const once = await call('PATCH', `/v1/alarms/${alarm.id}`, { kind: 'once', delay: '10m' });
  t.match(once.json.data, { kind: 'once', at: '2026-11-23T12:40:00.345Z', next_fire_at: '2026-11-23T12:40:00.345Z', tz: 'Europe/Berlin' }, 'a new kind replaces the schedule but tz');
  t.notOk('cron' in once.json.data);
});

t.test('PATCH validates the result as a create: the same codes and paths', async (t) => {
  const { call, create } = await setup(t);
  const alarm = await create(cron());
  const cases: [unknown, number, string, string[]][] = [
    [{ cron: 'not a cron' }, 400, 'invalid_request', ['cron']],
    [{ tz: 'Mars/Olympus' }, 400, 'invalid_request', ['tz']],
    // Naming when it fires drops the stored cron: the patch then lacks one, as a create would.
    [{ delay: '5m' }, 400, 'invalid_request', ['delay', 'cron']],
    [{ wake_message: null }, 400, 'invalid_request', ['wake_message']],
    [{ wake_messag: 'x' }, 400, 'invalid_request', ['wake_messag']],
    [{ target: { type: 'webhook', endpoint: 'ep_aaaaaaaaaaaaaaaaaaaa' } }, 400, 'invalid_request', ['target.endpoint']],
    [{ idempotency_key: 'new' }, 400, 'invalid_request', ['idempotency_key']],
    [{ misfire: 'sometimes' }, 400, 'invalid_request', ['misfire']],
    [{ wake_message: 'x'.repeat(9_000) }, 413, 'payload_too_large', ['wake_message']],
    [[1, 2], 400, 'invalid_request', ['']],
  ];
  for (const [patch, status, code, paths] of cases) {
    const res = await call('PATCH', `/v1/alarms/${alarm.id}`, patch);
    t.equal(res.status, status, JSON.stringify(patch).slice(0, 60));
    t.equal(res.json.error?.code, code);
    t.same((res.json.error?.details as { path: string }[]).map((d) => d.path), paths);
  }
  t.match(await call('PATCH', `/v1/alarms/${alarm.id}`, '{"label": '), { status: 400, json: { error: { code: 'invalid_json' } } });
  t.match(await call('PATCH', `/v1/alarms/${alarm.id}`, '{}', { 'Content-Type': 'text/plain' }), { status: 415 });
  t.match(await call('PATCH', '/v1/alarms/alm_xxxxxxxxxxxxxxxxxxxx', { label: 'x' }), { status: 404, json: { error: { code: 'not_found' } } });
  const after = await call('GET', `/v1/alarms/${alarm.id}`);
  t.same(after.json.data, alarm, 'no refused patch changed anything');
});

t.test('ETag and If-Match: a change made against an old read is refused with 412', async (t) => {
  const { call, create } = await setup(t);
  const alarm = await create(cron());
  const read = await call('GET', `/v1/alarms/${alarm.id}`);
  const etag = read.headers.get('etag')!;
  t.match(etag, /^"[A-Za-z0-9_-]{22}"$/);
  const first = await call('PATCH', `/v1/alarms/${alarm.id}`, { label: 'one' }, { 'If-Match': etag });
  t.equal(first.status, 200);
  t.not(first.headers.get('etag'), etag, 'the change makes a new ETag');
  const stale = await call('PATCH', `/v1/alarms/${alarm.id}`, { label: 'two' }, { 'If-Match': etag });
  t.match(stale, { status: 412, json: { error: { code: 'precondition_failed', details: { etag: first.headers.get('etag') } } } });
  t.match(await call('PATCH', `/v1/alarms/${alarm.id}`, { label: 'three' }, { 'If-Match': `W/${first.headers.get('etag')}` }), { status: 412 }, 'a weak tag never matches');
  t.match(await call('PATCH', `/v1/alarms/${alarm.id}`, { label: 'four' }, { 'If-Match': `"x", ${first.headers.get('etag')}` }), { status: 200 });
  t.match(await call('PATCH', `/v1/alarms/${alarm.id}`, { label: 'five' }, { 'If-Match': '*' }), { status: 200, json: { data: { label: 'five' } } });
});

t.test('a firing alarm is busy; a finished one cannot be updated, paused, resumed or fired', async (t) => {
  const { h, call, create } = await setup(t);
  const alarm = await create(cron());
  await h.database.sql`UPDATE alarms SET status = 'firing', claimed_by = 'r1', claimed_at = now(), lease_until = now() + interval '1 minute' WHERE id = ${alarm.id}`;
  for (const [method, path, body] of [['PATCH', '', { label: 'x' }], ['POST', '/pause', undefined], ['POST', '/fire', undefined]] as const) {
    t.match(await call(method, `/v1/alarms/${alarm.id}${path}`, body), { status: 409, json: { error: { code: 'alarm_busy', details: { status: 'firing' } } } }, `${method} ${path}`);
  }
  t.match(await call('POST', `/v1/alarms/${alarm.id}/resume`), { status: 200, json: { data: { status: 'firing' } } }, 'resuming a running alarm changes nothing');
  await h.database.sql`UPDATE alarms SET status = 'scheduled', claimed_by = NULL, claimed_at = NULL, lease_until = NULL WHERE id = ${alarm.id}`;
  await call('DELETE', `/v1/alarms/${alarm.id}`);
  for (const [method, path, body] of [['PATCH', '', { label: 'x' }], ['POST', '/pause', undefined], ['POST', '/resume', undefined], ['POST', '/fire', undefined]] as const) {
    t.match(await call(method, `/v1/alarms/${alarm.id}${path}`, body), { status: 409, json: { error: { code: 'not_updatable', details: { status: 'cancelled' } } } }, `${method} ${path}`);
  }
});

t.test('pause and resume: paused has no next fire time; resume picks up the pending occurrence, or follows the misfire policy when it passed', async (t) => {
  const { h, call, create } = await setup(t);
  const alarm = await create(cron());
  const paused = await call('POST', `/v1/alarms/${alarm.id}/pause`);
  t.match(paused, { status: 200, json: { data: { status: 'paused', next_fire_at: null } } });
  t.match(await call('POST', `/v1/alarms/${alarm.id}/pause`), { status: 200, json: { data: { status: 'paused' } } }, 'again is fine');
  t.match(await call('GET', '/v1/alarms?status=paused'), { json: { data: { alarms: [{ id: alarm.id }] } } }, 'paused is a status of the list filter');
  t.match(await call('POST', `/v1/alarms/${alarm.id}/resume`), { status: 200, json: { data: { status: 'scheduled', next_fire_at: '2026-11-24T08:00:00.000Z' } } }, 'nothing missed');

  const policies = { coalesce: await create(cron({ misfire: 'coalesce' })), skip: await create(cron({ misfire: 'skip' })), all: await create(cron({ misfire: 'all' })) };
  for (const a of Object.values(policies)) await call('POST', `/v1/alarms/${a.id}/pause`);
  h.advance(3 * 86_400_000);
  const resumed = async (id: string) => (await call('POST', `/v1/alarms/${id}/resume`)).json.data as Record<string, any>;
  t.match(await resumed(policies.coalesce.id), { status: 'scheduled', next_fire_at: '2026-11-26T12:00:00.000Z' }, 'coalesce: due at once, for all it missed');
  t.match(await resumed(policies.all.id), { status: 'scheduled', next_fire_at: '2026-11-26T12:00:00.000Z' }, 'all: due at once, from the oldest missed');
  t.match(await resumed(policies.skip.id), { status: 'scheduled', next_fire_at: '2026-11-27T08:00:00.000Z' }, 'skip: the next occurrence from now');
});

t.test('resume counts against the quota; a paused alarm does not', async (t) => {
  const { call, create } = await setup(t, { maxActiveAlarms: 1 });
  const first = await create(cron());
  await call('POST', `/v1/alarms/${first.id}/pause`);
  const second = await create(cron());
  t.ok(second.id, 'a paused alarm leaves room for another');
  t.match(await call('POST', `/v1/alarms/${first.id}/resume`), { status: 429, json: { error: { code: 'quota_exceeded' } } });
  await call('DELETE', `/v1/alarms/${second.id}`);
  t.match(await call('POST', `/v1/alarms/${first.id}/resume`), { status: 200, json: { data: { status: 'scheduled' } } });
  t.match(await call('POST', '/v1/alarms', cron()), { status: 429 }, 'the resumed alarm is counted');
});

t.test('fire now: 202 with a fire_id of its own, the schedule untouched, hidden from lists', async (t) => {
  const { h, call, create } = await setup(t);
  const alarm = await create(cron());
  await call('POST', `/v1/alarms/${alarm.id}/pause`);
  const fired = await call('POST', `/v1/alarms/${alarm.id}/fire`);
  t.equal(fired.status, 202);
  t.match(fired.json.data, { fire_id: /^fir_[A-Za-z0-9_-]{24}$/ });
  const after = (await call('GET', `/v1/alarms/${alarm.id}`)).json.data;
  t.match(after, { status: 'paused', next_fire_at: null, fire_count: 0 }, 'the alarm is as it was');
  t.same((await call('GET', '/v1/alarms')).json.data.alarms.map((a: { id: string }) => a.id), [alarm.id], 'the occurrence is no alarm of the list');
  const [manual] = await h.database.sql<{ id: string; manual_of: string; fire_id: string; next_fire_at: Date }[]>`SELECT id, manual_of, fire_id, next_fire_at FROM alarms WHERE manual_of IS NOT NULL`;
  t.match(manual, { manual_of: alarm.id, fire_id: fired.json.data.fire_id });
  t.match(await call('GET', `/v1/alarms/${manual!.id}`), { status: 404 }, 'nor can it be read by its own id');
  const cancelled = await call('DELETE', `/v1/alarms/${alarm.id}`);
  t.equal(cancelled.status, 200);
  const [gone] = await h.database.sql<{ status: string }[]>`SELECT status FROM alarms WHERE id = ${manual!.id}`;
  t.equal(gone!.status, 'cancelled', 'cancelling the alarm cancels the fire-now occurrence not yet sent');
});
