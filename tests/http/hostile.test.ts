/**
 * The classes of hostile input a black-box test once turned into 500s
 * (issue 16): forged cursors, NUL and lone surrogates in any string field,
 * JSON nested thousands deep, instants past the year 9999. Each is a 400
 * naming the field, and nothing is written.
 */
import t from 'tap';
import { testApp } from '../helpers/app.js';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

t.test('a well-formed cursor holding an impossible position: 400 naming cursor, on both lists', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  const alarm = await h.request('POST', '/v1/alarms', { principal: token, body: '{"kind":"once","delay":"1h","wake_message":"w"}' });
  const positions: unknown[] = [
    [Date.UTC(10000, 0, 1), 'alm_AAAAAAAAAAAAAAAAAAAA'],
    [Number.MAX_SAFE_INTEGER, 'alm_AAAAAAAAAAAAAAAAAAAA'],
    [8.64e15 + 1, 'alm_AAAAAAAAAAAAAAAAAAAA'],
    [-1, 'alm_AAAAAAAAAAAAAAAAAAAA'],
    [1.5, 'alm_AAAAAAAAAAAAAAAAAAAA'],
    ['1796400000000', 'alm_AAAAAAAAAAAAAAAAAAAA'],
    [1796400000000, 'alm_\u0000'],
    [1796400000000, 'x'.repeat(5000)],
    [1796400000000],
    { at: 1796400000000, id: 'alm_AAAAAAAAAAAAAAAAAAAA' },
  ];
  for (const path of ['/v1/alarms', `/v1/alarms/${alarm.json.data.id}/fires`]) {
    for (const position of positions) {
      const res = await h.request('GET', `${path}?cursor=${cursorOf(position)}`, { principal: token });
      t.match(res, { status: 400, json: { error: { code: 'invalid_request', details: [{ path: 'cursor' }] } } }, `${path} ${JSON.stringify(position).slice(0, 60)}`);
    }
  }
});

const CREATE = { kind: 'cron', cron: '0 9 * * *', tz: 'Europe/Berlin', start: '2026-12-01T00:00:00Z', until: '2027-12-01T00:00:00Z', wake_message: 'w', label: 'l', conversation_id: 'c', idempotency_key: 'k', tags: ['a'] };

t.test('NUL or a lone surrogate in any string field of any route: 400 naming the field', async (t) => {
  const h = await testApp(t);
  const { token, did } = await h.client().principal();
  const bodies: { route: string; principal?: string; body: Record<string, unknown> }[] = [
    { route: '/v1/auth/challenge', body: { did } },
    { route: '/v1/auth/verify', body: { did, nonce: 'n'.repeat(22), signature: 's'.repeat(86) } },
    { route: '/v1/alarms', principal: token, body: CREATE },
    { route: '/v1/alarms', principal: token, body: { kind: 'once', at: '2026-12-01T00:00:00Z', wake_message: 'w' } },
    { route: '/v1/alarms', principal: token, body: { kind: 'once', delay: '1h', wake_message: 'w', target: { type: 'router' }, misfire: 'coalesce' } },
  ];
  for (const { route, principal, body } of bodies) {
    const fields = Object.entries(body).flatMap(([key, value]): [string, (bad: string) => Record<string, unknown>][] => {
      if (typeof value === 'string') return [[key, (bad) => ({ ...body, [key]: value + bad })]];
      if (Array.isArray(value)) return [[`${key}[0]`, (bad) => ({ ...body, [key]: [String(value[0]) + bad] })]];
      if (value && typeof value === 'object') return Object.keys(value).map((k) => [`${key}.${k}`, (bad) => ({ ...body, [key]: { ...value, [k]: bad } })]);
      return [];
    });
    for (const [path, withBad] of fields) {
      for (const bad of ['\u0000', '\ud800', '\udfff']) {
        const res = await h.request('POST', route, { ...(principal ? { principal } : {}), body: JSON.stringify(withBad(bad)) });
        t.match(res, { status: 400, json: { error: { details: [{ path }] } } }, `${route} ${path} with ${JSON.stringify(bad)}`);
      }
    }
  }
  for (const query of ['tag=a%00', 'status=scheduled%00', 'limit=1%00']) {
    const res = await h.request('GET', `/v1/alarms?${query}`, { principal: token });
    t.match(res, { status: 400, json: { error: { details: [{ path: query.split('=')[0] }] } } }, `GET /v1/alarms?${query}`);
  }
  t.equal((await h.database.sql`SELECT count(*)::int AS n FROM alarms`)[0]?.n, 0, 'nothing was written');
});

