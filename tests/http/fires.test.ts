/**
 * GET /v1/fires (SPEC 9.4): the caller's whole delivery history, newest
 * first (started_at, then id, descending), narrowed by alarm, tag, outcome
 * and start time (since inclusive, until exclusive), paged by cursor
 * without overlap or gap; never another owner's attempts; a bad parameter
 * is a 400 naming it.
 */
import t from 'tap';
import { FirePage } from '../../src/api/alarms.js';
import { okEnvelope } from '../../src/api/envelope.js';
import { testApp } from '../helpers/app.js';

const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

interface Seeded {
  id: string;
  alarm: 'a1' | 'a2' | 'b1';
  minute: number;
  outcome: 'delivered' | 'retrying' | 'failed';
}

// Ids of digits after the prefix sort alike in any collation; three attempts share minute 5 and two minute 9, so
// pages of 3 split ties. b1 is another owner's, interleaved in time.
const SEEDED: Seeded[] = [
  { id: 'att_00000000000000000001', alarm: 'a1', minute: 1, outcome: 'delivered' },
  { id: 'att_00000000000000000002', alarm: 'a2', minute: 2, outcome: 'failed' },
  { id: 'att_00000000000000000003', alarm: 'b1', minute: 3, outcome: 'delivered' },
  { id: 'att_00000000000000000004', alarm: 'a1', minute: 4, outcome: 'retrying' },
  { id: 'att_00000000000000000005', alarm: 'a1', minute: 5, outcome: 'delivered' },
  { id: 'att_00000000000000000006', alarm: 'a2', minute: 5, outcome: 'retrying' },
  { id: 'att_00000000000000000007', alarm: 'a1', minute: 5, outcome: 'failed' },
  { id: 'att_00000000000000000008', alarm: 'b1', minute: 5, outcome: 'failed' },
  { id: 'att_00000000000000000009', alarm: 'a2', minute: 7, outcome: 'delivered' },
  { id: 'att_00000000000000000010', alarm: 'a1', minute: 9, outcome: 'retrying' },
  { id: 'att_00000000000000000011', alarm: 'a1', minute: 9, outcome: 'delivered' },
  { id: 'att_00000000000000000012', alarm: 'b1', minute: 10, outcome: 'retrying' },
  { id: 'att_00000000000000000013', alarm: 'a2', minute: 11, outcome: 'delivered' },
];

/** The ids of `seeded` in the order the API must list them. */
const newestFirst = (seeded: Seeded[]) => [...seeded].sort((x, y) => y.minute - x.minute || (x.id < y.id ? 1 : -1)).map((s) => s.id);

async function seed(t: { teardown(fn: () => unknown): void }) {
  const h = await testApp(t);
  const alice = h.client();
  const bob = h.client();
  const alarm = async (client: typeof alice, tags: string[]) => (await client.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'cron', cron: '* * * * *', wake_message: 'w', tags } })).data.id;
  const ids = { a1: await alarm(alice, ['deploy', 'x']), a2: await alarm(alice, ['other']), b1: await bob.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'cron', cron: '* * * * *', wake_message: 'w', tags: ['deploy'] } }).then((r) => r.data.id) };
  for (const s of SEEDED) {
    await h.database.sql`
      INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome, status_code, error, duration_ms)
      VALUES (${s.id}, ${`fir_${s.minute}`}, ${ids[s.alarm]}, ${at(s.minute)}, 1, ${at(s.minute)}, ${at(s.minute)}, ${s.outcome},
        ${s.outcome === 'delivered' ? 200 : 503}, ${s.outcome === 'delivered' ? null : 'router answered 503'}, 12)`;
  }
  const tokens = { alice: (await alice.principal()).token, bob: (await bob.principal()).token };
  const get = async (who: 'alice' | 'bob', query: Record<string, string | number>) => {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return h.request('GET', `/v1/fires${qs ? `?${qs}` : ''}`, { principal: tokens[who] });
  };
  /** The ids of one page. */
  const ids1 = async (who: 'alice' | 'bob', query: Record<string, string | number> = {}) => {
    const res = await get(who, query);
    if (res.status !== 200) throw new Error(res.text);
    return (res.json.data.fires as { id: string }[]).map((f) => f.id);
  };
  return { h, alice, ids, get, ids1 };
}

