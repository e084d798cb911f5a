import { sql } from 'kysely';
import t from 'tap';
import { misfireReschedule } from '../../src/dispatch/misfire.js';
import { ownerCapacity } from '../../src/dispatch/producer.js';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { claimDue } from '../../src/store/claims.js';
import { freshDatabase } from '../helpers/db.js';
import { rounds, startDispatcher } from '../helpers/dispatch.js';
import { fakeRouter } from '../helpers/router.js';
import { insertAlarms } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';

const FLOODER = 'did:key:z6MkFlooder';
const OTHER = 'did:key:z6MkOther';
const MOVE = { from: 'scheduled', to: 'firing' } as const;

t.test('ownerCapacity: twice the owner\'s slots, at least half the capacity, at most all of it', async (t) => {
  t.equal(ownerCapacity(64, 16), 64);
  t.equal(ownerCapacity(64, 48), 96);
  t.equal(ownerCapacity(64, 64), 128);
  t.equal(ownerCapacity(64, 1_000), 128);
  t.equal(ownerCapacity(8, 4), 8);
});

t.test('the claim is fair between owners due at one instant: each takes at most its room, a flood is one group', async (t) => {
  const database = await freshDatabase(t);
  const at = new Date(Date.now() - 1_000);
  await insertAlarms(database, { n: 2_000, at, owner: FLOODER, target: 'router' });
  const others = await insertAlarms(database, { n: 3, at, owner: OTHER, target: 'router' });
  const claim = await claimDue(database.db, MOVE, ['router'], 'r1', 100, 60_000, 0, { max: 10, held: new Map([[OTHER, 9]]) });
  const byOwner = (owner: string) => claim.rows.filter((r) => r.owner === owner).length;
  t.equal(byOwner(FLOODER), 10, 'the flood gives its room, not the whole batch');
  t.equal(byOwner(OTHER), 1, 'the other owner is claimed in the same claim, up to what it has room for');
  t.ok(others.includes(claim.rows.find((r) => r.owner === OTHER)!.id));
  const next = await claimDue(database.db, MOVE, ['router'], 'r1', 100, 60_000, 0, { max: 10, held: new Map([[FLOODER, 10], [OTHER, 0]]) });
  t.same([...new Set(next.rows.map((r) => r.owner))], [OTHER], 'an owner with no room is passed over; the others get theirs');
  t.equal(next.rows.length, 2);
});

t.test('an owner due at many instants takes its room across them', async (t) => {
  const database = await freshDatabase(t);
  const base = Date.now() - 10_000;
  for (let i = 0; i < 20; i++) await insertAlarms(database, { n: 1, at: new Date(base + i), owner: FLOODER, target: 'router' });
  await insertAlarms(database, { n: 1, at: new Date(base + 5), owner: OTHER, target: 'router' });
  const claim = await claimDue(database.db, MOVE, ['router'], 'r1', 100, 60_000, 0, { max: 4, held: new Map() });
  t.equal(claim.rows.filter((r) => r.owner === FLOODER).length, 4);
  t.equal(claim.rows.filter((r) => r.owner === OTHER).length, 1);
});

