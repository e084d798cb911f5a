/**
 * Property-based: random, mutated and hostile requests against every route
 * of the route table never produce a 500, and every answer is one the
 * route documents (its success statuses, or an error code of its own or of
 * its layers, with that code's status). Creates never leave a row the API
 * did not answer 201 for. The generators include each class of hostile
 * input found once (issue 16): forged cursors, NUL and lone surrogates in
 * any string, JSON nested thousands deep, instants past the year 9999 and
 * far-ahead starts, small-order ed25519 DIDs with a trivial forged
 * signature, bodies over the size limit.
 */
import fc from 'fast-check';
import t from 'tap';
import { errorCodesOf, STATUS_OF_CODE } from '../../src/api/openapi.js';
import { ROUTES, type RouteName, type RouteSpec } from '../../src/api/routes.js';
import { didFromPublicKey } from '../../src/auth/did-key.js';
import { testApp } from '../helpers/app.js';

const VALID = {
  kind: 'once',
  delay: '15m',
  wake_message: 'Check the deploy of build 4f2a9c and report.',
  payload: { build: '4f2a9c', cursor: 'eyJ2IjoxfQ', n: [1.1, -2, null, true] },
  label: 'deploy check',
  conversation_id: 'conv_81c2',
  tags: ['deploy'],
};
const SCHEDULE_FIELDS = ['kind', 'at', 'at_local', 'delay', 'cron', 'rrule', 'tz', 'start', 'until', 'max_fires'];
const PREVIEW_VALID = { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', until: '2027-06-01T00:00:00Z', count: 3 };
const FIELDS = ['kind', 'at', 'at_local', 'delay', 'cron', 'rrule', 'tz', 'start', 'until', 'max_fires', 'wake_message', 'payload', 'label', 'conversation_id', 'idempotency_key', 'tags', 'target', 'misfire'];

/** Public keys of small order (the identity, the points of order 2, 4 and 8) and a non-canonical encoding of one. */
const SMALL_ORDER_KEYS = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => didFromPublicKey(Buffer.from(hex, 'hex')));
/** Stands for the nonce of a fresh challenge in a generated verify body. */
const CHALLENGED = '<challenged nonce>';
/** R = the identity point, S = 0: verifies under cofactored or lax rules for a small-order key. */
const TRIVIAL_SIGNATURE = Buffer.concat([Buffer.from('01', 'hex'), Buffer.alloc(63)]).toString('base64url');

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);
/** JSON text nested too deep, as a raw value spliced into a body. */
const deepJson = fc.constantFrom(nested(9000), nested(129), nested(5000, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}'), `{"x":${nested(200)}}`);

const farInstant = fc.constantFrom('9999-12-31T23:59:59Z', '10000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2040-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999+00:00');
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  farInstant,
  fc.constantFrom('', '\u0000', 'a\u0000b', '\ud800', 'x\udfff', 'x'.repeat(70_000), '0 9 * * MON-FRI', '@every 5s', '@every 1000000d', 'FREQ=DAILY', 'FREQ=YEARLY;INTERVAL=9000', 'Europe/Berlin', '2026-11-23T13:00:00Z', '2027-03-14T02:30', '2027-02-29T09:00', '15m', 'once', 'cron', 'rrule', 'router', 'coalesce', ...SMALL_ORDER_KEYS),
);
const anyValue = fc.oneof(fc.jsonValue(), nastyString, fc.integer(), fc.double(), fc.constant(null), fc.constant({ type: 'router' }), fc.record({ type: nastyString }));

/** A base64url cursor around a position, well formed or not. */
const forgedCursor = fc
  .tuple(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Date.UTC(10000, 0, 1), Number.MAX_SAFE_INTEGER, 8.64e15 + 1, -1, 1796400000000), nastyString), fc.oneof(nastyString, fc.constant('alm_AAAAAAAAAAAAAAAAAAAA')))
  .map((position) => Buffer.from(JSON.stringify(position)).toString('base64url'));

