/**
 * The webhook target (SPEC 8.1, 8.2) against a real HTTP receiver: the wake or
 * the payload alone, signed (v1 checked by the standardwebhooks package, v1a
 * by the daemon's published key), the endpoint's method and headers, rotation,
 * the answer rules of 6.2, and the destination guard at connect time.
 */
import { verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import t from 'tap';
import { keyFromSeed } from '../../src/auth/ed25519.js';
import { parseAllowHosts } from '../../src/net/allow-hosts.js';
import { testApp } from '../helpers/app.js';
import { settledEvents, startDispatcher, TEST_SIGNING_SEED } from '../helpers/dispatch.js';
import { fakeRouter, type Reply } from '../helpers/router.js';

const LOCAL = { allowHttp: true, allowHosts: parseAllowHosts('127.0.0.1') };

async function setup(t: { teardown(fn: () => unknown): void }, reply?: (n: number) => Reply) {
  const h = await testApp(t, { realClock: true, webhooks: { allowHttp: true, allowHosts: '127.0.0.1' } });
  const client = h.client();
  const receiver = await fakeRouter(t, reply ? (_r, n) => reply(n) : undefined);
  const endpoint = async (fields: Record<string, unknown> = {}) =>
    (await client.call<{ id: string; secret: string }>('POST', '/v1/endpoints', { body: { url: `${receiver.url}/hook?src=chronos`, ...fields } })).data;
  const alarm = async (endpointId: string, extra: Record<string, unknown> = {}) =>
    (await client.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'once', at: '2026-01-01T00:00:00Z', wake_message: 'Check the deploy.', target: { type: 'webhook', endpoint: endpointId }, ...extra } })).data.id;
  const get = async (id: string) => (await client.call<Record<string, any>>('GET', `/v1/alarms/${id}`)).data;
  const fires = async (id: string) => (await client.call<{ fires: Record<string, any>[] }>('GET', `/v1/alarms/${id}/fires`)).data.fires.reverse();
  return { h, client, receiver, endpoint, alarm, get, fires };
}

