import t from 'tap';
import { pino } from 'pino';
import type { Rate } from '../../src/config/units.js';
import { openDatabase } from '../../src/db/pool.js';
import { leaseSize, RateLimiter } from '../../src/limits/rate-limiter.js';
import { rateLimitPruner } from '../../src/maintenance/jobs.js';
import { takeRateTurns } from '../../src/store/rate-limits.js';
import { testApp } from '../helpers/app.js';
import { freshDatabase, freshDatabaseUrl } from '../helpers/db.js';

// One token a minute: nothing refills while a test runs, so the counts are exact.
const SLOW = (burst: number): Rate => ({ perSecond: 1 / 60, burst });

t.test('two replicas on one database admit the burst once between them, not once each', async (t) => {
  const a = await testApp(t, { rate: SLOW(10) });
  const b = await testApp(t, { rate: SLOW(10), database: a.database });
  const principal = (await a.client().principal()).token;
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).request('GET', '/v1/alarms', { principal })));
  const statuses = answers.map((r) => r.status);
  t.equal(statuses.filter((s) => s === 200).length, 10, 'the burst, once');
  t.equal(statuses.filter((s) => s === 429).length, 30);
  for (const r of answers.filter((r) => r.status === 429)) {
    // A token a minute: the next one in a minute, less the seconds this test has run (refused by the database's clock).
    const retryAfter = r.headers.get('retry-after');
    t.match(retryAfter, /^(59|60)$/);
    t.match(r.json, { ok: false, error: { code: 'rate_limited', message: `too many requests: at most 0.016666666666666666/s with bursts of 10; retry after ${retryAfter}s` } });
  }
  t.equal((await b.request('GET', '/v1/alarms', { principal })).status, 429, 'a replica whose own bucket has tokens left still refuses');
  const other = (await b.client().principal()).token;
  t.equal((await a.request('GET', '/v1/alarms', { principal: other })).status, 200, 'another principal has its own turns');
});

t.test('a batch: per key, the first requests that fit are admitted; the rest learn when to come back', async (t) => {
  const { db } = await freshDatabase(t);
  const keys = ['did:a', 'did:a', 'did:b', 'did:a', 'did:b', 'did:b'];
  const decisions = await takeRateTurns(db, keys, SLOW(2));
  t.same(
    decisions.map((d) => d.admitted),
    [true, true, true, false, true, false],
  );
  for (const d of decisions) if (!d.admitted) t.ok(d.retryAfterMs > 59_000 && d.retryAfterMs <= 60_000, `a minute to the next token (${d.retryAfterMs} ms)`);
  t.same(
    (await takeRateTurns(db, ['did:a', 'did:c', 'addr:127.0.0.1'], SLOW(2))).map((d) => d.admitted),
    [false, true, true],
    'a key keeps its state between statements; new keys start full',
  );
  const fast: Rate = { perSecond: 2, burst: 3 };
  const burst = await takeRateTurns(db, ['k', 'k', 'k', 'k'], fast);
  t.same(
    burst.map((d) => d.admitted),
    [true, true, true, false],
    'burst 3',
  );
  const refused = burst[3]!;
  t.ok(!refused.admitted && refused.retryAfterMs > 400 && refused.retryAfterMs <= 500, 'half a second to the next token at 2/s');
  await db.updateTable('rate_limits').set({ tat: new Date(0) }).where('key', '=', 'k').execute();
  t.same((await takeRateTurns(db, ['k'], fast)).map((d) => d.admitted), [true], 'a past tat is a full bucket');
});

t.test('statements deciding the same keys at once take turns: none counts from a stale state', async (t) => {
  const url = await freshDatabaseUrl(t);
  const database = openDatabase(url, 8, pino({ level: 'silent' }));
  t.teardown(() => database.close());
  // New keys and an existing one, in both orders, from 8 connections at once.
  await takeRateTurns(database.db, ['old'], SLOW(5));
  const batches = await Promise.all(Array.from({ length: 40 }, (_, i) => takeRateTurns(database.db, i % 2 === 0 ? ['new', 'old', 'new'] : ['old', 'new'], SLOW(5))));
  const admitted = (key: string) => batches.flatMap((decisions, i) => decisions.filter((d, j) => d.admitted && (i % 2 === 0 ? ['new', 'old', 'new'] : ['old', 'new'])[j] === key)).length;
  t.equal(admitted('new'), 5);
  t.equal(admitted('old'), 4, 'one was taken before');
});