t.test('the owner sees every attempt of its own alarms and nothing of others, newest first', async (t) => {
  const { ids, get, ids1 } = await seed(t);
  const ofAlice = SEEDED.filter((s) => s.alarm !== 'b1');
  const res = await get('alice', {});
  t.equal(res.status, 200);
  t.ok(okEnvelope(FirePage).safeParse(res.json).success, 'the answer conforms to FirePage');
  t.same(res.json.data.fires.map((f: { id: string }) => f.id), newestFirst(ofAlice), 'started_at desc, then id desc');
  t.equal(res.json.data.next_cursor, null, 'one page');
  t.match(res.json.data.fires.at(-1), { id: 'att_00000000000000000001', fire_id: 'fir_1', alarm_id: ids.a1, scheduled_for: at(1), started_at: at(1), finished_at: at(1), attempt: 1, outcome: 'delivered', status_code: 200, error: null, duration_ms: 12, target_type: 'router' }, 'each as FireView');
  t.same(await ids1('bob', {}), newestFirst(SEEDED.filter((s) => s.alarm === 'b1')), "the other owner's, alone");

  t.same(await ids1('alice', { alarm_id: ids.a1 }), newestFirst(SEEDED.filter((s) => s.alarm === 'a1')), 'alarm_id');
  t.same(await ids1('alice', { alarm_id: ids.b1 }), [], "another owner's alarm_id: no rows");
  t.same(await ids1('alice', { alarm_id: 'alm_AAAAAAAAAAAAAAAAAAAA' }), [], 'an alarm that does not exist: no rows');
  t.same(await ids1('alice', { tag: 'deploy' }), newestFirst(SEEDED.filter((s) => s.alarm === 'a1')), "tag: the owner's alarms with it, not the other owner's");
  t.same(await ids1('alice', { tag: 'nope' }), [], 'a tag no alarm has');
  for (const outcome of ['delivered', 'retrying', 'failed'] as const) {
    t.same(await ids1('alice', { outcome }), newestFirst(ofAlice.filter((s) => s.outcome === outcome)), `outcome ${outcome}`);
  }
  t.same(await ids1('alice', { alarm_id: ids.a1, outcome: 'delivered', since: at(2) }), newestFirst(SEEDED.filter((s) => s.alarm === 'a1' && s.outcome === 'delivered' && s.minute >= 2)), 'filters combine');
});

t.test('since is inclusive and until exclusive, on started_at, with any offset', async (t) => {
  const { ids1 } = await seed(t);
  const ofAlice = SEEDED.filter((s) => s.alarm !== 'b1');
  const between = (from: number, to: number) => newestFirst(ofAlice.filter((s) => s.minute >= from && s.minute < to));
  t.same(await ids1('alice', { since: at(5) }), between(5, Infinity), 'since at an attempt includes it (all three at minute 5)');
  t.same(await ids1('alice', { until: at(5) }), between(-Infinity, 5), 'until at an attempt excludes it');
  t.same(await ids1('alice', { since: at(5), until: at(9) }), between(5, 9), 'a window');
  t.same(await ids1('alice', { since: new Date(T0 + 5 * 60_000 + 1).toISOString() }), between(6, Infinity), 'a millisecond after: excluded');
  t.same(await ids1('alice', { since: '2026-12-01T01:05:00+01:00', until: '2026-11-30T19:09:00-05:00' }), between(5, 9), 'offsets other than Z name the same instants');
  t.same(await ids1('alice', { since: at(12) }), [], 'nothing after the last');
});

