import { verify } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import { keyFromSeed } from '../../src/auth/ed25519.js';
import { CANCEL_CHANNEL, type ClaimedRow } from '../../src/store/claims.js';
import { testApp } from '../helpers/app.js';
import { nextEvent, nextRound, notifyHandled, rounds, settledEvents, startDispatcher, TEST_SIGNING_SEED, testHoldTimers } from '../helpers/dispatch.js';
import { fakeRouter } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const h = await testApp(t, { realClock: true });
  const client = h.client();
  const create = async (body: Record<string, unknown>) => (await client.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'once', delay: '1s', wake_message: 'wake up', ...body } })).data.id;
  const get = async (id: string) => (await client.call<Record<string, any>>('GET', `/v1/alarms/${id}`)).data;
  const fires = async (id: string) => (await client.call<{ fires: Record<string, any>[] }>('GET', `/v1/alarms/${id}/fires`)).data.fires.reverse();
  return { h, client, create, get, fires };
}

t.test('a once alarm is delivered exactly as SPEC 6.1 says, then completed', async (t) => {
  const { h, client, get, fires } = await setup(t);
  const router = await fakeRouter(t);
  const payload = '{"z":1,"2":[1.10,18446744073709551615],"a":"\\u00e9"}';
  const created = await client.call<{ id: string }>('POST', '/v1/alarms', {
    rawBody: `{"kind":"once","at":"2026-01-01T00:00:00Z","wake_message":"Check the deploy.","payload":${payload},"label":"deploy","conversation_id":"conv_1","tags":["a","b"]}`,
  });
  const id = created.data.id;
  const dispatcher = await startDispatcher(t, h.database, router.url);
  const [settled] = await settledEvents(dispatcher, 1);
  t.match(settled, { alarmId: id, outcome: 'delivered', held: true, attempt: 1 });
  const wake = router.received[0]!;
  t.equal(wake.headers['content-type'], 'application/json');
  t.equal(wake.headers.authorization, 'Bearer wake-token-for-tests');
  t.match(wake.headers['idempotency-key'], /^fir_[A-Za-z0-9_-]{24}$/);
  t.same(Object.keys(wake.body), ['type', 'agent_did', 'alarm_id', 'fire_id', 'scheduled_for', 'fired_at', 'attempt', 'kind', 'label', 'conversation_id', 'tags', 'wake_message', 'manual', 'payload']);
  t.match(wake.body, { type: 'chronos.wake', agent_did: client.did, alarm_id: id, fire_id: wake.headers['idempotency-key'], scheduled_for: '2026-01-01T00:00:00.000Z', attempt: 1, kind: 'once', label: 'deploy', conversation_id: 'conv_1', tags: ['a', 'b'], wake_message: 'Check the deploy.', manual: false });
  t.ok(wake.text.endsWith(`"payload":${payload}}`), 'the payload reaches the router as the JSON text the client sent');
  // Signed the Standard Webhooks way (SPEC 8.1): v1a over <id>.<timestamp>.<body>, with the daemon's key.
  t.equal(wake.headers['webhook-id'], wake.body.fire_id);
  t.equal(wake.headers['webhook-timestamp'], String(Math.floor(Date.parse(wake.body.fired_at) / 1000)));
  const [scheme, signature] = String(wake.headers['webhook-signature']).split(',');
  t.equal(scheme, 'v1a');
  const signed = Buffer.from(`${wake.headers['webhook-id']}.${wake.headers['webhook-timestamp']}.${wake.text}`);
  const publicKey = { key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(keyFromSeed(TEST_SIGNING_SEED).publicKey).toString('base64url') }, format: 'jwk' } as const;
  t.ok(verify(null, signed, publicKey, Buffer.from(signature!, 'base64')), 'the signature verifies with the daemon key');
  const alarm = await get(id);
  t.match(alarm, { status: 'completed', fire_count: 1, attempt: 1, next_fire_at: null, last_error: null, last_fired_at: wake.body.fired_at });
  t.match(await fires(id), [{ fire_id: wake.body.fire_id, attempt: 1, outcome: 'delivered', status_code: 204, error: null, scheduled_for: '2026-01-01T00:00:00.000Z', target_type: 'router', manual: false }]);
});