t.test('with owner_concurrency k, at most k wakes of one owner are in flight; another owner\'s alarm due with a flood goes before the flood is done', async (t) => {
  const database = await freshDatabase(t);
  const k = 3;
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const gates: (() => void)[] = [];
  // Each wake is held until the test lets it go: what is in flight can only grow by the dispatcher's choice.
  const router = await fakeRouter(t, (r) => {
    const owner = r.body.agent_did as string;
    inFlight.set(owner, (inFlight.get(owner) ?? 0) + 1);
    maxInFlight.set(owner, Math.max(maxInFlight.get(owner) ?? 0, inFlight.get(owner)!));
    return {
      status: 204,
      after: new Promise<void>((resolve) =>
        gates.push(() => {
          inFlight.set(owner, inFlight.get(owner)! - 1);
          resolve();
        }),
      ),
    };
  });
  const at = new Date(Date.now() - 1_000);
  const flood = 60;
  await insertAlarms(database, { n: flood, at, owner: FLOODER, target: 'router' });
  const [other] = await insertAlarms(database, { n: 1, at, owner: OTHER, target: 'router' });
  await startDispatcher(t, database, router.url, { concurrency: 8, ownerConcurrency: k, batchSize: 20 });
  await router.waitForCount(k + 1);
  t.equal(inFlight.get(FLOODER), k, `the flood holds ${k} wakes in flight, not the 8 free slots`);
  t.equal(inFlight.get(OTHER), 1, 'the other owner\'s alarm is on the wire beside the flood');
  t.equal(router.received.find((r) => r.body.agent_did === OTHER)?.body.alarm_id, other);
  // Let the wakes go one at a time; the dispatcher refills only the owner's freed slot.
  while (router.received.length < flood + 1 || gates.length > 0) {
    if (gates.length === 0) {
      await waitFor(async () => (gates.length > 0 ? true : undefined), 10_000, 5);
      continue;
    }
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  t.equal(maxInFlight.get(FLOODER), k, `never more than ${k} of one owner in flight`);
  t.equal(new Set(router.received.map((r) => r.body.alarm_id)).size, flood + 1, 'every alarm delivered once');
});

t.test('a suspended owner\'s alarms wait (not claimed, not counted as due), and go once it is cleared, under their misfire policy', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  const at = new Date(Date.now() - 1_000);
  const [waiting] = await insertAlarms(database, { n: 1, at, owner: FLOODER, target: 'router' });
  const [free] = await insertAlarms(database, { n: 1, at, owner: OTHER, target: 'router' });
  // A recurring alarm whose occurrence passed 10 minutes ago while suspended, misfire skip (threshold 60 s in tests).
  const cronId = newAlarmId();
  const missed = new Date(Math.floor((Date.now() - 600_000) / 60_000) * 60_000);
  await sql`
    INSERT INTO alarms (id, owner, kind, cron, tz, start_at, wake_message, next_fire_at, occurrence_at, fire_id, target, misfire)
    VALUES (${cronId}, ${FLOODER}, 'cron', '* * * * *', 'UTC', ${new Date(missed.getTime() - 3_600_000)}, 'tick', ${missed}, ${missed}, ${fireIdFor(cronId, missed)}, '{"type":"router"}', 'skip')`.execute(database.db);
  await sql`INSERT INTO owners (did, suspended_at, suspended_reason) VALUES (${FLOODER}, now(), 'abuse')`.execute(database.db);

  const claim = await claimDue(database.db, MOVE, ['router'], 'r1', 100, 60_000);
  t.same(claim.rows.map((r) => r.id), [free], 'only the other owner\'s alarm is claimed');
  const dispatcher = await startDispatcher(t, database, router.url);
  const seen = await rounds(dispatcher, 2);
  t.same(seen.flatMap((r) => r.claimed), [], 'two claim rounds take nothing of the suspended owner');
  t.equal(router.received.length, 0);
  await dispatcher.stop();

  await sql`UPDATE owners SET suspended_at = NULL, updated_at = now() WHERE did = ${FLOODER}`.execute(database.db);
  const after = await claimDue(database.db, MOVE, ['router'], 'r1', 100, 60_000);
  t.same(new Set(after.rows.map((r) => r.id)), new Set([waiting, cronId]), 'cleared: its alarms are claimed again');
  const cron = after.rows.find((r) => r.id === cronId)!;
  t.equal(cron.attempt, 1, 'a first attempt: the misfire policy judges it');
  const patch = misfireReschedule(cron, Date.now(), { misfireThresholdMs: 60_000, maxCatchup: 100 });
  t.match(patch, { status: 'scheduled', delivered: false }, 'misfire skip: the missed occurrence is not sent, the alarm moves on');
  t.ok(patch!.nextFireAt!.getTime() > Date.now(), 'to the next occurrence from now');
  t.equal(misfireReschedule(after.rows.find((r) => r.id === waiting)!, Date.now(), { misfireThresholdMs: 60_000, maxCatchup: 100 }), null, 'a once alarm fires late');
});

t.test('a dispatcher sends a suspended owner\'s alarm once the suspension is cleared', async (t) => {
  const database = await freshDatabase(t);
  const router = await fakeRouter(t);
  const at = new Date(Date.now() - 1_000);
  await sql`INSERT INTO owners (did, suspended_at) VALUES (${FLOODER}, now())`.execute(database.db);
  const [waiting] = await insertAlarms(database, { n: 1, at, owner: FLOODER, target: 'router' });
  const [free] = await insertAlarms(database, { n: 1, at, owner: OTHER, target: 'router' });
  await startDispatcher(t, database, router.url);
  await router.waitForCount(1);
  t.same(router.received.map((r) => r.body.alarm_id), [free]);
  await sql`UPDATE owners SET suspended_at = NULL WHERE did = ${FLOODER}`.execute(database.db);
  // Found by the next poll.
  await router.waitForCount(2);
  t.equal(router.received[1]!.body.alarm_id, waiting);
});
