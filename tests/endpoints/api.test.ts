/** The /v1/endpoints routes (SPEC 8.2): secrets shown once, owner scoping, destination checks, limits, in-use deletes, rotation. */
import t from 'tap';
import { testApp } from '../helpers/app.js';

async function setup(t: { teardown(fn: () => unknown): void }, options: Parameters<typeof testApp>[1] = {}) {
  const h = await testApp(t, options);
  const client = h.client();
  const { token } = await client.principal();
  const call = (method: string, path: string, body?: unknown) => h.request(method, path, { principal: token, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { h, client, token, call };
}

const HOOK = 'https://hooks.example.com/chronos';

t.test('create answers the secret once; get and list never show it; patch, rotate and delete', async (t) => {
  const { call } = await setup(t);
  const created = await call('POST', '/v1/endpoints', { url: HOOK, description: 'deploys', method: 'PUT', headers: { 'X-Api-Key': 'k1' }, body: 'payload' });
  t.equal(created.status, 201);
  const ep = created.json.data;
  t.same(Object.keys(ep), ['id', 'url', 'description', 'method', 'headers', 'body', 'secret_grace_until', 'created_at', 'updated_at', 'secret']);
  t.match(ep, { id: /^ep_[A-Za-z0-9_-]{20}$/, url: HOOK, description: 'deploys', method: 'PUT', headers: { 'X-Api-Key': 'k1' }, body: 'payload', secret_grace_until: null, secret: /^whsec_[A-Za-z0-9+/]{43}=$/ });

  const got = await call('GET', `/v1/endpoints/${ep.id}`);
  t.equal(got.status, 200);
  t.notOk('secret' in got.json.data, 'GET shows no secret');
  t.notOk(got.text.includes(ep.secret), 'nor anywhere in its text');
  const listed = await call('GET', '/v1/endpoints');
  t.same(listed.json.data.endpoints.map((e: { id: string }) => e.id), [ep.id]);
  t.notOk(listed.text.includes(ep.secret), 'the list shows no secret');

  const defaults = await call('POST', '/v1/endpoints', { url: 'https://hooks.example.com/other' });
  t.match(defaults.json.data, { method: 'POST', headers: {}, body: 'wake', description: null });

  const patched = await call('PATCH', `/v1/endpoints/${ep.id}`, { description: null, method: 'POST', url: 'https://hooks.example.com/v2' });
  t.match(patched, { status: 200, json: { data: { description: null, method: 'POST', url: 'https://hooks.example.com/v2', headers: { 'X-Api-Key': 'k1' }, body: 'payload' } } }, 'a merge patch: given fields replaced, null clears, the rest kept');
  t.notOk('secret' in patched.json.data);

  const rotated = await call('POST', `/v1/endpoints/${ep.id}/rotate-secret`);
  t.equal(rotated.status, 200);
  t.match(rotated.json.data.secret, /^whsec_/);
  t.not(rotated.json.data.secret, ep.secret, 'a new secret');
  const graceUntil = Date.parse(rotated.json.data.secret_grace_until);
  t.ok(Math.abs(graceUntil - (Date.now() + 86_400_000)) < 60_000, `the old one signs for webhook.secret_grace (24h): until ${rotated.json.data.secret_grace_until}`);

  t.match(await call('DELETE', `/v1/endpoints/${ep.id}`), { status: 200, json: { data: { id: ep.id } } });
  t.match(await call('GET', `/v1/endpoints/${ep.id}`), { status: 404, json: { error: { code: 'not_found' } } });
  t.match(await call('DELETE', `/v1/endpoints/${ep.id}`), { status: 404 }, 'deleting again: 404');
});

t.test("another owner's endpoint is as missing as a missing one, for the routes and as an alarm target", async (t) => {
  const { h, call } = await setup(t);
  const ep = (await call('POST', '/v1/endpoints', { url: HOOK })).json.data;
  const other = h.client();
  const { token } = await other.principal();
  const asOther = (method: string, path: string, body?: unknown) => h.request(method, path, { principal: token, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  for (const [method, path, body] of [['GET', `/v1/endpoints/${ep.id}`], ['PATCH', `/v1/endpoints/${ep.id}`, { description: 'x' }], ['DELETE', `/v1/endpoints/${ep.id}`], ['POST', `/v1/endpoints/${ep.id}/rotate-secret`]] as const) {
    t.match(await asOther(method, path, body), { status: 404, json: { error: { code: 'not_found' } } }, `${method} ${path}`);
  }
  t.same((await asOther('GET', '/v1/endpoints')).json.data.endpoints, []);
  const alarm = { kind: 'once', delay: '1h', wake_message: 'w', target: { type: 'webhook', endpoint: ep.id } };
  t.match(await asOther('POST', '/v1/alarms', alarm), { status: 400, json: { error: { code: 'invalid_request', details: [{ path: 'target.endpoint', message: /no webhook endpoint/ }] } } });
  t.match(await asOther('POST', '/v1/alarms', { ...alarm, target: { type: 'webhook', endpoint: 'ep_AAAAAAAAAAAAAAAAAAAA' } }), { status: 400, json: { error: { details: [{ path: 'target.endpoint' }] } } }, 'a missing one');
  t.match(await call('POST', '/v1/alarms', alarm), { status: 201, json: { data: { target: { type: 'webhook', endpoint: ep.id } } } }, 'its owner may target it');
});

t.test('an endpoint is not deleted while an alarm that may still fire targets it', async (t) => {
  const { call } = await setup(t);
  const ep = (await call('POST', '/v1/endpoints', { url: HOOK })).json.data;
  const alarm = (await call('POST', '/v1/alarms', { kind: 'once', delay: '1h', wake_message: 'w', target: { type: 'webhook', endpoint: ep.id } })).json.data;
  t.match(await call('DELETE', `/v1/endpoints/${ep.id}`), { status: 409, json: { error: { code: 'endpoint_in_use', details: { alarms: 1 } } } });
  t.equal((await call('GET', `/v1/endpoints/${ep.id}`)).status, 200, 'still there');
  await call('DELETE', `/v1/alarms/${alarm.id}`);
  t.equal((await call('DELETE', `/v1/endpoints/${ep.id}`)).status, 200, 'deleted once the alarm is cancelled');
});

t.test('destinations: https and public addresses only, unless the operator allows; refused at create and at patch', async (t) => {
  const { call } = await setup(t);
  const refused = [
    'http://hooks.example.com/',
    'https://127.0.0.1/',
    'https://127.1/',
    'https://2130706433/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::1]/',
    'https://0.0.0.0/',
    'https://localhost/',
    'https://10.1.2.3/',
    'https://169.254.169.254/latest/meta-data',
    'https://user:pw@hooks.example.com/',
    'ftp://hooks.example.com/',
  ];
  for (const url of refused) {
    const res = await call('POST', '/v1/endpoints', { url });
    t.match(res, { status: 400, json: { error: { code: 'destination_not_allowed', message: /^url: /, details: [{ path: 'url' }] } } }, `${url}: ${res.json.error?.message}`);
  }
  t.same((await call('GET', '/v1/endpoints')).json.data.endpoints, [], 'nothing was stored');
  const ep = (await call('POST', '/v1/endpoints', { url: HOOK })).json.data;
  t.match(await call('PATCH', `/v1/endpoints/${ep.id}`, { url: 'https://127.0.0.1/' }), { status: 400, json: { error: { code: 'destination_not_allowed' } } });
  t.match((await call('GET', `/v1/endpoints/${ep.id}`)).json.data, { url: HOOK }, 'the refused patch changed nothing');

  const { call: allowed } = await setup(t, { webhooks: { allowHttp: true, allowHosts: '127.0.0.1, localhost' } });
  for (const url of ['http://127.0.0.1:8081/hook', 'http://localhost:8081/hook']) t.equal((await allowed('POST', '/v1/endpoints', { url })).status, 201, `${url} with allow_http and allow_hosts`);
  t.match(await allowed('POST', '/v1/endpoints', { url: 'http://10.0.0.1/' }), { status: 400, json: { error: { code: 'destination_not_allowed' } } }, 'what allow_hosts does not list stays refused');
});

t.test('request checks: headers, method, body mode, unknown fields; the per-owner limit', async (t) => {
  const { call } = await setup(t, { webhooks: { maxEndpoints: 2 } });
  const bad: [Record<string, unknown>, string][] = [
    [{ url: HOOK, headers: { Connection: 'close' } }, 'headers.Connection'],
    [{ url: HOOK, headers: { 'webhook-signature': 'v1,forged' } }, 'headers.webhook-signature'],
    [{ url: HOOK, headers: { Host: 'elsewhere' } }, 'headers.Host'],
    [{ url: HOOK, headers: { 'Bad Name': 'x' } }, 'headers.Bad Name'],
    [{ url: HOOK, headers: { 'X-A': 'line\r\nInjected: 1' } }, 'headers.X-A'],
    [{ url: HOOK, headers: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`X-H${i}`, 'v'])) }, 'headers'],
    [{ url: HOOK, method: 'GET' }, 'method'],
    [{ url: HOOK, body: 'text' }, 'body'],
    [{ url: HOOK, secret: 'mine' }, 'secret'],
    [{}, 'url'],
    [{ url: `${HOOK}\u0000` }, 'url'],
  ];
  for (const [body, path] of bad) {
    const res = await call('POST', '/v1/endpoints', body);
    t.match(res, { status: 400, json: { error: { code: 'invalid_request', details: [{ path }] } } }, `${path}: ${res.json.error?.message}`);
  }
  t.equal((await call('POST', '/v1/endpoints', { url: HOOK })).status, 201);
  t.equal((await call('POST', '/v1/endpoints', { url: HOOK })).status, 201);
  t.match(await call('POST', '/v1/endpoints', { url: HOOK }), { status: 429, json: { error: { code: 'quota_exceeded', message: /most allowed is 2/ } } });
  const first = await call('GET', '/v1/endpoints?limit=1');
  t.match(first, { status: 200, json: { data: { endpoints: [{}], next_cursor: /./ } } });
  const second = await call('GET', `/v1/endpoints?limit=1&cursor=${first.json.data.next_cursor}`);
  t.match(second, { status: 200, json: { data: { endpoints: [{}], next_cursor: null } } }, 'the cursor reaches the next page');
  t.not(second.json.data.endpoints[0].id, first.json.data.endpoints[0].id);
});
