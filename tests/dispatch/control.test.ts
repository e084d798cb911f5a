/**
 * SPEC 9.2 and 9.3 on the wake path: fire now, pause and resume, and the
 * misfire policies after an outage, with real dispatchers, a real router
 * socket and the database clock.
 */
import t from 'tap';
import { fireIdFor } from '../../src/ids.js';
import { testApp } from '../helpers/app.js';
import { alarmService, settledEvents, startDispatcher } from '../helpers/dispatch.js';
import { fakeRouter, type Received } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const h = await testApp(t, { realClock: true });
  const client = h.client();
  const call = async <T = Record<string, any>>(method: string, path: string, body?: Record<string, unknown>) => (await client.call<T>(method, path, body ? { body } : {})).data;
  const create = async (body: Record<string, unknown>) => call('POST', '/v1/alarms', { wake_message: 'wake up', ...body });
  return { h, client, call, create };
}

/**
 * Puts the alarm back to `occurrence`, as if chronosd had been down since
 * then; an @every alarm counts from its start, which moves back with it.
 */
async function outage(h: Awaited<ReturnType<typeof setup>>['h'], id: string, occurrence: Date) {
  await h.database.sql`UPDATE alarms SET next_fire_at = ${occurrence}, occurrence_at = ${occurrence}, fire_id = ${fireIdFor(id, occurrence)}, attempt = 0,
    start_at = CASE WHEN cron LIKE '@every%' THEN ${occurrence}::timestamptz ELSE start_at END WHERE id = ${id}`;
}

const scheduledFor = (wakes: Received[], id: string) => wakes.filter((w) => w.body.alarm_id === id).map((w) => w.body.scheduled_for as string);

t.test('fire now: one extra wake with manual: true, the alarm id and a fire_id of its own; the schedule is untouched', async (t) => {
  const { h, call, create } = await setup(t);
  const router = await fakeRouter(t);
  const alarm = await create({ kind: 'cron', cron: '0 9 * * *', label: 'daily' });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  const settled = settledEvents(dispatcher, 1);
  const { fire_id: fireId } = await call<{ fire_id: string }>('POST', `/v1/alarms/${alarm.id}/fire`);
  await settled;
  t.equal(router.received.length, 1);
  t.match(router.received[0]!.body, { alarm_id: alarm.id, fire_id: fireId, manual: true, attempt: 1, kind: 'once', label: 'daily', wake_message: 'wake up' });
  t.equal(router.received[0]!.headers['webhook-id'], fireId);
  const fires = await call<{ fires: Record<string, unknown>[] }>('GET', `/v1/alarms/${alarm.id}/fires`);
  t.match(fires.fires, [{ fire_id: fireId, alarm_id: alarm.id, outcome: 'delivered', manual: true, target_type: 'router' }]);
  const after = await call('GET', `/v1/alarms/${alarm.id}`);
  t.match(after, { status: 'scheduled', next_fire_at: alarm.next_fire_at, fire_id: undefined, fire_count: 0, attempt: 0 });
});

t.test('a paused alarm is never claimed; resumed, it fires the occurrence it waited for', async (t) => {
  const { h, call, create } = await setup(t);
  const router = await fakeRouter(t);
  const alarm = await create({ kind: 'once', delay: '1s' });
  await call('POST', `/v1/alarms/${alarm.id}/pause`);
  await h.database.sql`UPDATE alarms SET occurrence_at = now() - interval '1 second' WHERE id = ${alarm.id}`;
  const claim = await alarmService(h.database).claim('r1', 10, 60_000, 60_000);
  t.same(claim.rows.map((r) => r.id), [], 'nothing of a paused alarm is due, even within the lookahead');
  const dispatcher = await startDispatcher(t, h.database, router.url);
  const settled = settledEvents(dispatcher, 1);
  const resumed = await call('POST', `/v1/alarms/${alarm.id}/resume`);
  t.equal(resumed.status, 'scheduled');
  await settled;
  t.match(router.received.map((w) => w.body), [{ alarm_id: alarm.id, fire_id: alarm.next_fire_at ? fireIdFor(alarm.id, new Date(alarm.at)) : '', manual: false }], 'a once alarm fires once, late, with the fire_id of its occurrence');
});

