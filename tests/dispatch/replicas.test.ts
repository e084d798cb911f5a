import { pino } from 'pino';
import t from 'tap';
import { openDatabase } from '../../src/db/pool.js';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { bulkInsertOnceAlarms } from '../../bench/seed.js';
import { claimKey } from '../../src/store/claims.js';
import { firePruner, leaseReaper } from '../../src/maintenance/jobs.js';
import { freshDatabase } from '../helpers/db.js';
import { alarmService, nextEvent, settledEvents, startDispatcher } from '../helpers/dispatch.js';
import { fakeRouter } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

/** `n` once alarms due at `at`, inserted through the store. */
function insertDue(db: Awaited<ReturnType<typeof freshDatabase>>, n: number, at: Date): Promise<string[]> {
  return bulkInsertOnceAlarms(db.db, 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw', Array.from({ length: n }, () => at), newAlarmId, fireIdFor);
}

t.test('three dispatchers, 5,000 alarms due at one instant: each fire_id delivered exactly once', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  await insertDue(database, 5_000, new Date(Date.now() - 1_000));
  const pools = [database, openDatabase(database.url, 4, pino({ level: 'silent' })), openDatabase(database.url, 4, pino({ level: 'silent' }))];
  t.teardown(() => Promise.all(pools.slice(1).map((p) => p.close())));
  // A wake timeout far above any answer time here (and a lease above it, as the configuration requires): a timed-out
  // wake is retried by design (at least once), and this test is about claims, which must never hand one alarm to two replicas.
  const target = { url: `${router.url}/internal/wake`, token: undefined, timeoutMs: 60_000 };
  const dispatchers = await Promise.all(pools.map((p) => startDispatcher(t, p, router.url, { target, leaseMs: 120_000 })));
  const events = await settledEvents(dispatchers, 5_000, () => true, 90_000);
  t.ok(events.every((e) => e.outcome === 'delivered' && e.held), 'every attempt delivered and settled by the replica that claimed it');
  t.equal(router.received.length, 5_000, 'no wake sent twice');
  t.equal(new Set(router.received.map((r) => r.body.fire_id)).size, 5_000, '5,000 distinct fire_ids');
  const counts = await database.sql`SELECT status, count(*)::int AS n FROM alarms GROUP BY status`;
  t.same(counts.map((r) => ({ ...r })), [{ status: 'completed', n: 5_000 }]);
  const ledger = await database.sql`SELECT count(*)::int AS n FROM fires WHERE outcome = 'delivered'`;
  t.equal(ledger[0]?.n, 5_000, 'one ledger row each');
});

t.test('a replica that died mid-attempt: the reaper takes the claim back, the wake goes out again with the same fire_id as the next attempt', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  const [id] = await insertDue(database, 1, new Date(Date.now() - 1_000));
  const { rows: dead } = await alarmService(database).claim('dead-replica', 10, 1);
  t.equal(dead.length, 1, 'claimed by a replica that then died (lease 1 ms)');
  t.equal(dead[0]!.attempt, 1, 'its attempt 1');
  const reaper = leaseReaper(alarmService(database), pino({ level: 'silent' }), 60_000);
  await waitFor(async () => ((await reaper.runOnce()) === 1 ? true : undefined), 5_000);
  const [taken] = await database.sql`SELECT status, attempt FROM alarms WHERE id = ${id!}`;
  t.same({ ...taken }, { status: 'scheduled', attempt: 1 }, 'taken back with the lost attempt counted');
  const dispatcher = await startDispatcher(t, database, router.url);
  const [settled] = await settledEvents(dispatcher, 1);
  t.match(settled, { alarmId: id, outcome: 'delivered', attempt: 2, fireId: dead[0]!.fire_id });
  t.match(router.received.map((r) => r.body), [{ fire_id: dead[0]!.fire_id, attempt: 2 }], 'sent again with the same fire_id, as attempt 2');
  const ledger = await database.sql`SELECT fire_id, attempt, outcome, error FROM fires WHERE alarm_id = ${id!} ORDER BY finished_at`;
  t.match(ledger.map((r) => ({ ...r })), [
    { fire_id: dead[0]!.fire_id, attempt: 1, outcome: 'retrying', error: /^lease expired: replica dead-replica did not finish the attempt/ },
    { fire_id: dead[0]!.fire_id, attempt: 2, outcome: 'delivered', error: null },
  ]);
  const [alarm] = await database.sql`SELECT status, attempt, fire_count FROM alarms WHERE id = ${id!}`;
  t.same({ ...alarm }, { status: 'completed', attempt: 2, fire_count: 1 }, 'the alarm counts both attempts');
});