t.test('when the database does not answer, each replica decides alone, and says so once', async (t) => {
  // Nothing listens on port 1: every connect is refused, as when the server is down.
  const database = openDatabase('postgres://chronos@127.0.0.1:1/chronos', 2, pino({ level: 'silent' }));
  t.teardown(() => database.close());
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  // A refused connect fails at once, a reconnect backoff at the limiter's deadline.
  const limiter = new RateLimiter({ db: database.db, rate: SLOW(3), log, now: () => 0, timeoutMs: 250 });
  const waits = [];
  const take = (key: string) => limiter.take(key);
  for (let i = 0; i < 5; i++) waits.push(await take('did:x'));
  t.same(waits, [undefined, undefined, undefined, 60, 60], "this replica's bucket: the burst, then a minute's wait");
  t.equal(await take('did:y'), undefined, 'another key, its own bucket');
  t.same(
    lines.map((l) => [l.level, l.msg]),
    [[40, 'rate limits: the database did not decide; each replica holds limits.rate on its own until it does']],
    'one warning for the spell of failures',
  );
});

t.test('the pruner deletes keys whose bucket is full again and keeps the others', async (t) => {
  const { db, sql } = await freshDatabase(t);
  await sql`INSERT INTO rate_limits (key, tat, admitted) SELECT 'did:old' || g, now() - interval '1 second', 1 FROM generate_series(1, 2500) g`;
  await takeRateTurns(db, ['did:live', 'addr:live'], SLOW(3));
  const pruner = rateLimitPruner(db, pino({ level: 'silent' }));
  t.equal(await pruner.runOnce(), 2500, 'three batches of at most 1,000');
  const left = await sql<{ key: string }[]>`SELECT key FROM rate_limits ORDER BY key`;
  t.same(
    left.map((r) => r.key),
    ['addr:live', 'did:live'],
  );
  pruner.start();
  await pruner.stop();
});

t.test('a decision takes a lease of turns: the next requests of the key spend it without a statement, until it runs out or expires', async (t) => {
  const fast: Rate = { perSecond: 1_000, burst: 1_000 };
  t.equal(leaseSize(fast), 32, 'the turns of 100 ms, at most 32');
  t.equal(leaseSize({ perSecond: 50, burst: 200 }), 5, 'the default rate: 5 turns');
  t.equal(leaseSize({ perSecond: 50, burst: 8 }), 2, 'at most a quarter of the burst');
  t.equal(leaseSize(SLOW(10)), 1, 'a slow rate is decided request by request');
  const database = await freshDatabase(t);
  let now = 0;
  const limiter = new RateLimiter({ db: database.db, rate: fast, log: pino({ level: 'silent' }), now: () => now, timeoutMs: 1_000 });
  const tat = async () => (await database.db.selectFrom('rate_limits').select(['tat', 'admitted']).where('key', '=', 'did:l').executeTakeFirstOrThrow());
  t.equal(await limiter.take('did:l'), undefined);
  const first = await tat();
  t.equal(first.admitted, 32, 'the first request took 32 turns');
  for (let i = 0; i < 31; i++) t.equal(await limiter.take('did:l'), undefined);
  t.same(await tat(), first, 'the next 31 spent the lease: no statement');
  t.equal(await limiter.take('did:l'), undefined);
  t.ok((await tat()).tat > first.tat, 'the 33rd took a new lease');
  now += 1_001;
  const before = await tat();
  t.equal(await limiter.take('did:l'), undefined);
  t.ok((await tat()).tat > before.tat, 'an expired lease is not spent: a new one is taken');
  const together = await Promise.all(Array.from({ length: 20 }, () => limiter.take('did:m')));
  t.same(together, Array.from({ length: 20 }, () => undefined));
  const m = await database.db.selectFrom('rate_limits').select('admitted').where('key', '=', 'did:m').executeTakeFirstOrThrow();
  t.equal(m.admitted, 32, 'concurrent requests of a key wait for one lease instead of taking one each');
});
