/** Stream presence in PostgreSQL (migration 009, src/store/stream.ts) and the claim condition it feeds (src/store/claims.ts). */
import { Kysely } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
import t, { type Test } from 'tap';
import { freshDatabase } from '../helpers/db.js';
import { alarmService } from '../helpers/dispatch.js';
import { insertAlarms, OWNER } from '../helpers/stream.js';
import { claimDue, DUE_CHANNEL } from '../../src/store/claims.js';
import type { Schema } from '../../src/store/schema.js';
import { admitListener, markConnected, PRESENCE_WINDOW_MS, refreshListeners, removeListeners } from '../../src/store/stream.js';
import type { Database } from '../../src/db/pool.js';

const OTHER = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

/** Admits and connects a listener of `owner` on `replica`. */
async function listen(t: Test, database: Database, replica: string, id: string, tags: string[] | null = null, owner = OWNER): Promise<void> {
  t.ok(await admitListener(database.db, replica, { id, owner, tags }, 8), `${id} admitted`);
  t.ok(await markConnected(database.db, id), `${id} connected`);
}

/** The ids `replica` claims now. */
async function claimIds(database: Database, replica: string): Promise<string[]> {
  const { rows } = await alarmService(database).claim(replica, 100, 60_000);
  return rows.map((r) => r.id).sort();
}

t.test('the cap counts live connections of the owner on every replica, and holds under concurrent admissions', async (t) => {
  const database = await freshDatabase(t);
  t.ok(await admitListener(database.db, 'r1', { id: 'c1', owner: OWNER, tags: null }, 2));
  t.ok(await admitListener(database.db, 'r2', { id: 'c2', owner: OWNER, tags: ['a'] }, 2));
  t.notOk(await admitListener(database.db, 'r1', { id: 'c3', owner: OWNER, tags: null }, 2), 'a third is refused, whichever replica');
  t.ok(await admitListener(database.db, 'r1', { id: 'c4', owner: OTHER, tags: null }, 2), 'another owner has a cap of its own');
  await database.sql`UPDATE stream_listeners SET seen_at = now() - ${PRESENCE_WINDOW_MS + 1_000} * interval '1 millisecond' WHERE id = 'c1'`;
  t.ok(await admitListener(database.db, 'r1', { id: 'c5', owner: OWNER, tags: null }, 2), 'a stale row (its replica died) does not count');

  // 20 admissions at once, from connections of their own, against a cap of 8.
  const pools = Array.from({ length: 4 }, () => postgres(database.url, { max: 5, onnotice: () => {} }));
  t.teardown(() => Promise.all(pools.map((p) => p.end())));
  const dbs = pools.map((p) => new Kysely<Schema>({ dialect: new PostgresJSDialect({ postgres: p }) }));
  const admitted = await Promise.all(Array.from({ length: 20 }, (_, i) => admitListener(dbs[i % 4]!, `r${i % 4}`, { id: `x${i}`, owner: OTHER.replace('doK', 'doX'), tags: null }, 8)));
  t.equal(admitted.filter(Boolean).length, 8, 'exactly 8 of 20 concurrent admissions pass');
});

