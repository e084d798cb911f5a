/** Deadlines on database work: waits for a connection and statements end at the deadline, and leave the pool whole. */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { sql } from 'kysely';
import { pino } from 'pino';
import postgres from 'postgres';
import t from 'tap';
import { withDeadline } from '../../src/db/deadline.js';
import { DatabaseTimeout } from '../../src/db/errors.js';
import { openDatabase } from '../../src/db/pool.js';
import { freshDatabase, freshDatabaseUrl } from '../helpers/db.js';
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

/** A TCP proxy to `url`'s server that can hold the next new connection back for `ms` before passing it on. */
async function delayingProxy(url: string): Promise<{ url: string; holdNext(ms: number): void; close(): void }> {
  const target = new URL(url);
  let hold = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const wait = hold;
    hold = 0;
    client.pause();
    sockets.add(client);
    setTimeout(() => {
      const upstream = connect(Number(target.port), target.hostname, () => {
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      sockets.add(upstream);
      const closeBoth = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', closeBoth).on('close', closeBoth);
      client.on('error', closeBoth).on('close', closeBoth);
    }, wait);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxied = new URL(url);
  proxied.port = String((server.address() as AddressInfo).port);
  return {
    url: proxied.toString(),
    holdNext: (ms) => (hold = ms),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

t.test('a cancel that reaches the server late never cancels the next statement on that connection', async (t) => {
  const proxy = await delayingProxy(await freshDatabaseUrl(t));
  t.teardown(() => proxy.close());
  // One connection, so the next statement would run on the connection whose statement was cancelled.
  const database = openDatabase(proxy.url, 1, pino({ level: 'silent' }));
  t.teardown(() => database.close());
  await withDeadline(5_000, () => selectOne.execute(database.db));
  // The cancel request opens a connection of its own: it arrives 1.5 s late, after the statement has ended by itself.
  proxy.holdNext(1_500);
  await t.rejects(withDeadline(100, () => sql`SELECT pg_sleep(0.4)`.execute(database.db)), { code: 'DATABASE_TIMEOUT' });
  await t.resolves(
    withDeadline(10_000, () => sql`SELECT pg_sleep(2.5)`.execute(database.db)),
    'the next statement runs to its end while the late cancel arrives',
  );
});