t.test('misfire all after a 2-minute outage of an @every 10s alarm: 12 distinct occurrences, once each, oldest first', async (t) => {
  const { h, call, create } = await setup(t);
  const router = await fakeRouter(t);
  const alarm = await create({ kind: 'cron', cron: '@every 10s', misfire: 'all' });
  // The alarm's grid is its start plus multiples of 10 s: the outage began 115 s before its next occurrence but one.
  const next = new Date(alarm.next_fire_at).getTime();
  const first = new Date(next - 120_000);
  await outage(h, alarm.id, first);
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 12);
  const late = scheduledFor(router.received, alarm.id);
  t.same(late, Array.from({ length: 12 }, (_, k) => new Date(first.getTime() + k * 10_000).toISOString()), 'each missed occurrence once, oldest first');
  t.same(router.received.map((w) => w.body.fire_id), late.map((at) => fireIdFor(alarm.id, new Date(at))), 'each with its own fire_id');
  const after = await call('GET', `/v1/alarms/${alarm.id}`);
  t.equal(after.next_fire_at, new Date(next).toISOString(), 'then it continues at its next occurrence');
  t.equal(after.fire_count, 12);
});

t.test('misfire all fires at most dispatch.max_catchup missed occurrences: the most recent', async (t) => {
  const { h, create } = await setup(t);
  const router = await fakeRouter(t);
  const alarm = await create({ kind: 'cron', cron: '@every 1s', misfire: 'all' });
  const next = new Date(alarm.next_fire_at).getTime();
  await outage(h, alarm.id, new Date(next - 3_600_000));
  const dispatcher = await startDispatcher(t, h.database, router.url, { policy: { retryLadderMs: [50], maxConsecutiveFailures: 2, misfireThresholdMs: 60_000, maxCatchup: 5 } });
  const [dropped] = await settledEvents(dispatcher, 1, (e) => e.outcome === 'rescheduled');
  t.equal(dropped!.alarmId, alarm.id);
  await router.waitForCount(5);
  const sent = scheduledFor(router.received, alarm.id).slice(0, 5).map((at) => Date.parse(at));
  t.ok(sent[0]! >= next - 10_000, `the first sent is among the last few missed, not an hour old (${new Date(sent[0]!).toISOString()})`);
  t.same(sent, [0, 1, 2, 3, 4].map((k) => sent[0]! + k * 1_000), 'then the next ones, oldest first');
  const [row] = await h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fires WHERE alarm_id = ${alarm.id} AND scheduled_for < ${new Date(sent[0]!)}`;
  t.equal(row!.n, 0, 'the older ones made no attempt');
});

t.test('misfire skip: an occurrence missed by more than the threshold is not sent; the alarm moves on from now', async (t) => {
  const { h, call, create } = await setup(t);
  const router = await fakeRouter(t);
  const alarm = await create({ kind: 'cron', cron: '0 9 * * *', misfire: 'skip' });
  await outage(h, alarm.id, new Date(new Date(alarm.next_fire_at).getTime() - 86_400_000 * 2));
  const dispatcher = await startDispatcher(t, h.database, router.url);
  const [e] = await settledEvents(dispatcher, 1);
  t.match(e, { alarmId: alarm.id, outcome: 'rescheduled', held: true });
  t.equal(router.received.length, 0, 'nothing was sent');
  const after = await call('GET', `/v1/alarms/${alarm.id}`);
  t.match(after, { status: 'scheduled', next_fire_at: alarm.next_fire_at, attempt: 0, fire_count: 0, last_error: /misfire skip/ });
  t.same((await call<{ fires: unknown[] }>('GET', `/v1/alarms/${alarm.id}/fires`)).fires, [], 'no attempt was made');
});

t.test('coalesce (the default) after an outage sends the oldest missed occurrence once, then the next after now', async (t) => {
  const { h, call, create } = await setup(t);
  const router = await fakeRouter(t);
  const alarm = await create({ kind: 'cron', cron: '@every 10s' });
  const next = new Date(alarm.next_fire_at).getTime();
  await outage(h, alarm.id, new Date(next - 120_000));
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 1);
  t.same(scheduledFor(router.received, alarm.id), [new Date(next - 120_000).toISOString()]);
  t.equal((await call('GET', `/v1/alarms/${alarm.id}`)).next_fire_at, new Date(next).toISOString());
});

t.test('pause, resume and fire racing the claims of two replicas never send an occurrence twice', async (t) => {
  const { call, create, h } = await setup(t);
  const router = await fakeRouter(t);
  const alarms = await Promise.all(Array.from({ length: 20 }, () => create({ kind: 'cron', cron: '* * * * * *', misfire: 'all' })));
  const replicas = [await startDispatcher(t, h.database, router.url), await startDispatcher(t, h.database, router.url)];
  const fired: string[] = [];
  const until = Date.now() + 4_000;
  let refusals = 0;
  await Promise.all(
    alarms.map(async (a, i) => {
      for (let round = 0; Date.now() < until; round++) {
        const verb = ['pause', 'fire', 'resume', 'fire'][(round + i) % 4]!;
        try {
          const res = await call<{ fire_id?: string }>('POST', `/v1/alarms/${a.id}/${verb}`);
          if (verb === 'fire') fired.push(res.fire_id!);
        } catch (err) {
          // A verb that meets a claim is refused as busy: the claim wins, and the caller tries again.
          if ((err as { code?: string }).code !== 'alarm_busy') throw err;
          refusals++;
        }
      }
    }),
  );
  // Paused at last, each until its pause wins over a claim (a busy refusal is tried again).
  for (const a of alarms) await waitFor(async () => ((await call('POST', `/v1/alarms/${a.id}/pause`).catch(() => undefined)) ? true : undefined), 20_000);
  // Every fire now is sent, and nothing is left on the wire.
  await waitFor(async () => (fired.every((id) => router.received.some((w) => w.body.fire_id === id)) ? true : undefined), 20_000);
  await waitFor(async () => ((await h.database.sql`SELECT 1 FROM alarms WHERE status IN ('scheduled', 'firing')`).length === 0 ? true : undefined), 20_000);
  const ids = router.received.map((w) => w.body.fire_id as string);
  t.equal(new Set(ids).size, ids.length, `no occurrence sent twice (${ids.length} wakes, ${fired.length} fired now, ${refusals} busy refusals)`);
  t.ok(ids.length > fired.length, 'scheduled occurrences were sent too');
  void replicas;
});

t.test('a suspended owner\'s due alarms wait; unsuspended, they go as their misfire policy says', async (t) => {
  const { h, client, create } = await setup(t);
  const other = h.client();
  const router = await fakeRouter(t);
  const coalesced = await create({ kind: 'cron', cron: '*/5 * * * *' });
  const skipped = await create({ kind: 'cron', cron: '*/5 * * * *', misfire: 'skip' });
  const theirs = (await other.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'cron', cron: '*/5 * * * *', wake_message: 'other' } })).data;
  const admin = (path: string, body?: unknown) => h.request('POST', path, { admin: true, ...(body ? { body: JSON.stringify(body) } : {}) });
  t.equal((await admin(`/v1/admin/owners/${client.did}/suspend`, { reason: 'test' })).status, 200);
  // Down for ten minutes while suspended: due twice over by the database clock.
  const missed = new Date(Date.now() - 10 * 60_000);
  for (const id of [coalesced.id, skipped.id, theirs.id]) await outage(h, id, missed);
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 1);
  t.same(router.received.map((w) => w.body.alarm_id), [theirs.id], 'only the other owner\'s alarm fires');
  const held = await h.database.sql<{ id: string; status: string }[]>`SELECT id, status FROM alarms WHERE id IN (${coalesced.id}, ${skipped.id})`;
  t.same(held.map((r) => r.status), ['scheduled', 'scheduled'], 'the suspended owner\'s alarms wait, unclaimed');

  const settled = settledEvents(dispatcher, 2);
  t.equal((await admin(`/v1/admin/owners/${client.did}/unsuspend`)).status, 200);
  const events = await settled;
  t.same(scheduledFor(router.received, coalesced.id), [missed.toISOString()], 'coalesce: the missed occurrence is sent once');
  t.same(scheduledFor(router.received, skipped.id), [], 'skip: nothing missed is sent');
  t.equal(events.length, 2);
});