t.test('markConnected makes the row a listener and wakes sleeping dispatchers', async (t) => {
  const database = await freshDatabase(t);
  const heard: string[] = [];
  const sub = await database.sql.listen(DUE_CHANNEL, (p) => heard.push(p));
  t.teardown(() => sub.unlisten());
  t.ok(await admitListener(database.db, 'r1', { id: 'c1', owner: OWNER, tags: null }, 8));
  const [before] = await database.sql`SELECT connected_at FROM stream_listeners WHERE id = 'c1'`;
  t.equal(before!.connected_at, null, 'admitted, not yet connected');
  const sent = Date.now();
  t.ok(await markConnected(database.db, 'c1'));
  const [after] = await database.sql`SELECT connected_at FROM stream_listeners WHERE id = 'c1'`;
  t.type(after!.connected_at, Date);
  const deadline = Date.now() + 5_000;
  while (heard.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.equal(heard.length, 1, 'one NOTIFY on the due channel');
  t.ok(Math.abs(Number(heard[0]) - sent) < 5_000, 'its payload is the database clock in ms: due now');
  await removeListeners(database.db, ['c1']);
  t.notOk(await markConnected(database.db, 'c1'), 'a removed row cannot be connected');
});

t.test('refresh: keeps this replica\'s rows, writes back a swept one, sweeps stale rows of others', async (t) => {
  const database = await freshDatabase(t);
  await listen(t, database, 'r1', 'c1', ['a', 'b']);
  await listen(t, database, 'r2', 'c2');
  await database.sql`UPDATE stream_listeners SET seen_at = now() - interval '1 hour'`;
  // r2 died long ago: its row is stale. r1's was swept by someone meanwhile (r1 lost the database for a while).
  await removeListeners(database.db, ['c1']);
  const swept = await refreshListeners(database.db, 'r1', [{ id: 'c1', owner: OWNER, tags: ['a', 'b'] }]);
  t.equal(swept, 1, 'the dead replica\'s row is swept');
  const rows = await database.sql`SELECT id, replica, owner, tags, connected_at IS NOT NULL AS connected, seen_at > now() - interval '5 seconds' AS fresh FROM stream_listeners`;
  t.same(rows.map((r) => ({ ...r })), [{ id: 'c1', replica: 'r1', owner: OWNER, tags: ['a', 'b'], connected: true, fresh: true }], 'r1\'s row is back, fresh');
  t.equal(await refreshListeners(database.db, 'r1', []), 0, 'nothing open, nothing stale: nothing happens');
});

t.test('the claim: a stream alarm goes to the replica its owner listens on, or to anyone when no one listens', async (t) => {
  const database = await freshDatabase(t);
  const past = new Date(Date.now() - 1_000);
  const release = () => database.sql`UPDATE alarms SET status = 'scheduled', claimed_by = NULL, claimed_at = NULL, lease_until = NULL`;

  const [lonely] = await insertAlarms(database, { n: 1, at: past });
  t.same(await claimIds(database, 'r1'), [lonely], 'no listener anywhere: any replica claims it (to fail it as "no stream listener")');
  await release();

  await listen(t, database, 'r2', 'c2');
  t.same(await claimIds(database, 'r1'), [], 'the owner listens on r2: r1 leaves it');
  t.same(await claimIds(database, 'r2'), [lonely], 'r2 claims it');
  await release();

  t.ok(await admitListener(database.db, 'r1', { id: 'c1', owner: OWNER, tags: null }, 8));
  t.same(await claimIds(database, 'r1'), [], 'a connection still in its handshake is no listener yet');
  await markConnected(database.db, 'c1');
  t.same(await claimIds(database, 'r1'), [lonely], 'once connected on r1, r1 may claim it too');
  await release();

  await removeListeners(database.db, ['c1']);
  await database.sql`UPDATE stream_listeners SET seen_at = now() - ${PRESENCE_WINDOW_MS + 1_000} * interval '1 millisecond' WHERE id = 'c2'`;
  t.same(await claimIds(database, 'r1'), [lonely], 'r2 stopped refreshing its row (it died): r1 claims it');
  await release();
  await database.sql`DELETE FROM stream_listeners`;

  const [router] = await insertAlarms(database, { n: 1, at: past, target: 'router' });
  const [other] = await insertAlarms(database, { n: 1, at: past, owner: OTHER });
  await listen(t, database, 'r2', 'c2');
  t.same(await claimIds(database, 'r1'), [other, router].sort(), 'router alarms and another owner\'s stream alarms are not held back by this owner\'s listener');
});

t.test('the claim follows the tags filter: a listener with tags a,b takes alarms carrying a or b', async (t) => {
  const database = await freshDatabase(t);
  const past = new Date(Date.now() - 1_000);
  const [tagA] = await insertAlarms(database, { n: 1, at: past, tags: ['a', 'x'] });
  const [tagB] = await insertAlarms(database, { n: 1, at: past, tags: ['b'] });
  const [tagC] = await insertAlarms(database, { n: 1, at: past, tags: ['c'] });
  const [none] = await insertAlarms(database, { n: 1, at: past });
  await listen(t, database, 'r2', 'c2', ['a', 'b']);
  t.same(await claimIds(database, 'r1'), [none, tagC].sort(), 'r1 gets what the r2 listener does not match (to fail it)');
  t.same(await claimIds(database, 'r2'), [tagA, tagB].sort(), 'r2 gets a and b');
});

t.test('the next due time counts only what this replica may claim', async (t) => {
  const database = await freshDatabase(t);
  const later = new Date(Date.now() + 60_000);
  await insertAlarms(database, { n: 1, at: later });
  await listen(t, database, 'r2', 'c2');
  t.equal((await alarmService(database).claim('r1', 10, 60_000)).nextDueAt, null, 'r1 would not wake for an alarm r2 will send');
  t.equal((await alarmService(database).claim('r2', 10, 60_000)).nextDueAt?.getTime(), later.getTime(), 'r2 wakes for it');
});

t.test('EXPLAIN: with 100,000 router alarms due, the claim still walks alarms_due by (instant, owner) groups and never reads stream_listeners for a router row', async (t) => {
  const database = await freshDatabase(t);
  const past = new Date(Date.now() - 60_000);
  await insertAlarms(database, { n: 100_000, at: past, target: 'router' });
  await insertAlarms(database, { n: 3, at: new Date(past.getTime() - 1_000) });
  for (let i = 0; i < 50; i++) await admitListener(database.db, `r${i % 3}`, { id: `c${i}`, owner: `did:key:z6Mk${i}`, tags: null }, 8);
  await listen(t, database, 'r2', 'mine');
  await database.sql`ANALYZE alarms`;
  await database.sql`ANALYZE stream_listeners`;
  // auto_explain sends the plan of the very statement the dispatcher runs to this client as a NOTICE.
  const notices: string[] = [];
  const client = postgres(database.url, { max: 1, onnotice: (n) => notices.push(n.message ?? ''), connection: { enable_bitmapscan: 'off' } });
  t.teardown(() => client.end());
  await client`LOAD 'auto_explain'`;
  await client`SET auto_explain.log_min_duration = 0`;
  await client`SET auto_explain.log_analyze = on`;
  await client`SET auto_explain.log_level = notice`;
  const db = new Kysely<Schema>({ dialect: new PostgresJSDialect({ postgres: client }) });
  const claim = await claimDue(db, { from: 'scheduled', to: 'firing' }, ['router', 'stream'], 'r1', 100, 60_000);
  t.equal(claim.rows.length, 100, 'a full batch, the 3 stream alarms (held by r2\'s listener) passed over');
  t.ok(claim.rows.every((r) => r.target.type === 'router'));
  const plan = notices.find((n) => n.includes('WITH RECURSIVE groups AS')) ?? '';
  t.comment(plan);
  t.match(plan, /CTE groups\n.*-> {2}Recursive Union .*rows=2\.00 loops=1\)/, 'the skip scan of alarms_due stopped at the second (instant, owner) group: the claim had its rows');
  t.match(plan, /CTE candidates\n.*-> {2}Limit .*\n.*-> {2}Nested Loop .*\n.*-> {2}CTE Scan on groups/, 'the due rows come group by group, up to the limit');
  t.match(plan, /-> {2}LockRows .*\n(.*\n){0,3}.*-> {2}Index Scan using alarms_due on alarms /, 'each group\'s rows from alarms_due, in order: no sort of the due rows');
  t.notMatch(plan, /Seq Scan on alarms/, 'no scan of the table');
  // The 3 stream rows come first (earliest), so the subquery runs for them alone, then 100 router rows pass without it.
  const loops = [...plan.matchAll(/on stream_listeners l.*?loops=(\d+)/g)].map((m) => Number(m[1]));
  t.ok(loops.length > 0 && loops.every((n) => n <= 3), `stream_listeners read once per stream row only (loops: ${loops.join(', ')})`);
});
