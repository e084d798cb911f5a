/** Deadlines on database work: waits for a connection and statements end at the deadline, and leave the pool whole. */
import { sql } from 'kysely';
import postgres from 'postgres';
import t from 'tap';
import { withDeadline } from '../../src/db/deadline.js';
import { DatabaseTimeout } from '../../src/db/errors.js';
import { freshDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

const selectOne = sql<{ one: number }>`SELECT 1 AS one`;

t.test('a wait for a connection ends at the deadline; the pool is whole once the connections are free', async (t) => {
  const database = await freshDatabase(t); // 4 connections
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  // Four transactions hold every connection until the gate opens; they run outside any deadline.
  const holders = Array.from({ length: 4 }, () => database.db.transaction().execute(async (trx) => {
    await selectOne.execute(trx);
    await gate;
  }));
  const started = Date.now();
  await t.rejects(withDeadline(200, () => selectOne.execute(database.db)), DatabaseTimeout);
  t.ok(Date.now() - started < 2_000, 'answered at the deadline, not when a connection came free');
  // More callers give up than the pool has connections: none of them may keep a place in it.
  const late = await Promise.allSettled(Array.from({ length: 8 }, () => withDeadline(100, () => selectOne.execute(database.db))));
  t.same(late.map((r) => r.status), Array(8).fill('rejected'));
  open();
  await Promise.all(holders);
  const after = await withDeadline(5_000, () => Promise.all(Array.from({ length: 8 }, () => selectOne.execute(database.db))));
  t.equal(after.length, 8, 'every connection is back in the pool');
});

t.test('a statement running at the deadline is cancelled on the server; its connection returns once it has stopped', async (t) => {
  const database = await freshDatabase(t);
  const holder = postgres(database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => holder.end());
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const locked = new Promise<void>((resolve) => {
    void holder.begin(async (tx) => {
      await tx`LOCK TABLE auth_nonces IN ACCESS EXCLUSIVE MODE`;
      resolve();
      await released;
    });
  });
  await locked;
  await t.rejects(
    withDeadline(300, () => database.db.selectFrom('auth_nonces').selectAll().execute()),
    { code: 'DATABASE_TIMEOUT' },
  );
  const waiting = () => database.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'chronosd' AND wait_event_type = 'Lock'`;
  await waitFor(async () => ((await waiting())[0]!.n === 0 ? true : undefined), 5_000);
  t.pass('no chronosd statement is left waiting for the lock');
  release();
  const rows = await withDeadline(5_000, () => Promise.all(Array.from({ length: 4 }, () => database.db.selectFrom('auth_nonces').selectAll().execute())));
  t.equal(rows.length, 4, 'the pool serves again');
});

t.test('a transaction cut short by its deadline is rolled back before its connection serves anyone else', async (t) => {
  const database = await freshDatabase(t);
  const nonce = (n: string) => ({ nonce: n, did: 'did:key:x', expires_at: new Date(Date.now() + 60_000) });
  await t.rejects(
    withDeadline(300, () =>
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto('auth_nonces').values(nonce('cut-short')).execute();
        await sql`SELECT pg_sleep(5)`.execute(trx);
      }),
    ),
    { code: 'DATABASE_TIMEOUT' },
  );
  // Every connection of the pool writes once; a connection left in the transaction would fail or keep its row to itself.
  await withDeadline(10_000, () => Promise.all(Array.from({ length: 8 }, (_, i) => database.db.insertInto('auth_nonces').values(nonce(`after-${i}`)).execute())));
  const rows = await database.sql<{ nonce: string }[]>`SELECT nonce FROM auth_nonces ORDER BY nonce`;
  t.same(rows.map((r) => r.nonce), Array.from({ length: 8 }, (_, i) => `after-${i}`), 'the cut-short insert is gone, every later one committed');
});