t.test('JSON nested deeper than 128 levels: 400 naming the top-level member; 128 is kept verbatim', async (t) => {
  const h = await testApp(t);
  const { token, did } = await h.client().principal();
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const create = (extra: string) => h.request('POST', '/v1/alarms', { principal: token, body: `{"kind":"once","delay":"1h","wake_message":"w",${extra}}` });
  for (const [member, depth] of [['payload', 9000], ['payload', 128], ['zzz', 9000], ['tags', 200]] as const) {
    const res = await create(`${JSON.stringify(member)}:${nested(depth)}`);
    t.match(res, { status: 400, json: { error: { code: 'invalid_request', details: [{ path: member, message: 'nests arrays and objects more than 128 deep' }] } } }, `${member} ${depth} deep`);
  }
  t.match(await create(`"p\\u0061yload":{"a":${nested(9000)}}`), { status: 400, json: { error: { details: [{ path: 'payload' }] } } }, 'the member named as decoded');
  t.match(await h.request('POST', '/v1/auth/challenge', { body: `{"did":${JSON.stringify(did)},"x":${nested(9000)}}` }), { status: 400, json: { error: { details: [{ path: 'x' }] } } }, 'every route with a body');
  t.match(await h.request('POST', '/v1/alarms', { principal: token, body: nested(9000) }), { status: 400, json: { error: { details: [{ path: '' }] } } }, 'a deep top-level array');
  t.match(await h.request('POST', '/v1/alarms', { principal: token, body: `{"kind":"once","delay":"1h","wake_message":"w","payload":"${'['.repeat(9000)}"}` }), { status: 201 }, 'brackets inside a string are not nesting');
  const deepest = `{"a" : ${nested(126)}}`;
  const kept = await create(`"payload":${deepest}`);
  t.equal(kept.status, 201, '128 levels in all (the body, the payload object, 126 arrays)');
  t.ok(kept.text.includes(`"payload":${deepest},`), 'the payload is kept as sent');
  t.equal((await h.database.sql`SELECT count(*)::int AS n FROM alarms`)[0]?.n, 2, 'only the accepted creates were written');
});

t.test('instants past the year 9999 and starts more than 10 years ahead: 400 naming the field', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  const create = (body: Record<string, unknown>) => h.request('POST', '/v1/alarms', { principal: token, body: JSON.stringify({ wake_message: 'w', ...body }) });
  const refused: [Record<string, unknown>, string][] = [
    [{ kind: 'cron', cron: '@every 5s', start: '9999-12-31T23:59:59Z' }, 'start'],
    [{ kind: 'rrule', rrule: 'FREQ=DAILY', start: '9999-12-31T23:59:59Z' }, 'start'],
    [{ kind: 'cron', cron: '0 9 * * *', start: '2037-01-01T00:00:00Z' }, 'start'],
    [{ kind: 'cron', cron: '0 9 * * *', until: '+275760-01-01T00:00:00Z' }, 'until'],
    [{ kind: 'once', at: '10000-01-01T00:00:00Z' }, 'at'],
    [{ kind: 'once', at: '9999-12-31T23:59:59Z' }, 'at'],
  ];
  for (const [body, path] of refused) {
    t.match(await create(body), { status: 400, json: { error: { code: 'invalid_request', details: [{ path }] } } }, JSON.stringify(body));
  }
  t.match(await create({ kind: 'cron', cron: '@every 5s', start: '2036-11-23T12:00:00Z' }), { status: 201, json: { data: { next_fire_at: '2036-11-23T12:00:05.000Z' } } }, 'a start 10 years ahead is fine');
});