t.test('retries along the ladder with the same fire_id, then delivers', async (t) => {
  const { h, create, get, fires } = await setup(t);
  const router = await fakeRouter(t, (_r, n) => (n < 3 ? { status: 503, body: 'busy, try later' } : { status: 200 }));
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 3);
  t.same(router.received.map((r) => r.body.attempt), [1, 2, 3]);
  t.equal(new Set(router.received.map((r) => r.body.fire_id)).size, 1, 'one fire_id for every attempt at the occurrence');
  t.ok(router.received[1]!.at - router.received[0]!.at >= 40, 'the second attempt waited the ladder step (50 ms ± 10 %)');
  t.match(await get(id), { status: 'completed', fire_count: 1, attempt: 3 });
  t.match(await fires(id), [
    { attempt: 1, outcome: 'retrying', status_code: 503, error: 'router answered 503: busy, try later' },
    { attempt: 2, outcome: 'retrying', status_code: 503 },
    { attempt: 3, outcome: 'delivered', status_code: 200 },
  ]);
});

t.test('a permanent answer fails a once alarm at once', async (t) => {
  const { h, create, get, fires } = await setup(t);
  const router = await fakeRouter(t, () => ({ status: 404, body: 'unknown agent' }));
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 1);
  t.match(await get(id), { status: 'failed', fire_count: 0, last_error: 'router answered 404: unknown agent', next_fire_at: null });
  t.match(await fires(id), [{ outcome: 'failed', status_code: 404 }]);
  t.equal(router.received.length, 1);
});

t.test('a spent ladder fails the alarm: N steps, N+1 attempts', async (t) => {
  const { h, create, get, fires } = await setup(t);
  const router = await fakeRouter(t, () => ({ status: 500 }));
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url, { policy: { retryLadderMs: [20, 20], maxConsecutiveFailures: 5, misfireThresholdMs: 60_000, maxCatchup: 100 } });
  await settledEvents(dispatcher, 3);
  t.match(await get(id), { status: 'failed', attempt: 3, last_error: 'router answered 500 (gave up after 3 attempts)' });
  t.same((await fires(id)).map((f) => f.outcome), ['retrying', 'retrying', 'failed']);
});

t.test('Retry-After is honoured when longer than the step', async (t) => {
  const { h, create } = await setup(t);
  const router = await fakeRouter(t, (_r, n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 204 }));
  await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url, { policy: { retryLadderMs: [10], maxConsecutiveFailures: 5, misfireThresholdMs: 60_000, maxCatchup: 100 } });
  await settledEvents(dispatcher, 2);
  t.ok(router.received[1]!.at - router.received[0]!.at >= 950, `waited ${router.received[1]!.at - router.received[0]!.at} ms for Retry-After: 1`);
});

t.test('connection resets and timeouts are retried', async (t) => {
  const { h, create, fires } = await setup(t);
  const router = await fakeRouter(t, (_r, n) => (n === 1 ? { reset: true } : n === 2 ? { stall: true } : { status: 204 }));
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url, { target: { url: `${router.url}/internal/wake`, token: undefined, timeoutMs: 300 } });
  await settledEvents(dispatcher, 3);
  const ledger = await fires(id);
  t.match(ledger[0], { outcome: 'retrying', status_code: null, error: /^could not reach the router: / });
  t.match(ledger[1], { outcome: 'retrying', status_code: null, error: 'timed out after 300ms' });
  t.match(ledger[2], { outcome: 'delivered' });
  t.equal(router.received[0]!.headers.authorization, undefined, 'no Authorization without a wake token');
});

