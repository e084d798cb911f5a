/**
 * GET /openapi.json (SPEC 10.4): a valid OpenAPI 3.1 document of exactly the
 * routes the app serves, written from the schemas that validate requests;
 * real answers conform to those schemas.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import t from 'tap';
import { AlarmPage, AlarmView, FirePage } from '../../src/api/alarms.js';
import { ChallengeView, TokenView } from '../../src/api/auth.js';
import { ErrorEnvelope, okEnvelope } from '../../src/api/envelope.js';
import { HealthView, honoPath, ROUTES } from '../../src/api/routes.js';
import { didFromPublicKey } from '../../src/auth/did-key.js';
import { generateSeed, keyFromSeed } from '../../src/auth/ed25519.js';
import { testApp } from '../helpers/app.js';

type Document = { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

t.test('the document is valid OpenAPI 3.1, by a validator', async (t) => {
  const h = await testApp(t);
  const res = await h.app.request('http://chronos.test/openapi.json');
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^application\/json/);
  const doc = (await res.json()) as Document;
  t.equal(doc.openapi, '3.1.0');
  const result = await validate(structuredClone(doc) as never);
  t.ok(result.valid, result.valid ? 'valid' : compileErrors(result));
  t.same(result.warnings, [], 'no warnings');
});

t.test('it describes exactly the routes the app serves, with their error codes', async (t) => {
  const h = await testApp(t);
  const doc = (await (await h.app.request('http://chronos.test/openapi.json')).json()) as Document;
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
  const served = h.app.routes.filter((r) => r.method !== 'ALL' && r.path !== '/openapi.json' && !r.path.startsWith('/ui')).map((r) => `${r.method} ${r.path}`);
  t.same([...new Set(served)].sort(), documented.sort(), 'served = documented');
  t.same(documented.sort(), Object.values(ROUTES).map((r) => `${r.method.toUpperCase()} ${honoPath(r)}`).sort(), 'documented = the route table');
  const create = doc.paths['/v1/alarms']!.post!;
  t.same(Object.keys(create.responses).sort(), ['200', '201', '400', '401', '403', '409', '413', '415', '429', '503']);
  t.match(JSON.stringify(create), /"additionalProperties":false/, 'the create body refuses unknown fields');
});

t.test('real answers conform to the schemas the document is written from', async (t) => {
  const h = await testApp(t);
  const client = h.client();
  const { token } = await client.principal();
  const call = async (method: string, path: string, body?: unknown) => (await h.request(method, path, { principal: token, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })).json;
  const once = await call('POST', '/v1/alarms', { kind: 'once', delay: '15m', wake_message: 'w', payload: { a: [1, 2] }, tags: ['x'] });
  const cron = await call('POST', '/v1/alarms', { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', wake_message: 'w', until: '2027-01-01T00:00:00Z' });
  const rrule = await call('POST', '/v1/alarms', { kind: 'rrule', rrule: 'FREQ=DAILY', wake_message: 'w', max_fires: 3 });
  for (const answer of [once, cron, rrule]) t.ok(okEnvelope(AlarmView).safeParse(answer).success, JSON.stringify(okEnvelope(AlarmView).safeParse(answer).error?.issues));
  t.ok(okEnvelope(AlarmView).safeParse(await call('DELETE', `/v1/alarms/${once.data.id}`)).success, 'cancel');
  t.ok(okEnvelope(AlarmPage).safeParse(await call('GET', '/v1/alarms?limit=2')).success, 'list');
  await h.database.sql`
    INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, finished_at, outcome, status_code, error, duration_ms)
    VALUES ('att_AAAAAAAAAAAAAAAAAAAA', 'fir_x', ${cron.data.id}, now(), 1, now(), now(), 'retrying', 503, 'router answered 503', 12)`;
  t.ok(okEnvelope(FirePage).safeParse(await call('GET', `/v1/alarms/${cron.data.id}/fires`)).success, 'fires');
  for (const bad of [await call('POST', '/v1/alarms', { kind: 'never' }), await call('GET', '/v1/alarms/alm_AAAAAAAAAAAAAAAAAAAA')]) {
    t.ok(ErrorEnvelope.safeParse(bad).success, `error ${bad.error?.code}`);
  }
  const seed = generateSeed();
  const key = keyFromSeed(seed);
  const did = didFromPublicKey(key.publicKey);
  const challenge = (await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did }) })).json;
  t.ok(okEnvelope(ChallengeView).safeParse(challenge).success, 'challenge');
  const signature = Buffer.from(key.sign(Buffer.from(challenge.data.message))).toString('base64url');
  const verified = (await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did, nonce: challenge.data.nonce, signature }) })).json;
  t.ok(okEnvelope(TokenView).safeParse(verified).success, 'verify');
  t.ok(HealthView.safeParse(await (await h.app.request('http://chronos.test/healthz')).json()).success, 'health');
});
