/**
 * What the dashboard does to an alarm (SPEC 11) through the API: an admin
 * pauses, resumes, fires any owner's alarm and reads its attempts and coming
 * occurrences, as the owner would and with the same answers; an agent reads
 * its own alarm's coming occurrences.
 */
import t from 'tap';
import { testApp } from '../helpers/app.js';

const daily = { kind: 'cron', cron: '0 9 * * *', tz: 'Europe/Berlin', wake_message: 'Standup.', max_fires: 3 };

async function setup(t: { teardown(fn: () => unknown): void }) {
  const h = await testApp(t);
  const client = h.client();
  const call = async (method: string, path: string, body?: unknown) =>
    h.request(method, path, { principal: (await client.principal()).token, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const admin = (method: string, path: string) => h.request(method, path, { admin: true });
  const id = (await call('POST', '/v1/alarms', daily)).json.data.id as string;
  return { h, call, admin, id };
}

t.test('an admin pauses, resumes and fires any owner\'s alarm, and sees its attempts', async (t) => {
  const { call, admin, id } = await setup(t);
  const paused = await admin('POST', `/v1/admin/alarms/${id}/pause`);
  t.equal(paused.status, 200);
  t.match(paused.json.data, { id, status: 'paused', next_fire_at: null });
  t.equal((await call('GET', `/v1/alarms/${id}`)).json.data.status, 'paused', 'the owner sees it paused');
  t.equal((await admin('POST', `/v1/admin/alarms/${id}/pause`)).status, 200, 'again on a paused one is fine');
  const resumed = await admin('POST', `/v1/admin/alarms/${id}/resume`);
  t.match(resumed.json.data, { status: 'scheduled', next_fire_at: '2026-11-24T08:00:00.000Z' });
  const fired = await admin('POST', `/v1/admin/alarms/${id}/fire`);
  t.equal(fired.status, 202);
  t.match(fired.json.data, { fire_id: /^fir_/ });
  const fires = await admin('GET', `/v1/admin/alarms/${id}/fires`);
  t.equal(fires.status, 200);
  t.same(fires.json.data, (await call('GET', `/v1/alarms/${id}/fires`)).json.data, 'the same page as the owner\'s');
  t.equal((await admin('POST', `/v1/admin/alarms/${id}/cancel`)).json.data.status, 'cancelled');
  const refused = await admin('POST', `/v1/admin/alarms/${id}/pause`);
  t.equal(refused.status, 409, 'a cancelled alarm cannot be paused');
  t.equal(refused.json.error?.code, 'not_updatable');
  t.equal((await admin('POST', '/v1/admin/alarms/alm_AAAAAAAAAAAAAAAAAAAA/fire')).status, 404);
  t.equal((await admin('GET', '/v1/admin/alarms/nope/fires')).status, 404);
});

t.test('an alarm\'s coming occurrences: as it will fire them, for its owner and an admin', async (t) => {
  const { call, admin, id } = await setup(t);
  const own = await call('GET', `/v1/alarms/${id}/preview?count=2`);
  t.equal(own.status, 200);
  t.same(own.json.data.occurrences, [
    { at: '2026-11-24T08:00:00.000Z', local: '2026-11-24T09:00:00.000+01:00' },
    { at: '2026-11-25T08:00:00.000Z', local: '2026-11-25T09:00:00.000+01:00' },
  ]);
  const all = await admin('GET', `/v1/admin/alarms/${id}/preview`);
  t.equal(all.json.data.occurrences.length, 3, 'max_fires 3 ends the list (count 10 by default)');
  t.same(all.json.data.occurrences.slice(0, 2), own.json.data.occurrences);
  const bad = await call('GET', `/v1/alarms/${id}/preview?count=101`);
  t.equal(bad.status, 400);
  t.match(bad.json.error, { code: 'invalid_request' });
  t.equal((await call('GET', `/v1/alarms/${id}/preview?every=1`)).status, 400, 'an unknown parameter is refused');
  await call('DELETE', `/v1/alarms/${id}`);
  t.same((await call('GET', `/v1/alarms/${id}/preview`)).json.data.occurrences, [], 'a cancelled alarm has none');
  t.equal((await call('GET', '/v1/alarms/alm_AAAAAAAAAAAAAAAAAAAA/preview')).status, 404);
});