t.test('recurring: next occurrence after delivery, new fire_id each, max_fires ends it', async (t) => {
  const { h, create, get } = await setup(t);
  const router = await fakeRouter(t);
  const id = await create({ kind: 'cron', cron: '@every 1s', max_fires: 2, delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 2);
  const [a, b] = router.received;
  t.not(a!.body.fire_id, b!.body.fire_id, 'each occurrence has its own fire_id');
  t.equal(Date.parse(b!.body.scheduled_for) - Date.parse(a!.body.scheduled_for), 1_000);
  t.match(await get(id), { status: 'completed', fire_count: 2, next_fire_at: null });
});

t.test('recurring: failed occurrences move on, and max_consecutive_failures ends it as failed', async (t) => {
  const { h, create, get, fires } = await setup(t);
  const router = await fakeRouter(t, () => ({ status: 410, body: 'gone' }));
  const id = await create({ kind: 'cron', cron: '@every 1s', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 2);
  t.match(await get(id), { status: 'failed', fire_count: 0, last_error: 'router answered 410: gone; 2 occurrences failed in a row' });
  const ledger = await fires(id);
  t.equal(ledger.length, 2);
  t.not(ledger[0]!.fire_id, ledger[1]!.fire_id, 'two occurrences');
});

t.test('cancel while firing: no new attempt, the row stays cancelled, the attempt is recorded', async (t) => {
  const { h, client, create, get, fires } = await setup(t);
  // The router answers (a retryable 503) only once the cancel is in: the attempt is on the wire throughout.
  let cancelled!: () => void;
  const cancel = new Promise<void>((r) => (cancelled = r));
  const router = await fakeRouter(t, () => ({ status: 503, after: cancel }));
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  const settled = settledEvents(dispatcher, 1);
  await router.waitForCount(1);
  await client.call('DELETE', `/v1/alarms/${id}`);
  cancelled();
  const [event] = await settled;
  t.match(event, { alarmId: id, held: false });
  t.match(await get(id), { status: 'cancelled', next_fire_at: null });
  t.equal((await fires(id)).length, 1);
  // Another attempt would need a claim. A round that starts after the settle claims nothing, holds nothing and plans a
  // full poll interval (nothing scheduled at all, so no retry either): with the alarm cancelled, no claim can follow.
  t.same(await nextRound(dispatcher), { claimed: [], idle: true, sleepMs: 200 }, 'the next claim round finds nothing to do');
  t.equal(router.received.length, 1, 'no retry after the cancel');
});

t.test('health reports the dispatcher running', async (t) => {
  const { h } = await setup(t);
  const router = await fakeRouter(t);
  const dispatcher = await startDispatcher(t, h.database, router.url);
  t.equal(dispatcher.status(), 'running');
  await dispatcher.stop();
  await dispatcher.stop();
  t.equal(dispatcher.status(), 'stopping');
});

t.test('a create through the API wakes a dispatcher sleeping a long poll interval', async (t) => {
  const { h, create } = await setup(t);
  const router = await fakeRouter(t);
  // A poll interval far beyond this test's waits: a wake that arrives at all was brought by the create's NOTIFY.
  const pollIntervalMs = 600_000;
  const dispatcher = await startDispatcher(t, h.database, router.url, { pollIntervalMs });
  t.equal(await nextEvent(dispatcher, 'sleep'), pollIntervalMs, 'idle, it sleeps the whole poll interval');
  const settled = settledEvents(dispatcher, 1);
  const id = await create({ delay: '1s' });
  const [event] = await settled;
  t.match(event, { alarmId: id, outcome: 'delivered' }, 'delivered long before the poll interval ran out');
});

t.test('missed occurrences (chronosd was down) coalesce into one fire, then the next future one', async (t) => {
  const { h, create, get } = await setup(t);
  const router = await fakeRouter(t);
  // Daily, so the next future occurrence (the coming midnight) is never due within the rounds this test watches.
  const id = await create({ kind: 'cron', cron: '0 0 * * *', delay: undefined });
  // As if the daemon had been down for ten days: the current occurrence is ten days old, and the schedule started
  // before it (else its start alone, never searched before, would skip the missed ones).
  const old = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 10 * 86_400_000);
  await h.database.sql`UPDATE alarms SET next_fire_at = ${old}, occurrence_at = ${old}, start_at = ${old} WHERE id = ${id}`;
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 1);
  // A missed occurrence left due would be claimed by the next round; this one finds nothing due within the poll interval.
  t.same(await nextRound(dispatcher), { claimed: [], idle: true, sleepMs: 200 }, 'nothing left due after the one fire');
  t.equal(router.received.length, 1, 'one wake for all that was missed');
  t.equal(router.received[0]!.body.scheduled_for, old.toISOString());
  const alarm = await get(id);
  t.equal(alarm.status, 'scheduled');
  t.ok(Date.parse(alarm.next_fire_at) > Date.now(), `next occurrence ${alarm.next_fire_at} is in the future`);
  t.ok(Date.parse(alarm.next_fire_at) - Date.now() <= 86_400_000, `next occurrence ${alarm.next_fire_at} is the coming one`);
  t.equal(Date.parse(alarm.next_fire_at) % 86_400_000, 0, 'at midnight UTC');
});

