/**
 * The cancel handshake (SPEC 4.5, dispatch/cancels.ts): once a cancel has
 * answered, no attempt of the alarm starts, whichever replica holds its
 * claim and in whatever order that replica hears of the cancel and of its claim.
 */
import { pino } from 'pino';
import t from 'tap';
import { bulkInsertOnceAlarms } from '../../bench/seed.js';
import { openDatabase, type Database } from '../../src/db/pool.js';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { CANCEL_CHANNEL, type ClaimedRow } from '../../src/store/claims.js';
import { freshDatabase } from '../helpers/db.js';
import { alarmService, nextEvent, nextRound, notifyHandled, startCancelAcks, startDispatcher, testHoldTimers } from '../helpers/dispatch.js';
import { fakeRouter } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

type TestDatabase = Awaited<ReturnType<typeof freshDatabase>>;

const OWNER = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';

/** A once alarm of OWNER due at `at`. */
async function insertDue(database: Database, at: Date): Promise<string> {
  const [id] = await bulkInsertOnceAlarms(database.db, OWNER, [at], newAlarmId, fireIdFor);
  return id!;
}

/** Another process on the same database: its own pool, and its own cancel acks. */
async function otherProcess(t: { teardown(fn: () => unknown): void }, database: TestDatabase) {
  const pool = openDatabase(database.url, 4, pino({ level: 'silent' }));
  t.teardown(() => pool.close());
  const acks = await startCancelAcks(t, pool);
  return { pool, acks, alarms: alarmService(pool, acks) };
}

async function claimedBy(database: Database, id: string): Promise<string | null> {
  const [row] = await database.sql<{ claimed_by: string | null }[]>`SELECT claimed_by FROM alarms WHERE id = ${id}`;
  return row!.claimed_by;
}

t.test('two replicas: a cancel through A answers only once B, holding the claim ahead of its instant, has dropped it; the wake never leaves', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  // B's clock is the test: its claim's instant comes when the test fires its timer.
  const hold = testHoldTimers('manual');
  // B handles the cancel's NOTIFY only when the test lets it.
  let letB!: () => void;
  const bMayHandle = new Promise<void>((r) => (letB = r));
  const b = await startDispatcher(t, database, router.url, { lookaheadMs: 3_000, holdTimers: hold.holdTimers, deferNotify: (channel) => (channel === CANCEL_CHANNEL ? bMayHandle : undefined) });
  const claimed = nextEvent<ClaimedRow[]>(b, 'claimed');
  const id = await insertDue(database, new Date(Date.now() + 2_000));
  t.equal((await claimed)[0]!.id, id, 'B claimed it ahead of its instant');
  hold.fireAll(); // B's next loop turn arms the claim's timer
  const timer = hold.timers[1]!;
  const holder = await claimedBy(database, id);
  // A serves the API and runs a dispatcher of its own, which holds nothing of this alarm.
  const a = await otherProcess(t, database);
  await startDispatcher(t, a.pool, router.url, { cancelAcks: a.acks });
  let waitedFor: string | undefined;
  a.acks.once('waiting', ({ replica }: { replica: string }) => {
    waitedFor = replica;
    letB();
  });
  let droppedAtAnswer: boolean | undefined;
  const row = await a.alarms.cancel(OWNER, id).finally(() => {
    droppedAtAnswer = timer.cleared;
    letB();
  });
  t.equal(row.status, 'cancelled');
  t.equal(waitedFor, holder, "A's cancel waited for the replica holding the claim");
  t.ok(droppedAtAnswer, 'B had dropped the claim when the cancel answered');
  hold.fireAll(); // its instant comes
  const round = await nextRound(b);
  t.same(round.claimed, [], 'nothing claimed again');
  t.ok(round.idle, 'B holds nothing');
  t.equal(router.received.length, 0, 'no wake');
});

