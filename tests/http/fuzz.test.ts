/**
 * Property-based: random and mutated bodies against create and list never
 * produce a 500, never a status outside the contract, and never a row the
 * API did not answer 201 for. The app stays healthy throughout.
 */
import fc from 'fast-check';
import t from 'tap';
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
const FIELDS = ['kind', 'at', 'delay', 'cron', 'rrule', 'tz', 'start', 'until', 'max_fires', 'wake_message', 'payload', 'label', 'conversation_id', 'idempotency_key', 'tags'];

const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', '\u0000', '\ud800', 'x'.repeat(70_000), '0 9 * * MON-FRI', '@every 5s', 'FREQ=DAILY', 'Europe/Berlin', '2026-11-23T13:00:00Z', '15m', 'once', 'cron', 'rrule'),
);
const anyValue = fc.oneof(fc.jsonValue(), nastyString, fc.integer(), fc.double(), fc.constant(null));

/** A valid body with a few fields deleted, replaced or added. */
const mutatedBody = fc
  .tuple(
    fc.array(fc.constantFrom(...FIELDS), { maxLength: 3 }),
    fc.array(fc.tuple(fc.constantFrom(...FIELDS, 'extra'), anyValue), { maxLength: 3 }),
  )
  .map(([drop, set]) => {
    const body: Record<string, unknown> = { ...VALID };
    for (const f of drop) delete body[f];
    for (const [f, v] of set) body[f] = v;
    return JSON.stringify(body);
  });

const rawText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue().map((v) => JSON.stringify(v)));

const ALLOWED_CREATE = new Set([200, 201, 400, 409, 413, 415, 429]);

t.test('create: random and mutated bodies', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  let created = 0;
  const seen = new Set<number>();
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: mutatedBody, weight: 4 }, { arbitrary: rawText, weight: 1 }), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''), async (body, contentType) => {
      const res = await h.request('POST', '/v1/alarms', { principal: token, body, headers: contentType ? { 'Content-Type': contentType } : {} });
      seen.add(res.status);
      if (!ALLOWED_CREATE.has(res.status)) throw new Error(`status ${res.status} for ${body.slice(0, 300)}: ${res.text.slice(0, 300)}`);
      if (res.json.ok !== (res.status < 300)) throw new Error(`envelope ok=${res.json.ok} with status ${res.status}`);
      if (res.status === 201) {
        created++;
        const again = await h.request('GET', `/v1/alarms/${res.json.data.id}`, { principal: token });
        if (again.text !== res.text) throw new Error(`GET differs from the created view:\n${again.text}\n${res.text}`);
      } else if (res.status >= 400 && typeof res.json.error?.code !== 'string') {
        throw new Error(`error without code: ${res.text}`);
      }
    }),
    { numRuns: 2000 },
  );
  const rows = await h.database.sql`SELECT count(*)::int AS n FROM alarms`;
  t.equal(rows[0]?.n, created, 'exactly the alarms answered 201 exist');
  t.ok(created > 50, `some mutations are valid alarms (${created})`);
  t.ok(seen.has(400) && seen.has(415), `statuses seen: ${[...seen].sort().join(', ')}`);
  t.equal((await h.app.request('http://chronos.test/healthz')).status, 200, 'healthy afterwards');
});

t.test('list: random query strings', async (t) => {
  const h = await testApp(t);
  const client = h.client();
  await client.call('POST', '/v1/alarms', { body: VALID });
  const { token } = await client.principal();
  const param = fc.tuple(fc.constantFrom('status', 'tag', 'limit', 'cursor', 'x'), fc.oneof(fc.string(), fc.constantFrom('scheduled', 'cancelled,scheduled', '0', '200', '201', '-1', 'WzE3NjM5MDAwMDAwMDAsImFsbV94Il0', 'deploy')));
  await fc.assert(
    fc.asyncProperty(fc.array(param, { maxLength: 4 }), async (params) => {
      const query = new URLSearchParams(params).toString();
      const res = await h.request('GET', `/v1/alarms?${query}`, { principal: token });
      if (res.status !== 200 && res.status !== 400) throw new Error(`status ${res.status} for ?${query}: ${res.text.slice(0, 300)}`);
      if (res.status === 200 && !Array.isArray(res.json.data.alarms)) throw new Error('no alarms array');
    }),
    { numRuns: 1000 },
  );
  t.equal((await h.app.request('http://chronos.test/healthz')).status, 200);
});