/** A body: a valid example with fields deleted, replaced, added, or given a too-deep value; or random text. */
function mutated(valid: Record<string, unknown>, fields: readonly string[]) {
  const edits = fc.tuple(fc.array(fc.constantFrom(...fields), { maxLength: 3 }), fc.array(fc.tuple(fc.constantFrom(...fields, 'extra'), anyValue), { maxLength: 3 }));
  const edited = edits.map(([drop, set]) => {
    const body: Record<string, unknown> = { ...valid };
    for (const f of drop) delete body[f];
    for (const [f, v] of set) body[f] = v;
    return JSON.stringify(body);
  });
  const deep = fc.tuple(fc.constantFrom(...fields, 'extra'), deepJson).map(([f, deepText]) => {
    const body: Record<string, unknown> = { ...valid };
    delete body[f];
    return `${JSON.stringify(body).slice(0, -1)},${JSON.stringify(f)}:${deepText}}`;
  });
  const raw = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue().map((v) => JSON.stringify(v)), deepJson, fc.constant(`{"payload":"${'x'.repeat(140 * 1024)}"}`));
  return fc.oneof({ arbitrary: edited, weight: 4 }, { arbitrary: deep, weight: 1 }, { arbitrary: raw, weight: 1 });
}

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', '');

/** `text` as a path segment; a lone surrogate, which encodeURIComponent refuses, as the raw bytes a client could send. */
function encodedSegment(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

type Answer = Awaited<ReturnType<Awaited<ReturnType<typeof testApp>>['request']>>;

/** Throws unless `res` is an answer `route` documents. */
function checkDocumented(name: RouteName, res: Answer, what: string): void {
  const route: RouteSpec = ROUTES[name];
  const where = `${name} ${what.slice(0, 300)}: ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status < 300) {
    if (!(res.status in route.ok)) throw new Error(`undocumented success: ${where}`);
    if (route.auth !== 'none' && res.json.ok !== true) throw new Error(`envelope not ok: ${where}`);
    return;
  }
  if (route.auth === 'none') {
    if (res.status !== 404) throw new Error(`undocumented status: ${where}`);
    return;
  }
  const code = res.json.error?.code;
  if (res.json.ok !== false || typeof code !== 'string') throw new Error(`error without an envelope: ${where}`);
  if (!errorCodesOf(route).includes(code) && code !== 'not_found') throw new Error(`undocumented code: ${where}`);
  if (STATUS_OF_CODE[code] !== res.status) throw new Error(`code ${code} with status ${res.status}: ${where}`);
}

t.test('create: random, mutated and hostile bodies', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  let created = 0;
  const seen = new Set<number>();
  await fc.assert(
    fc.asyncProperty(mutated(VALID, FIELDS), contentType, async (body, type) => {
      const res = await h.request('POST', '/v1/alarms', { principal: token, body, headers: type ? { 'Content-Type': type } : {} });
      seen.add(res.status);
      checkDocumented('createAlarm', res, body);
      if (res.status === 201) {
        created++;
        const again = await h.request('GET', `/v1/alarms/${res.json.data.id}`, { principal: token });
        if (again.text !== res.text) throw new Error(`GET differs from the created view:\n${again.text}\n${res.text}`);
      }
    }),
    { numRuns: 2000 },
  );
  const rows = await h.database.sql`SELECT count(*)::int AS n FROM alarms`;
  t.equal(rows[0]?.n, created, 'exactly the alarms answered 201 exist');
  t.ok(created > 50, `some mutations are valid alarms (${created})`);
  t.ok(seen.has(400) && seen.has(413) && seen.has(415), `statuses seen: ${[...seen].sort().join(', ')}`);
  t.equal((await h.app.request('http://chronos.test/healthz')).status, 200, 'healthy afterwards');
});

t.test('every route: random credentials, path ids, queries and bodies', async (t) => {
  const h = await testApp(t);
  const client = h.client();
  const { token, did } = await client.principal();
  const alarm = (await client.call<{ id: string }>('POST', '/v1/alarms', { body: VALID })).data;
  await client.call('POST', '/v1/alarms', { body: { ...VALID, kind: 'cron', cron: '@every 5s', delay: undefined } });

  const bodies: Partial<Record<RouteName, fc.Arbitrary<string>>> = {
    challenge: mutated({ did }, ['did']),
    verify: fc.oneof(
      mutated({ did, nonce: 'AAAAAAAAAAAAAAAAAAAAAA', signature: TRIVIAL_SIGNATURE }, ['did', 'nonce', 'signature']),
      // A forgery: the nonce of a real challenge for a small-order DID, signed trivially.
      fc.constantFrom(...SMALL_ORDER_KEYS).map((forged) => JSON.stringify({ did: forged, nonce: CHALLENGED, signature: TRIVIAL_SIGNATURE })),
    ),
    createAlarm: mutated(VALID, FIELDS),
    previewSchedule: mutated(PREVIEW_VALID, [...SCHEDULE_FIELDS, 'count']),
  };
  // Path segments as sent: encoded text, or raw escapes of a NUL and of a lone surrogate.
  const pathId = fc.oneof(fc.constantFrom(alarm.id, 'alm_AAAAAAAAAAAAAAAAAAAA', '%00', '%ED%A0%80', '..%2F..', 'x'.repeat(5000)), nastyString.map(encodedSegment));
  const queryValue = fc.oneof(nastyString, forgedCursor, fc.constantFrom('scheduled', 'cancelled,scheduled', '0', '1', '200', '201', '-1', '1e2', 'deploy', 'failed', alarm.id));
  const query = fc.array(fc.tuple(fc.constantFrom('status', 'tag', 'limit', 'cursor', 'x', 'alarm_id', 'outcome', 'since', 'until'), queryValue), { maxLength: 4 });
  // What a header can carry: visible Latin-1 (no NUL or line breaks; fetch refuses those before they leave).
  const headerText = fc.string({ unit: fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c)) });
  const credential = fc.oneof({ arbitrary: fc.constant(token), weight: 8 }, { arbitrary: fc.oneof(headerText, fc.constant(`${token}x`), fc.constant(token.split('.').reverse().join('.'))), weight: 1 });
  const names = Object.keys(ROUTES) as RouteName[];
  const call = fc.constantFrom(...names).chain((name) =>
    fc.record({ name: fc.constant(name), id: pathId, params: query, credential, body: bodies[name] ?? fc.constant(undefined) }),
  );
  const seen = new Map<RouteName, Set<number>>();

  await fc.assert(
    fc.asyncProperty(call, async ({ name, id, params, credential, body }) => {
      const route: RouteSpec = ROUTES[name];
      const path = route.path.replace('{id}', id);
      const search = route.query ? `?${new URLSearchParams(params).toString()}` : '';
      if (body?.includes(CHALLENGED)) {
        const challenge = await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did: (JSON.parse(body) as { did: string }).did }) });
        if (challenge.status === 200) body = body.replace(CHALLENGED, challenge.json.data.nonce as string);
      }
      const res = await h.request(route.method.toUpperCase(), `${path}${search}`, { ...(route.auth === 'principal' ? { principal: credential } : {}), ...(body !== undefined ? { body } : {}) });
      seen.set(name, (seen.get(name) ?? new Set()).add(res.status));
      if (name === 'verify' && res.status === 200) throw new Error(`a token for ${body}`);
      checkDocumented(name, res, `${route.method} ${path}${search} ${body ?? ''}`);
    }),
    { numRuns: 1500 },
  );
  for (const name of names) t.ok(seen.has(name), `${name} was called: ${[...(seen.get(name) ?? [])].sort().join(', ')}`);
  t.equal((await h.app.request('http://chronos.test/healthz')).status, 200, 'healthy afterwards');
});

t.test('preview: a mutated schedule answers as a create of it does, and lists first the next_fire_at the create sets', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  const schedule = fc.tuple(fc.array(fc.constantFrom(...SCHEDULE_FIELDS), { maxLength: 3 }), fc.array(fc.tuple(fc.constantFrom(...SCHEDULE_FIELDS, 'extra'), anyValue), { maxLength: 3 })).map(([drop, set]) => {
    const body: Record<string, unknown> = { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', until: '2027-06-01T00:00:00Z' };
    for (const f of drop) delete body[f];
    for (const [f, v] of set) body[f] = v;
    return body;
  });
  const seen = new Set<number>();
  await fc.assert(
    fc.asyncProperty(schedule, async (body) => {
      const preview = await h.request('POST', '/v1/schedules/preview', { principal: token, body: JSON.stringify(body) });
      const create = await h.request('POST', '/v1/alarms', { principal: token, body: JSON.stringify({ ...body, wake_message: 'w' }) });
      seen.add(preview.status);
      checkDocumented('previewSchedule', preview, JSON.stringify(body));
      if (create.status === 201) {
        if (preview.status !== 200 || preview.json.data.occurrences[0]?.at !== create.json.data.next_fire_at) throw new Error(`created, next_fire_at ${create.json.data.next_fire_at}; preview ${preview.text}`);
      } else if (preview.status !== create.status || JSON.stringify(preview.json.error) !== JSON.stringify(create.json.error)) {
        throw new Error(`create ${create.status} ${create.text}\npreview ${preview.status} ${preview.text}`);
      }
    }),
    { numRuns: 500 },
  );
  t.ok(seen.has(200) && seen.has(400), `statuses seen: ${[...seen].sort().join(', ')}`);
});