t.test("a claim whose rows reach its replica after the cancel's NOTIFY is never held", async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  const hold = testHoldTimers('manual');
  // B's claim commits, but its rows reach B's producer only when the test lets them.
  const bAlarms = alarmService(database);
  const claim = bAlarms.claim.bind(bAlarms);
  let committed!: () => void;
  const claimCommitted = new Promise<void>((r) => (committed = r));
  let letRows!: () => void;
  const rowsMayCome = new Promise<void>((r) => (letRows = r));
  bAlarms.claim = async (...args) => {
    const answer = await claim(...args);
    if (answer.rows.length > 0) {
      committed();
      await rowsMayCome;
    }
    return answer;
  };
  // And B handles the cancel's NOTIFY only when the test lets it.
  let letB!: () => void;
  const bMayHandle = new Promise<void>((r) => (letB = r));
  const b = await startDispatcher(t, database, router.url, { alarms: bAlarms, lookaheadMs: 3_000, holdTimers: hold.holdTimers, deferNotify: (channel) => (channel === CANCEL_CHANNEL ? bMayHandle : undefined) });
  const id = await insertDue(database, new Date(Date.now() + 2_000));
  await claimCommitted;
  const holder = await claimedBy(database, id);
  t.not(holder, null, 'claimed by B (committed), its rows not yet seen');
  const a = await otherProcess(t, database);
  let bHandled = false;
  const bHeard = notifyHandled(b, CANCEL_CHANNEL, id).then(() => (bHandled = true));
  let waitedFor: string | undefined;
  a.acks.once('waiting', ({ replica }: { replica: string }) => {
    waitedFor = replica;
    letB();
  });
  let handledAtAnswer: boolean | undefined;
  const row = await a.alarms.cancel(OWNER, id).finally(() => {
    handledAtAnswer = bHandled;
    letB();
  });
  t.equal(row.status, 'cancelled');
  t.equal(waitedFor, holder, 'the cancel waited for B');
  t.ok(handledAtAnswer, 'B had processed the cancel (holding nothing of it yet) when the cancel answered');
  await bHeard;
  // Now, B having processed the cancel, the claim's rows come.
  const rowsSeen = nextEvent<ClaimedRow[]>(b, 'claimed');
  letRows();
  t.equal((await rowsSeen)[0]!.id, id, 'the rows reached B after the cancel');
  hold.fireAll(); // any timer B set, its instant come
  hold.fireAll();
  const round = await nextRound(b);
  t.ok(round.idle, 'B holds nothing');
  t.equal(router.received.length, 0, 'no wake');
});

t.test("one process: a cancel reaches its own dispatcher's claim by a call, without waiting on a NOTIFY", async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  const hold = testHoldTimers('manual');
  const acks = await startCancelAcks(t, database);
  // The cancel's NOTIFY never reaches this dispatcher: only the call can drop the claim.
  const dispatcher = await startDispatcher(t, database, router.url, {
    lookaheadMs: 3_000,
    holdTimers: hold.holdTimers,
    cancelAcks: acks,
    deferNotify: (channel) => (channel === CANCEL_CHANNEL ? new Promise(() => {}) : undefined),
  });
  const claimed = nextEvent<ClaimedRow[]>(dispatcher, 'claimed');
  const id = await insertDue(database, new Date(Date.now() + 2_000));
  await claimed;
  hold.fireAll();
  const timer = hold.timers[1]!;
  let waited = false;
  acks.on('waiting', () => (waited = true));
  const row = await alarmService(database, acks).cancel(OWNER, id);
  t.equal(row.status, 'cancelled');
  t.ok(timer.cleared, 'the claim was dropped when the cancel answered');
  t.notOk(waited, 'no ack waited for');
  hold.fireAll();
  t.ok((await nextRound(dispatcher)).idle, 'nothing held');
  t.equal(router.received.length, 0, 'no wake');
});

t.test('the wait is bounded: none for an expired lease, at most the rest of a live one for a holder that never answers', async (t) => {
  const database = await freshDatabase(t);
  const a = await otherProcess(t, database);
  const dead = await insertDue(database, new Date(Date.now() - 1_000));
  await alarmService(database).claim('dead-replica', 1, 1);
  const silent = await insertDue(database, new Date(Date.now() - 1_000));
  await alarmService(database).claim('silent-replica', 1, 1_000);
  const waits: string[] = [];
  a.acks.on('waiting', ({ replica }: { replica: string }) => waits.push(replica));
  await waitFor(async () => ((await database.sql`SELECT lease_until < now() AS over FROM alarms WHERE id = ${dead}`)[0]!.over ? true : undefined), 5_000, 1);
  t.match(await a.alarms.cancel(OWNER, dead), { status: 'cancelled' });
  t.same(waits, [], 'an expired lease: answered without waiting');
  t.match(await a.alarms.cancel(OWNER, silent), { status: 'cancelled' });
  t.same(waits, ['silent-replica'], 'a live lease: waited for its holder, and answered without its ack at the end of the lease');
});