t.test('the cursor pages without overlap or gap, ties included, under any filter', async (t) => {
  const { get, ids1 } = await seed(t);
  const walk = async (query: Record<string, string | number>) => {
    const pages: string[][] = [];
    let cursor: string | null | undefined;
    do {
      const res = await get('alice', { ...query, ...(cursor ? { cursor } : {}) });
      t.equal(res.status, 200, res.text);
      pages.push(res.json.data.fires.map((f: { id: string }) => f.id));
      cursor = res.json.data.next_cursor;
    } while (cursor && pages.length < 20);
    return pages;
  };
  const all = await ids1('alice');
  for (const limit of [1, 2, 3, 4, 10]) {
    const pages = await walk({ limit });
    t.same(pages.flat(), all, `limit ${limit}: the pages joined are the whole list, in order`);
    t.ok(pages.slice(0, -1).every((p) => p.length === limit), `limit ${limit}: full pages until the last`);
  }
  t.same(await walk({ limit: all.length }), [all], 'a page that holds the rest exactly is the last: next_cursor null');
  const failed = newestFirst(SEEDED.filter((s) => s.alarm !== 'b1' && s.outcome !== 'delivered'));
  t.same((await walk({ limit: 2, outcome: 'retrying' })).flat().concat((await walk({ limit: 2, outcome: 'failed' })).flat()).sort(), [...failed].sort(), 'paging under a filter');
  t.same((await walk({ limit: 2, since: at(4), until: at(10) })).flat(), newestFirst(SEEDED.filter((s) => s.alarm !== 'b1' && s.minute >= 4 && s.minute < 10)), 'paging within a window');
  const first = await get('alice', { limit: 3 });
  t.same(await ids1('bob', { cursor: first.json.data.next_cursor }), newestFirst(SEEDED.filter((s) => s.alarm === 'b1' && s.minute < 9)), "a cursor is a position only: another owner gets its own attempts after it");
});

t.test('a bad parameter is a 400 naming it', async (t) => {
  const { get, alice } = await seed(t);
  const cases: [Record<string, string>, string, string][] = [
    [{ alarm_id: 'x' }, 'alarm_id', 'must be an alarm id, like "alm_2XVW0VrjxyzEbf1m6Iv0"'],
    [{ tag: '' }, 'tag', 'must be 1 to 64 characters'],
    [{ outcome: 'lost' }, 'outcome', 'must be one of delivered, retrying, failed'],
    [{ since: 'yesterday' }, 'since', 'must be an RFC 3339 time with an offset, like "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00+01:00"'],
    [{ since: '2026-12-01T09:00:00' }, 'since', 'must be an RFC 3339 time with an offset, like "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00+01:00"'],
    [{ until: '2026-12-01T10:00:00 01:00' }, 'until', 'has a space before its offset: write the + of "+01:00" as %2B in a query string'],
    [{ since: at(5), until: at(5) }, 'until', 'must be after since: the range is since (inclusive) to until (exclusive)'],
    [{ limit: '0' }, 'limit', 'must be a whole number from 1 to 200'],
    [{ limit: '201' }, 'limit', 'must be a whole number from 1 to 200'],
    [{ limit: 'ten' }, 'limit', 'must be a whole number from 1 to 200'],
    [{ cursor: 'abc' }, 'cursor', 'is not a cursor from this API: pass next_cursor as it came'],
    [{ status: 'failed' }, 'status', 'unknown query parameter'],
  ];
  for (const [query, path, message] of cases) {
    const res = await get('alice', query);
    t.same({ status: res.status, code: res.json.error?.code, details: res.json.error?.details }, { status: 400, code: 'invalid_request', details: [{ path, message }] }, new URLSearchParams(query).toString());
  }
  const unauthenticated = await alice.transport('GET', '/v1/fires').catch((err: { status: number; code: string }) => ({ status: err.status, code: err.code }));
  t.same(unauthenticated, { status: 401, code: 'invalid_token' }, 'principal auth');
});

t.test('the typed client', async (t) => {
  const { alice, ids } = await seed(t);
  const page = await alice.searchFires({ alarm_id: ids.a1, since: new Date(T0 + 4 * 60_000), until: '2026-12-01T01:09:00+01:00', limit: 2 });
  t.same(page.data.fires.map((f) => f.id), ['att_00000000000000000007', 'att_00000000000000000005'], 'a Date and an offset with +, both sent as they mean');
  const next = await alice.searchFires({ alarm_id: ids.a1, since: new Date(T0 + 4 * 60_000), until: '2026-12-01T01:09:00+01:00', limit: 2, cursor: page.data.next_cursor! });
  t.same(next.data.fires.map((f) => f.id), ['att_00000000000000000004'], 'the next page');
  t.equal(next.data.next_cursor, null);
});
