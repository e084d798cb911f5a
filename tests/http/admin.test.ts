/**
 * SPEC 10.1-10.3 through the API: the admin layer and the principal layer
 * refuse each other's tokens, scoped tokens, suspension and revocation, the
 * admin's views of alarms, owners and status, and both views of the audit log.
 */
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { OwnerControls } from '../../src/auth/owner-controls.js';
import { ADMIN_TOKEN, testApp, TRANSPORT_TOKEN } from '../helpers/app.js';

const once = { kind: 'once', at: '2026-11-23T13:00:00.000Z', wake_message: 'Check the deploy.' };

async function setup(t: { teardown(fn: () => unknown): void }) {
  const h = await testApp(t);
  const seed = generateSeed();
  const client = h.client(seed);
  const call = async (method: string, path: string, body?: unknown) =>
    h.request(method, path, { principal: (await client.principal()).token, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const admin = (method: string, path: string, body?: unknown) => h.request(method, path, { admin: true, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { h, seed, client, call, admin };
}

t.test('the admin routes take the admin token alone, and the other routes refuse it', async (t) => {
  const { h, client, admin } = await setup(t);
  const principal = (await client.principal()).token;
  t.equal((await admin('GET', '/v1/admin/status')).status, 200);
  const byTransport = await h.request('GET', '/v1/admin/status');
  t.equal(byTransport.status, 401, 'a transport token is not an admin token');
  t.match(byTransport.json.error, { code: 'unauthorized', message: /admin token/ });
  t.equal((await h.request('GET', '/v1/admin/status', { principal })).status, 401, 'nor is a principal token with it');
  t.equal((await h.request('GET', '/v1/admin/alarms', { headers: { Authorization: `Bearer ${principal}` } })).status, 401, 'nor a principal token as the bearer');
  t.equal((await h.request('GET', '/v1/admin/nothing-here', { admin: true })).status, 404, 'an unknown admin path, with the admin token, is not found');
  t.equal((await h.request('GET', '/v1/admin/nothing-here')).status, 401, 'without it, refused first');
  const alarms = await h.request('GET', '/v1/alarms', { admin: true, principal });
  t.equal(alarms.status, 401, 'an admin token is not a transport token');
  t.equal(alarms.json.error?.code, 'unauthorized');
  t.not(ADMIN_TOKEN, TRANSPORT_TOKEN);
});

t.test('a scoped token reaches only the routes of its scopes, and names the one missing', async (t) => {
  const { h } = await setup(t);
  const reader = h.client(undefined, undefined, ['alarms:read']);
  const { token, scopes } = (await reader.principal()) as unknown as { token: string; scopes: string[] };
  t.same(scopes, ['alarms:read']);
  t.equal((await h.request('GET', '/v1/alarms', { principal: token })).status, 200);
  const refused = await h.request('POST', '/v1/alarms', { principal: token, body: JSON.stringify(once) });
  t.equal(refused.status, 403);
  t.match(refused.json.error, { code: 'insufficient_scope', message: /alarms:write/, details: { scope: 'alarms:write', token_scopes: ['alarms:read'] } });
  t.match((await h.request('POST', '/v1/endpoints', { principal: token, body: '{"url":"https://example.com/hook"}' })).json.error, { code: 'insufficient_scope', details: { scope: 'endpoints:write' } });

  const all = await h.client().principal();
  t.same((all as unknown as { scopes: string[] }).scopes, ['alarms:read', 'alarms:write', 'endpoints:write', 'stream'], 'all of them by default');

  const wrong = h.client(undefined, undefined, ['alarms:delete' as never]);
  await t.rejects(wrong.principal(), { status: 400, code: 'invalid_request', message: /scopes\[0\]: must be one of alarms:read, alarms:write, endpoints:write, stream/ });
  await t.rejects(h.client(undefined, undefined, []).principal(), { status: 400, message: /at least one scope/ });
});

t.test('a suspended owner is refused and its alarms wait; unsuspended, it goes on; each step audited with the admin\'s name', async (t) => {
  const { client, call, admin } = await setup(t);
  const alarm = (await call('POST', '/v1/alarms', once)).json.data as { id: string };
  const did = client.did;

  const suspended = await admin('POST', `/v1/admin/owners/${encodeURIComponent(did)}/suspend`, { reason: 'runaway loop' });
  t.equal(suspended.status, 200);
  t.match(suspended.json.data, { did, suspended: true, suspended_reason: 'runaway loop', tokens_revoked_before: null });
  const refused = await call('GET', '/v1/alarms');
  t.equal(refused.status, 403);
  t.match(refused.json.error, { code: 'owner_suspended', message: /runaway loop/, details: { reason: 'runaway loop' } });
  t.equal((await admin('POST', `/v1/admin/owners/${did}/suspend`, {})).status, 400, 'a reason is required');
  t.match((await admin('GET', '/v1/admin/status')).json.data, { suspended_owners: 1, due: { backlog: 0 } });

  const lifted = await admin('POST', `/v1/admin/owners/${did}/unsuspend`);
  t.match(lifted.json.data, { suspended: false, suspended_at: null });
  t.equal((await call('GET', `/v1/alarms/${alarm.id}`)).status, 200);
  t.equal((await admin('POST', `/v1/admin/owners/${did}/unsuspend`)).status, 200, 'again is fine');

  const log = await admin('GET', `/v1/admin/audit?target_id=${encodeURIComponent(did)}`);
  t.match(
    log.json.data.entries.map((e: Record<string, unknown>) => [e.action, e.actor, e.details]),
    [
      ['owner.unsuspend', 'admin:ops', {}],
      ['owner.suspend', 'admin:ops', { reason: 'runaway loop' }],
    ],
    'one entry per change: the second unsuspend changed nothing',
  );
});

t.test('revoked tokens are refused on another replica within its refresh, a new one works', async (t) => {
  const { h, seed, client, call, admin } = await setup(t);
  const old = (await client.principal()).token;
  // A second replica: its own controls, on the same database, told by NOTIFY or its next reload.
  const other = new OwnerControls({ db: h.database.db, listen: (channel, onNotify) => h.database.sql.listen(channel, onNotify), log: h.owners['o'].log, refreshMs: 200 });
  await other.start();
  t.teardown(() => other.stop());
  const principal = await h.tokens.verify(old);
  t.doesNotThrow(() => other.check(principal));

  h.advance(1);
  const revoked = await admin('POST', `/v1/admin/owners/${client.did}/revoke-tokens`);
  t.type(revoked.json.data.tokens_revoked_before, 'string', 'the instant, by the database clock');
  const refused = await h.request('GET', '/v1/alarms', { principal: old });
  t.equal(refused.status, 401);
  t.equal(refused.json.error?.code, 'token_revoked', 'at once on the replica that revoked');
  const deadline = Date.now() + 5_000;
  let seen = false;
  while (!seen && Date.now() < deadline) {
    try {
      other.check(principal);
      await new Promise((r) => setTimeout(r, 50));
    } catch (err) {
      seen = (err as { code?: string }).code === 'token_revoked';
    }
  }
  t.ok(seen, 'the other replica refuses it within 5 s');

  const fresh = h.client(seed);
  h.advance(1_000);
  t.equal((await h.request('GET', '/v1/alarms', { principal: (await fresh.principal()).token })).status, 200, 'a token issued after the revocation works');
  t.equal((await call('GET', '/v1/alarms')).status, 401, 'the old client still sends its revoked token');
});

t.test('the admin lists, reads and cancels any owner\'s alarms, audited under its name', async (t) => {
  const { h, call, admin, client } = await setup(t);
  const second = h.client();
  const mine = (await call('POST', '/v1/alarms', { ...once, tags: ['deploy'] })).json.data as { id: string };
  const theirs = (await second.call<{ id: string }>('POST', '/v1/alarms', { body: { ...once, target: { type: 'stream' } } })).data;

  const all = (await admin('GET', '/v1/admin/alarms')).json.data;
  t.same(all.alarms.map((a: { id: string }) => a.id), [theirs.id, mine.id], 'every owner\'s, newest first');
  t.same((await admin('GET', `/v1/admin/alarms?owner=${encodeURIComponent(client.did)}`)).json.data.alarms.map((a: { id: string }) => a.id), [mine.id]);
  t.same((await admin('GET', '/v1/admin/alarms?target=stream')).json.data.alarms.map((a: { id: string }) => a.id), [theirs.id]);
  t.same((await admin('GET', '/v1/admin/alarms?tag=deploy&status=scheduled')).json.data.alarms.map((a: { id: string }) => a.id), [mine.id]);
  const paged = (await admin('GET', '/v1/admin/alarms?limit=1')).json.data;
  t.same((await admin('GET', `/v1/admin/alarms?limit=1&cursor=${paged.next_cursor}`)).json.data.alarms.map((a: { id: string }) => a.id), [mine.id], 'the cursor goes on');
  t.match((await admin('GET', '/v1/admin/alarms?target=email')).json.error, { code: 'invalid_request', message: /target: must be one of router, webhook, stream/ });
  t.match((await admin('GET', `/v1/admin/alarms/${theirs.id}`)).json.data, { id: theirs.id, owner: second.did });

  const cancelled = await admin('POST', `/v1/admin/alarms/${theirs.id}/cancel`);
  t.match(cancelled.json.data, { id: theirs.id, status: 'cancelled' });
  t.equal((await admin('POST', '/v1/admin/alarms/alm_AAAAAAAAAAAAAAAAAAAA/cancel')).status, 404);

  const theirLog = (await second.call<{ entries: Record<string, unknown>[] }>('GET', '/v1/audit')).data.entries;
  t.match(
    theirLog.map((e) => [e.action, e.actor]),
    [
      ['alarm.cancel', 'admin:ops'],
      ['alarm.create', second.did],
    ],
    'the owner sees the admin\'s change of its alarm',
  );
  t.notOk(theirLog.some((e) => e.target_id === mine.id), 'and nothing of another owner');
  t.match(theirLog[1], { owner: second.did, target_id: theirs.id, request_id: String, client_ip: 'local', details: { kind: 'once', target: 'stream' } });
});

t.test('the status counts what the database holds', async (t) => {
  const { h, call, admin } = await setup(t);
  // Not due by the database's clock, which the backlog is counted on.
  t.equal((await call('POST', '/v1/alarms', { ...once, at: '2030-01-01T00:00:00.000Z' })).status, 201);
  const paused = (await call('POST', '/v1/alarms', { ...once, kind: 'cron', cron: '0 9 * * *', at: undefined })).json.data as { id: string };
  await call('POST', `/v1/alarms/${paused.id}/pause`);
  const status = (await admin('GET', '/v1/admin/status')).json.data;
  t.match(status, {
    alarms: { by_status: { scheduled: 1, paused: 1, firing: 0, completed: 0, failed: 0, cancelled: 0 }, by_target: { router: 2, webhook: 0, stream: 0 } },
    due: { backlog: 0, oldest_lateness_ms: null },
    attempts: { last_minute: { delivered: 0, retrying: 0, failed: 0 }, last_hour: { delivered: 0, retrying: 0, failed: 0 } },
    top_owners: [{ active: 1 }],
    replicas: [],
  });
  t.equal(h.now(), Date.parse('2026-11-23T12:00:00.000Z'));
});