t.test('until ends a recurring alarm as completed', async (t) => {
  const { h, create, get } = await setup(t);
  const router = await fakeRouter(t);
  const id = await create({ kind: 'cron', cron: '@every 1s', until: new Date(Date.now() + 1_500).toISOString(), delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  await settledEvents(dispatcher, 1);
  t.match(await get(id), { status: 'completed', fire_count: 1, next_fire_at: null });
  t.equal(router.received.length, 1);
});

t.test('long answers: an error body is kept by its start, drained or dropped past 64 KiB, and a long 2xx body still delivers', async (t) => {
  const { h, create, fires } = await setup(t);
  const router = await fakeRouter(t, (_r, n) =>
    n === 1 ? { status: 503, body: `A${'x'.repeat(100_000)}` } : n === 2 ? { status: 500, body: `B${'y'.repeat(10_000)}` } : { status: 200, body: 'z'.repeat(100_000) },
  );
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url, { policy: { retryLadderMs: [20, 20], maxConsecutiveFailures: 5, misfireThresholdMs: 60_000, maxCatchup: 100 } });
  await settledEvents(dispatcher, 3);
  const ledger = await fires(id);
  t.match(ledger.map((f) => f.outcome), ['retrying', 'retrying', 'delivered']);
  t.match(ledger[0]!.error, /^router answered 503: Ax+$/, 'past the drain limit: the start kept, the connection dropped');
  t.match(ledger[1]!.error, /^router answered 500: By+$/, 'under the limit: the start kept, the rest drained');
  t.ok(ledger[0]!.error!.length < 400, 'only the start of the body');
  t.equal(ledger[2]!.status_code, 200);
});

t.test('a 2xx whose body then breaks off is delivered; a 5xx whose body breaks off is retried', async (t) => {
  const { h, create, fires } = await setup(t);
  const router = await fakeRouter(t, (_r, n) =>
    n === 1 ? { status: 503, body: 'x'.repeat(1_000), cutBodyAt: 10 } : { status: 200, body: 'y'.repeat(1_000), cutBodyAt: 10 },
  );
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url, { policy: { retryLadderMs: [20], maxConsecutiveFailures: 5, misfireThresholdMs: 60_000, maxCatchup: 100 } });
  await settledEvents(dispatcher, 2);
  const ledger = await fires(id);
  t.match(ledger, [
    { outcome: 'retrying', status_code: null, error: /^the router's answer broke off: / },
    { outcome: 'delivered', status_code: 200 },
  ]);
  t.equal(router.received.length, 2, 'the taken wake is not sent again');
});

t.test('a router body with NUL and a Retry-After centuries away cannot wedge an alarm', async (t) => {
  const { h, create, get, fires } = await setup(t);
  const router = await fakeRouter(t, (_r, n) => (n === 1 ? { status: 503, body: 'bad\u0000body\u0007', headers: { 'Retry-After': 'Sat, 13 Sep 275760 00:00:00 GMT' } } : { status: 204 }));
  const id = await create({ at: '2026-01-01T00:00:00Z', delay: undefined });
  const dispatcher = await startDispatcher(t, h.database, router.url);
  const [first] = await settledEvents(dispatcher, 1);
  t.match(first, { outcome: 'retrying', held: true }, 'settled, not stuck retrying the settle');
  const alarm = await get(id);
  t.equal(alarm.last_error, 'router answered 503: bad body');
  t.ok(Date.parse(alarm.next_fire_at) - Date.now() <= 86_400_000 + 1_000, `Retry-After capped at a day (next ${alarm.next_fire_at})`);
  t.equal((await fires(id))[0]!.error, 'router answered 503: bad body');
});

t.test('an idle dispatcher sleeps its poll interval: no busy loop on an empty table', async (t) => {
  const { h } = await setup(t);
  const router = await fakeRouter(t);
  const dispatcher = await startDispatcher(t, h.database, router.url, { pollIntervalMs: 200 });
  const events: string[] = [];
  dispatcher.on('claimed', () => events.push('claimed')).on('idle', () => events.push('idle'));
  dispatcher.on('sleep', (ms: number) => events.push(`sleep ${ms}`)).on('woke', () => events.push('woke'));
  await rounds(dispatcher, 2);
  // Each round on an empty table goes idle and plans the whole poll interval, and the next round starts only once that sleep is over.
  const watched = events.slice(events.indexOf('sleep 200'));
  t.same(watched, ['sleep 200', 'woke', 'idle', 'sleep 200', 'woke', 'idle', 'sleep 200'], 'idle, a 200 ms sleep slept out, and again');
});

t.test('lookahead: a wake claimed ahead of time leaves at its due instant, not (beyond the timers\' millisecond) before', async (t) => {
  const { h, create } = await setup(t);
  const router = await fakeRouter(t);
  const hold = testHoldTimers('clock');
  // A poll interval far beyond this test's waits: the wake can only leave by the timer that holds its claim.
  const dispatcher = await startDispatcher(t, h.database, router.url, { lookaheadMs: 2_000, pollIntervalMs: 600_000, holdTimers: hold.holdTimers });
  let claimedAt = 0;
  const claimed = nextEvent<ClaimedRow[]>(dispatcher, 'claimed').then((rows) => ((claimedAt = Date.now()), rows));
  const before = Date.now();
  await create({ delay: '1s' });
  const [row] = await claimed;
  const due = row!.next_fire_at!.getTime();
  t.ok(row!.claimed_at!.getTime() < due, 'claimed ahead of its instant, by the database clock');
  // The claim's timer is armed from the next loop turn, and aims at the due instant, read on the database clock: never
  // before it, and after it by at most the round trip of the claim that read that clock (db-clock.ts), which ended
  // by the time 'claimed' was seen.
  t.equal(hold.timers.length, 1, 'the claim is armed from the next loop turn');
  await waitFor(async () => (hold.timers.length === 2 ? true : undefined), 5_000);
  const aim = hold.timers[1]!.setAt + hold.timers[1]!.ms;
  t.ok(aim >= due - 1 && aim <= due + (claimedAt - before) + 1, `aims ${aim - due} ms after due (claim round trip at most ${claimedAt - before} ms)`);
  await router.waitForCount(1);
  const { at } = router.received[0]!;
  // Same machine, so the database clock is ours; the wake is timed by the database clock, to the timers' millisecond.
  t.ok(at >= due - 1, `received ${at - due} ms after due`);
});

t.test('cancel while a claimed wake waits for its instant: it is never sent', async (t) => {
  const { h, client, create, get, fires } = await setup(t);
  const router = await fakeRouter(t);
  // The test is the clock here: the claim's instant comes when the test fires its timer.
  const hold = testHoldTimers('manual');
  const dispatcher = await startDispatcher(t, h.database, router.url, { lookaheadMs: 3_000, holdTimers: hold.holdTimers });
  const claimed = nextEvent(dispatcher, 'claimed');
  const id = await create({ delay: '2s' });
  await claimed;
  t.match(await get(id), { status: 'firing' });
  hold.fireAll(); // the next loop turn arms the claim's timer
  t.equal(hold.timers.length, 2, 'the claim waits on its timer');
  t.ok(hold.timers[1]!.ms > 0, 'for its instant, ahead');
  const seen = notifyHandled(dispatcher, CANCEL_CHANNEL, id);
  await client.call('DELETE', `/v1/alarms/${id}`);
  await seen;
  t.ok(hold.timers[1]!.cleared, 'the cancel stopped the timer');
  // Its instant comes: every timer still set runs, as the clock would run it.
  hold.fireAll();
  const round = await nextRound(dispatcher);
  t.same(round.claimed, [], 'nothing claimed again');
  t.ok(round.idle, 'nothing held');
  t.equal(router.received.length, 0, 'no wake');
  t.match(await get(id), { status: 'cancelled' });
  t.equal((await fires(id)).length, 0, 'no attempt in the ledger');
});

t.test('shutdown hands back claims still waiting for their instant, at once', { timeout: 30_000 }, async (t) => {
  const { h, create, get } = await setup(t);
  const router = await fakeRouter(t);
  // Its instant (a minute away) and the drain timeout (ten minutes) are both far beyond this test's timeout:
  // stop() returning at all shows it waited for neither.
  const dispatcher = await startDispatcher(t, h.database, router.url, { lookaheadMs: 120_000, leaseMs: 300_000, drainTimeoutMs: 600_000 });
  const claimed = nextEvent(dispatcher, 'claimed');
  const id = await create({ delay: '60s' });
  const due = (await get(id)).next_fire_at;
  await claimed;
  t.match(await get(id), { status: 'firing' });
  await dispatcher.stop();
  t.match(await get(id), { status: 'scheduled', attempt: 0, next_fire_at: due }, 'due again at its own instant, not at once');
  t.equal(router.received.length, 0);
});

t.test('concurrency caps the wakes on the wire; due claims queue for a slot, and a cancel reaches them there', async (t) => {
  const { h, client, create, get, fires } = await setup(t);
  // The first two wakes are answered only once the cancel below has reached the producer: until then two are on the
  // wire and two claims queue for a slot.
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const router = await fakeRouter(t, (_r, n) => (n <= 2 ? { status: 204, after: released } : { status: 204 }));
  const ids: string[] = [];
  // All due (and past), so the first claim takes as many as it may and sends them at once, as far as slots allow.
  for (let i = 0; i < 6; i++) ids.push(await create({ delay: undefined, at: '2026-01-01T00:00:00Z', wake_message: `w${i}` }));
  // More connections than the cap: only the producer keeps the wakes on the wire to two.
  const dispatcher = await startDispatcher(t, h.database, router.url, { concurrency: 2, connections: 8 });
  const first = await nextEvent<ClaimedRow[]>(dispatcher, 'claimed');
  t.equal(first.length, 4, 'claimed ahead: two on the wire and two more waiting');
  const queued = first[3]!.id;
  await router.waitForCount(2);
  const seen = notifyHandled(dispatcher, CANCEL_CHANNEL, queued);
  await client.call('DELETE', `/v1/alarms/${queued}`);
  await seen;
  t.equal(router.received.length, 2, 'the other two waited for a slot');
  const settled = settledEvents(dispatcher, 5);
  release();
  await settled;
  t.equal(router.received.length, 5, 'every alarm but the cancelled one, once');
  t.notOk(router.received.some((r) => r.body.alarm_id === queued), 'the cancelled claim never left its queue');
  t.match(await get(queued), { status: 'cancelled' });
  t.equal((await fires(queued)).length, 0);
  t.equal(router.maxInFlight, 2, 'never more than two wakes on the wire at once');
});

t.test('a claim that waited too long for a slot is handed back, not sent on a lease about to run out', async (t) => {
  const { h, create, fires } = await setup(t);
  const router = await fakeRouter(t, () => ({ status: 204, delayMs: 700 }));
  const a = await create({ delay: '1s' });
  const b = await create({ delay: '1s' });
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
  const dispatcher = await startDispatcher(t, h.database, router.url, {
    concurrency: 1,
    leaseMs: 1_000,
    log,
    target: { url: `${router.url}/internal/wake`, token: undefined, timeoutMs: 900 },
  });
  await settledEvents(dispatcher, 2, undefined, 10_000);
  t.ok(lines.some((l) => l.includes('claim waited too long for a sending slot')), 'the second claim was handed back');
  t.same(router.received.map((r) => r.body.alarm_id).sort(), [a, b].sort(), 'each sent once');
  for (const id of [a, b]) t.match(await fires(id), [{ outcome: 'delivered', attempt: 1 }]);
});
