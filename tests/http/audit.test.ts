/**
 * SPEC 10.3: every route that changes something writes its audit entry, in
 * the transaction of the change. The routes come from the route table: a new
 * route that is not a GET must name its action (or null) to compile, and
 * this test fails until it has a call below that shows the entry written.
 */
import t from 'tap';
import { ROUTES, type RouteSpec } from '../../src/api/routes.js';
import { testApp } from '../helpers/app.js';

type Call = { path: string; body?: unknown; admin?: boolean };

t.test('every route that changes something writes one audit entry with the actor, the request id and the target', async (t) => {
  const h = await testApp(t, { webhooks: { allowHttp: true, allowHosts: '127.0.0.1' } });
  const client = h.client();
  const principal = async () => (await client.principal()).token;
  const cron = { kind: 'cron', cron: '0 9 * * *', wake_message: 'Report.' };
  const make = async () => (await client.call<{ id: string }>('POST', '/v1/alarms', { body: cron })).data.id;
  const endpoint = async () => (await client.call<{ id: string }>('POST', '/v1/endpoints', { body: { url: 'http://127.0.0.1:9/hook' } })).data.id;
  const did = encodeURIComponent(client.did);

  // One call per changing route, on a target made for it; `null` audit routes are called too, to show they write none.
  const calls: Record<string, () => Promise<Call>> = {
    challenge: async () => ({ path: '/v1/auth/challenge', body: { did: client.did } }),
    verify: async () => ({ path: '/v1/auth/verify', body: { did: client.did, nonce: 'nope', signature: 'nope' } }),
    createAlarm: async () => ({ path: '/v1/alarms', body: cron }),
    updateAlarm: async () => ({ path: `/v1/alarms/${await make()}`, body: { label: 'changed' } }),
    pauseAlarm: async () => ({ path: `/v1/alarms/${await make()}/pause` }),
    resumeAlarm: async () => {
      const id = await make();
      await client.call('POST', `/v1/alarms/${id}/pause`);
      return { path: `/v1/alarms/${id}/resume` };
    },
    fireAlarm: async () => ({ path: `/v1/alarms/${await make()}/fire` }),
    cancelAlarm: async () => ({ path: `/v1/alarms/${await make()}` }),
    previewSchedule: async () => ({ path: '/v1/schedules/preview', body: cron }),
    createEndpoint: async () => ({ path: '/v1/endpoints', body: { url: 'http://127.0.0.1:9/other' } }),
    updateEndpoint: async () => ({ path: `/v1/endpoints/${await endpoint()}`, body: { description: 'changed' } }),
    deleteEndpoint: async () => ({ path: `/v1/endpoints/${await endpoint()}` }),
    rotateEndpointSecret: async () => ({ path: `/v1/endpoints/${await endpoint()}/rotate-secret` }),
    adminCancelAlarm: async () => ({ path: `/v1/admin/alarms/${await make()}/cancel`, admin: true }),
    adminPauseAlarm: async () => ({ path: `/v1/admin/alarms/${await make()}/pause`, admin: true }),
    adminResumeAlarm: async () => {
      const id = await make();
      await h.request('POST', `/v1/admin/alarms/${id}/pause`, { admin: true });
      return { path: `/v1/admin/alarms/${id}/resume`, admin: true };
    },
    adminFireAlarm: async () => ({ path: `/v1/admin/alarms/${await make()}/fire`, admin: true }),
    adminSuspendOwner: async () => ({ path: `/v1/admin/owners/${did}/suspend`, body: { reason: 'test' }, admin: true }),
    adminUnsuspendOwner: async () => {
      await h.request('POST', `/v1/admin/owners/${did}/suspend`, { admin: true, body: '{"reason":"to lift"}' });
      return { path: `/v1/admin/owners/${did}/unsuspend`, admin: true };
    },
    adminRevokeTokens: async () => ({ path: `/v1/admin/owners/${did}/revoke-tokens`, admin: true }),
  };

  const changing = (Object.entries(ROUTES) as [string, RouteSpec][]).filter(([, r]) => r.method !== 'get');
  for (const [name, route] of changing) {
    const call = calls[name];
    if (!call) {
      t.fail(`route ${name} (${route.method.toUpperCase()} ${route.path}) has no call in this test: add one that shows its audit entry`);
      continue;
    }
    const { path, body, admin } = await call();
    const requestId = `audit-${name}`;
    const before = Number((await h.database.sql`SELECT count(*) AS n FROM audit_log`)[0]!.n);
    const res = await h.request(route.method.toUpperCase(), path, {
      headers: { 'X-Request-Id': requestId },
      ...(admin ? { admin: true } : route.auth === 'principal' ? { principal: await principal() } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const entries = await h.database.sql<{ action: string; actor: string; target_id: string; owner: string }[]>`SELECT action, actor, target_id, owner FROM audit_log WHERE request_id = ${requestId}`;
    const after = Number((await h.database.sql`SELECT count(*) AS n FROM audit_log`)[0]!.n);
    if (route.audit === null) {
      t.equal(after, before, `${name} writes no entry`);
      continue;
    }
    t.ok(res.status < 300, `${name} answered ${res.status}`);
    t.equal(entries.length, 1, `${name} writes one entry`);
    t.match(entries[0], { action: route.audit, actor: admin ? 'admin:ops' : client.did, owner: client.did, target_id: /^(alm_|ep_|did:)/ }, `${name}: ${route.audit}`);
    // Each admin step on the owner is undone, so the next calls go through.
    if (name === 'adminSuspendOwner') await h.request('POST', `/v1/admin/owners/${did}/unsuspend`, { admin: true });
    if (name === 'adminRevokeTokens') h.advance(1);
  }
});

t.test('a change that fails writes no entry, and an entry never outlives its change', async (t) => {
  const h = await testApp(t, { maxActiveAlarms: 1 });
  const client = h.client();
  const token = (await client.principal()).token;
  const body = JSON.stringify({ kind: 'once', at: '2026-11-23T13:00:00.000Z', wake_message: 'x' });
  t.equal((await h.request('POST', '/v1/alarms', { principal: token, body })).status, 201);
  t.equal((await h.request('POST', '/v1/alarms', { principal: token, body })).status, 429, 'over the quota');
  t.equal((await h.request('POST', '/v1/alarms', { principal: token, body, headers: { 'Idempotency-Key': 'k' } })).status, 429);
  const [counted] = await h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log`;
  t.equal(counted?.n, 1, 'only the create that happened');
  t.equal((await h.request('POST', '/v1/alarms/alm_AAAAAAAAAAAAAAAAAAAA/pause', { principal: token })).status, 404);
  const [recounted] = await h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log`;
  t.equal(recounted?.n, 1, 'a refused change writes none');
});