t.test('lost attempts count against the ladder: once they spend it, the wake is still sent once more, and a failure of that one is final', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t, () => ({ status: 503, body: 'busy' }));
  const [id] = await insertDue(database, 1, new Date(Date.now() - 1_000));
  const reaper = leaseReaper(alarmService(database), pino({ level: 'silent' }), 60_000);
  // A ladder of one step allows two attempts; two replicas die with one attempt each.
  for (const replica of ['dead-1', 'dead-2']) {
    t.equal((await alarmService(database).claim(replica, 10, 1)).rows.length, 1, `claimed by ${replica}, which then died`);
    await waitFor(async () => ((await reaper.runOnce()) === 1 ? true : undefined), 5_000);
  }
  const dispatcher = await startDispatcher(t, database, router.url, { policy: { retryLadderMs: [50], maxConsecutiveFailures: 5, misfireThresholdMs: 60_000, maxCatchup: 100 } });
  const [settled] = await settledEvents(dispatcher, 1);
  t.match(settled, { alarmId: id, attempt: 3, outcome: 'failed' }, 'the outcome of the lost ones unknown, a third attempt went out; it failed, and no step is left');
  t.same(router.received.map((r) => r.body.attempt), [3]);
  const ledger = await database.sql`SELECT attempt, outcome FROM fires WHERE alarm_id = ${id!} ORDER BY finished_at`;
  t.same(ledger.map((r) => ({ ...r })), [
    { attempt: 1, outcome: 'retrying' },
    { attempt: 2, outcome: 'retrying' },
    { attempt: 3, outcome: 'failed' },
  ]);
  const [alarm] = await database.sql`SELECT status, attempt, last_error FROM alarms WHERE id = ${id!}`;
  t.same({ ...alarm }, { status: 'failed', attempt: 3, last_error: 'router answered 503: busy (gave up after 3 attempts)' });
});

t.test('a claim made ahead of its instant is taken back once its lease runs out, not before', async (t) => {
  const database = await freshDatabase(t);
  const [a, b] = await insertDue(database, 2, new Date(Date.now() + 300));
  // Both claimed 500 ms ahead: one with a 600 ms lease, one with a lease no test outlives (the configuration keeps every lease longer than the lookahead).
  const { rows: [short] } = await alarmService(database).claim('dead-replica', 1, 600, 500);
  const { rows: [long] } = await alarmService(database).claim('dead-replica', 1, 600_000, 500);
  t.same([short?.id, long?.id].sort(), [a, b].sort(), 'both claimed ahead of their instant');
  const reaper = leaseReaper(alarmService(database), pino({ level: 'silent' }), 60_000);
  await waitFor(async () => ((await reaper.runOnce()) === 1 ? true : undefined), 5_000);
  const [row] = await database.sql`SELECT status, fire_id, claimed_by, next_fire_at <= now() AS due FROM alarms WHERE id = ${short!.id}`;
  t.same({ ...row }, { status: 'scheduled', fire_id: short!.fire_id, claimed_by: null, due: true }, 'the short lease ran out: due again, with its fire_id');
  // Past its instant too by now, and still held: only a lease that ran out is taken back.
  const [held] = await database.sql`SELECT status, claimed_by, next_fire_at <= now() AS due FROM alarms WHERE id = ${long!.id}`;
  t.same({ ...held }, { status: 'firing', claimed_by: 'dead-replica', due: true }, 'the long lease still runs: not taken back');
  t.equal(await reaper.runOnce(), 0, 'nothing else to take back');
});

t.test('an alarm has a next fire time exactly while it is scheduled or firing', async (t) => {
  const database = await freshDatabase(t);
  const [id] = await insertDue(database, 1, new Date(Date.now() + 60_000));
  await t.rejects(database.sql`UPDATE alarms SET status = 'completed', finished_at = now() WHERE id = ${id!}`, { name: 'PostgresError', constraint_name: 'alarms_next_fire_only_while_active' });
  await alarmService(database).claim('r1', 10, 120_000, 90_000);
  await t.rejects(database.sql`UPDATE alarms SET next_fire_at = NULL WHERE id = ${id!}`, { name: 'PostgresError', constraint_name: /^alarms_(next_fire_only_while_active|finished_only_when_final)$/ }, 'firing');
  await database.sql`UPDATE alarms SET status = 'cancelled', next_fire_at = NULL, finished_at = now(), claimed_by = NULL, claimed_at = NULL, lease_until = NULL WHERE id = ${id!}`;
  t.pass('an alarm that ends loses its next fire time');
});

t.test('shutdown: wakes past the drain timeout are aborted, counted and due again at once; the next replica sends the next attempt', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t, () => ({ stall: true }));
  const [id] = await insertDue(database, 1, new Date(Date.now() - 1_000));
  const target = { url: `${router.url}/internal/wake`, token: undefined, timeoutMs: 10_000 };
  const dispatcher = await startDispatcher(t, database, router.url, { drainTimeoutMs: 100, target });
  await router.waitForCount(1);
  await dispatcher.stop();
  const rows = await database.sql`SELECT status, attempt, claimed_by, next_fire_at <= now() AS due FROM alarms WHERE id = ${id!}`;
  t.match({ ...rows[0] }, { status: 'scheduled', attempt: 1, claimed_by: null, due: true }, 'due again at once, the cut-off attempt counted');
  router.answer(() => ({ status: 204 }));
  const next = await startDispatcher(t, database, router.url, { target });
  await settledEvents(next, 1);
  t.same(router.received.map((r) => r.body.attempt), [1, 2], 'sent again as attempt 2');
  const ledger = await database.sql`SELECT attempt, outcome, error FROM fires WHERE alarm_id = ${id!} ORDER BY finished_at`;
  t.match(ledger.map((r) => ({ ...r })), [
    { attempt: 1, outcome: 'retrying', error: /^aborted: chronosd was shutting down; the outcome is unknown, so it is sent again with the same fire_id$/ },
    { attempt: 2, outcome: 'delivered', error: null },
  ]);
});