function v1aVerifies(headers: Record<string, unknown>, text: string): boolean {
  const v1a = String(headers['webhook-signature']).split(' ').find((s) => s.startsWith('v1a,'))!.slice(4);
  const x = Buffer.from(keyFromSeed(TEST_SIGNING_SEED).publicKey).toString('base64url');
  return verify(null, Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${text}`), { key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }, Buffer.from(v1a, 'base64'));
}

t.test('the wake, signed v1 (endpoint secret) and v1a (daemon key), with the endpoint method and headers', async (t) => {
  const { h, receiver, endpoint, alarm, get, fires } = await setup(t);
  const ep = await endpoint({ method: 'PUT', headers: { 'X-Api-Key': 'k-123' } });
  const payload = '{"z":1.10,"n":18446744073709551615,"s":"\\u00e9"}';
  const id = await alarm(ep.id, { payload: JSON.parse('{}') });
  await h.database.sql`UPDATE alarms SET payload = ${payload}::text::json WHERE id = ${id}`;
  const dispatcher = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: LOCAL } });
  await settledEvents(dispatcher, 1);
  const wake = receiver.received[0]!;
  t.equal(wake.method, 'PUT');
  t.equal(wake.url, '/hook?src=chronos');
  t.equal(wake.headers['x-api-key'], 'k-123');
  t.equal(wake.headers['content-type'], 'application/json');
  t.match(wake.body, { type: 'chronos.wake', alarm_id: id, fire_id: wake.headers['webhook-id'], attempt: 1, wake_message: 'Check the deploy.' });
  t.ok(wake.text.endsWith(`"payload":${payload}}`), 'the payload verbatim');
  t.same(new Webhook(ep.secret).verify(wake.text, wake.headers as Record<string, string>), JSON.parse(wake.text), 'v1 verified by the standardwebhooks package');
  t.ok(v1aVerifies(wake.headers, wake.text), 'v1a verified with the daemon key');
  t.match(await get(id), { status: 'completed', fire_count: 1, last_error: null });
  t.match(await fires(id), [{ outcome: 'delivered', status_code: 204, target_type: 'webhook' }]);
});

t.test('body "payload": the alarm payload text alone, verbatim, signed the same way', async (t) => {
  const { h, receiver, endpoint, alarm } = await setup(t);
  const ep = await endpoint({ body: 'payload' });
  const payload = '[1.10, {"b":2,"a":18446744073709551615}]';
  const id = await alarm(ep.id);
  await h.database.sql`UPDATE alarms SET payload = ${payload}::text::json WHERE id = ${id}`;
  const dispatcher = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: LOCAL } });
  await settledEvents(dispatcher, 1);
  const call = receiver.received[0]!;
  t.equal(call.text, payload, 'exactly the stored payload text');
  t.equal(call.method, 'POST');
  t.doesNotThrow(() => new Webhook(ep.secret).verify(call.text, call.headers as Record<string, string>), 'signed');
});

t.test('after a rotation both secrets sign until the grace ends', async (t) => {
  const { h, client, receiver, endpoint, alarm } = await setup(t);
  const ep = await endpoint();
  const rotated = (await client.call<{ secret: string }>('POST', `/v1/endpoints/${ep.id}/rotate-secret`)).data;
  await alarm(ep.id);
  const dispatcher = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: LOCAL } });
  await settledEvents(dispatcher, 1);
  const wake = receiver.received[0]!;
  t.equal(String(wake.headers['webhook-signature']).split(' ').filter((s) => s.startsWith('v1,')).length, 2, 'two v1 signatures');
  for (const secret of [ep.secret, rotated.secret]) t.doesNotThrow(() => new Webhook(secret).verify(wake.text, wake.headers as Record<string, string>));
});

t.test('answers follow SPEC 6.2: 503 retried with the same fire_id, a redirect is a permanent failure and is not followed', async (t) => {
  const { h, receiver, endpoint, alarm, get, fires } = await setup(t, (n) => (n === 1 ? { status: 503 } : { status: 302, headers: { location: '/elsewhere' } }));
  const ep = await endpoint();
  const id = await alarm(ep.id);
  const dispatcher = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: LOCAL } });
  await settledEvents(dispatcher, 2);
  t.same(receiver.received.map((r) => r.url), ['/hook?src=chronos', '/hook?src=chronos'], 'the redirect target was never called');
  t.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1, 'one fire_id');
  t.match(await get(id), { status: 'failed', last_error: `webhook endpoint ${ep.id} answered 302` });
  t.match(await fires(id), [{ outcome: 'retrying', status_code: 503 }, { outcome: 'failed', status_code: 302 }]);
});

t.test('connect time: a name that resolves to a loopback address is refused (no DNS rebinding); an allowed one is reached', async (t) => {
  const { h, client, receiver, alarm, get } = await setup(t);
  const port = new URL(receiver.url).port;
  // Registration checks the name; the deliverer resolves it, to this machine, and connects only where its policy allows.
  const ep = (await client.call<{ id: string }>('POST', '/v1/endpoints', { body: { url: `http://rebind.test:${port}/hook` } })).data;
  const id = await alarm(ep.id);
  const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
  const strict = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: { allowHttp: true, allowHosts: parseAllowHosts('') }, resolve } });
  await settledEvents(strict, 1);
  t.equal(receiver.received.length, 0, 'nothing reached the receiver');
  t.match(await get(id), { status: 'failed', last_error: new RegExp(`^webhook endpoint ${ep.id}: rebind.test resolved only to disallowed addresses \\(127.0.0.1 is a loopback address\\)`) });
  await strict.stop();

  const second = await alarm(ep.id, { idempotency_key: 'second' });
  const allowing = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: LOCAL, resolve } });
  await settledEvents(allowing, 1);
  t.equal(receiver.received.length, 1, 'with 127.0.0.1 allowed, the resolved address is reached');
  t.match(await get(second), { status: 'completed' });
});

t.test('a destination the policy no longer allows, and an endpoint gone, fail at once with their reason', async (t) => {
  const { h, receiver, endpoint, alarm, get } = await setup(t);
  const ep = await endpoint();
  const id = await alarm(ep.id);
  const strict = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: { allowHttp: false, allowHosts: parseAllowHosts('') } } });
  await settledEvents(strict, 1);
  t.match(await get(id), { status: 'failed', last_error: new RegExp(`^webhook endpoint ${ep.id}: http:// is not allowed`) });
  await strict.stop();

  const other = await endpoint();
  const orphan = await alarm(other.id);
  await h.database.sql`DELETE FROM endpoints WHERE id = ${other.id}`;
  const dispatcher = await startDispatcher(t, h.database, 'http://127.0.0.1:9', { webhook: { destinations: LOCAL } });
  await settledEvents(dispatcher, 1);
  t.match(await get(orphan), { status: 'failed', last_error: `webhook endpoint ${other.id} no longer exists` });
  t.equal(receiver.received.length, 0);
});
