import t from 'tap';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { bulkInsertOnceAlarms } from '../../bench/seed.js';
import { createAlarms, finishAlarm, type NewAlarmRow } from '../../src/store/alarms.js';
import { freshDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

const DUE = new Date('2026-11-23T13:00:00.000Z');
const FAR = new Date('2026-11-23T12:00:00.000Z');

function alarm(owner: string, extra: Partial<NewAlarmRow> = {}): NewAlarmRow {
  const id = newAlarmId();
  const due = extra.next_fire_at ?? DUE;
  return {
    id,
    owner,
    kind: 'once',
    at: DUE,
    at_local: null,
    cron: null,
    rrule: null,
    tz: 'UTC',
    start_at: null,
    until: null,
    max_fires: null,
    label: null,
    conversation_id: null,
    wake_message: 'wake',
    payload: '{"b": 1,  "a": [1.50]}',
    tags: ['x'],
    target: { type: 'router' },
    misfire: 'coalesce',
    status: 'scheduled',
    next_fire_at: due,
    occurrence_at: due,
    fire_id: fireIdFor(id, due),
    idempotency_key: null,
    request_fingerprint: 'f',
    ...extra,
  };
}

t.test('one batch: an outcome per alarm in batch order, across owners, quota and idempotency within the batch', async (t) => {
  const { db } = await freshDatabase(t);
  const batch = [
    alarm('did:b'),
    alarm('did:a', { idempotency_key: 'k1', request_fingerprint: 'same' }),
    alarm('did:b'),
    alarm('did:a', { idempotency_key: 'k1', request_fingerprint: 'same' }),
    alarm('did:a'),
    alarm('did:a'),
  ];
  const out = await createAlarms(db, batch, 2, FAR);
  t.same(
    out.map((o) => o.kind),
    ['created', 'created', 'created', 'existing', 'created', 'quota'],
    'did:a reaches its quota of 2 on its third distinct alarm; the repeated key names the first',
  );
  t.equal(out[3]!.kind === 'existing' && out[3]!.row.id, batch[1]!.id, 'the existing row is the one the key made in this batch');
  t.same(out[5], { kind: 'quota', active: 2 });
  const created = out[0]!.kind === 'created' ? out[0]!.row : undefined;
  t.equal(created?.id, batch[0]!.id);
  t.equal(created?.payload, '{"b": 1,  "a": [1.50]}', 'payload kept byte for byte');
  t.same(created?.tags, ['x']);
  t.equal(created?.status, 'scheduled');
  t.same(created?.next_fire_at, DUE);
  t.ok(created?.created_at instanceof Date);
});

t.test('concurrent batches sharing owners in opposite orders: no deadlock, the quota exact', async (t) => {
  const { db } = await freshDatabase(t);
  const owners = ['did:p', 'did:q', 'did:r'];
  const batches = Array.from({ length: 12 }, (_, i) => {
    const order = i % 2 === 0 ? owners : [...owners].reverse();
    return order.flatMap((o) => Array.from({ length: 4 }, () => alarm(o)));
  });
  const results = (await Promise.all(batches.map((b) => createAlarms(db, b, 20, FAR)))).flat();
  for (const owner of owners) {
    const mine = results.filter((r, i) => batches.flat()[i]!.owner === owner);
    t.equal(mine.filter((r) => r.kind === 'created').length, 20, `${owner}: exactly the quota created`);
    t.equal(mine.filter((r) => r.kind === 'quota').length, 28, `${owner}: the rest refused`);
  }
  const { count } = await db.selectFrom('alarms').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
  t.equal(Number(count), 60);
});

t.test('a batch is one statement: a row the database refuses stores nothing of its batch', async (t) => {
  const { db } = await freshDatabase(t);
  const good = alarm('did:a');
  const bad = alarm('did:a', { at: null });
  await t.rejects(createAlarms(db, [good, bad], 10, FAR), { code: '23514' }, 'check_violation');
  t.equal(await db.selectFrom('alarms').select('id').executeTakeFirst(), undefined);
});

t.test('the earliest create due before the horizon is announced on the due channel', async (t) => {
  const database = await freshDatabase(t);
  const heard: string[] = [];
  const listening = await database.sql.listen('chronos_due', (p) => heard.push(p));
  t.teardown(() => listening.unlisten());
  const later = new Date(DUE.getTime() + 5_000);
  await createAlarms(database.db, [alarm('did:a', { next_fire_at: later }), alarm('did:b'), alarm('did:c', { next_fire_at: new Date('2027-01-01T00:00:00Z') })], 10, new Date(DUE.getTime() + 60_000));
  await createAlarms(database.db, [alarm('did:d')], 10, FAR);
  // Notifications arrive in commit order: once this one is heard, every create's would have been.
  await database.sql`SELECT pg_notify('chronos_due', 'end')`;
  await waitFor(async () => (heard.includes('end') ? true : undefined), 5_000);
  t.same(heard, [String(DUE.getTime()), 'end'], 'one notify for the batch, with its earliest instant; none past the horizon');
});

t.test('the quota counts alarms made before the owner had a bound (a v1 database), and a cancel frees a place', async (t) => {
  const { db } = await freshDatabase(t);
  const [first] = await bulkInsertOnceAlarms(db, 'did:old', [DUE, DUE, DUE], newAlarmId, fireIdFor);
  const out = await createAlarms(db, [alarm('did:old'), alarm('did:old')], 4, FAR);
  t.same(out.map((o) => o.kind), ['created', 'quota'], 'three existing alarms counted');
  t.same(out[1], { kind: 'quota', active: 4 });
  await finishAlarm(db, 'did:old', first!, ['scheduled'], 'cancelled');
  t.same((await createAlarms(db, [alarm('did:old'), alarm('did:old')], 4, FAR)).map((o) => o.kind), ['created', 'quota'], 'the bound is recounted at the quota');
});