t.test('NOTIFY: an alarm created during a long sleep fires on time, not at the next poll', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  // A poll interval far beyond this test's waits: a wake that arrives at all was brought by the NOTIFY.
  const pollIntervalMs = 600_000;
  const dispatcher = await startDispatcher(t, database, router.url, { pollIntervalMs });
  t.equal(await nextEvent(dispatcher, 'sleep'), pollIntervalMs, 'idle, it sleeps the whole poll interval');
  const at = new Date(Date.now() + 300);
  await insertDue(database, 1, at);
  const settled = settledEvents(dispatcher, 1);
  await database.sql`SELECT pg_notify('chronos_due', ${String(at.getTime())})`;
  await settled;
  const lateness = router.received[0]!.at - at.getTime();
  t.ok(lateness >= 0, `fired ${lateness} ms after its time, not before`);
});

t.test('retention: fire history older than retention.fires is pruned in batches, newer kept', async (t) => {
  const database = await freshDatabase(t);
  const [id] = await insertDue(database, 1, new Date());
  await database.sql`
    INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome)
    SELECT 'att_old' || g, 'fir_x', ${id!}, now(), 1, now() - interval '31 days', now() - interval '31 days', 'delivered' FROM generate_series(1, 2500) g`;
  await database.sql`
    INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome)
    VALUES ('att_new', 'fir_x', ${id!}, now(), 1, now() - interval '29 days', now(), 'delivered')`;
  const pruner = firePruner(database.db, pino({ level: 'silent' }), 30 * 86_400_000);
  t.equal(await pruner.runOnce(), 2500);
  const left = await database.sql`SELECT id FROM fires`;
  t.same(left.map((r) => r.id), ['att_new']);
});

t.test('settle is fenced by the claim: a stale attempt cannot settle a newer claim of the same replica, even in one group', async (t) => {
  const database = await freshDatabase(t);
  const [id] = await insertDue(database, 1, new Date(Date.now() - 1_000));
  const { rows: [first] } = await alarmService(database).claim('r1', 10, 1);
  await leaseReaper(alarmService(database), pino({ level: 'silent' }), 60_000).runOnce();
  const { rows: [second] } = await alarmService(database).claim('r1', 10, 60_000);
  t.equal(second!.id, id);
  const patch = { status: 'completed' as const, nextFireAt: null, occurrenceAt: first!.occurrence_at, fireId: first!.fire_id, attempt: 1, delivered: true, consecutiveFailures: 0, lastError: null };
  const item = (claimed: typeof first) => ({
    alarmId: id!,
    claimedAt: claimed!.claimed_at!,
    patch,
    record: { id: newAlarmId().replace('alm_', 'att_'), targetType: 'router', fireId: claimed!.fire_id!, alarmId: id!, manual: false, scheduledFor: claimed!.occurrence_at!, attempt: 1, startedAt: new Date(), finishedAt: new Date(), outcome: 'delivered' as const, statusCode: 204, error: null, durationMs: 1 },
  });
  const held = await alarmService(database).settle('r1', [item(first), item(second)]);
  t.same([...held], [claimKey(id!, second!.claimed_at!)], 'only the current claim settles');
  const ledger = await database.sql`SELECT count(*)::int AS n FROM fires WHERE alarm_id = ${id!} AND outcome = 'delivered'`;
  t.equal(ledger[0]?.n, 2, 'both attempts are in the ledger: they happened');
  const [row] = await database.sql`SELECT status, fire_count FROM alarms WHERE id = ${id!}`;
  t.same({ ...row }, { status: 'completed', fire_count: 1 }, 'the alarm settled once');
});

t.test('a claim reports the next due time beyond its horizon, and null when nothing is scheduled', async (t) => {
  const database = await freshDatabase(t);
  t.equal((await alarmService(database).claim('r1', 10, 60_000)).nextDueAt, null);
  const [soon] = await insertDue(database, 1, new Date(Date.now() + 1_000));
  const later = new Date(Date.now() + 60_000);
  await insertDue(database, 1, later);
  const claim = await alarmService(database).claim('r1', 10, 60_000, 5_000);
  t.same(claim.rows.map((r) => r.id), [soon], 'the alarm due within the horizon is claimed ahead of time');
  t.equal(claim.nextDueAt?.getTime(), later.getTime(), 'the next one beyond the horizon');
  t.ok(Math.abs(claim.dbNow.getTime() - Date.now()) < 5_000, 'the database clock');
});
