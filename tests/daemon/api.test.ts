/** The API over a real socket against a running chronosd, and the identity commands. */
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ChronosClient } from '../../src/client/client.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, stop, TEST_SECRETS } from '../helpers/daemon.js';

t.test('every route over a socket', async (t) => {
  const url = await freshDatabaseUrl(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: url, ...TEST_SECRETS, CHRONOS_RATE_LIMIT: '1000/s burst 1000' });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const transportToken = TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS;
  const agent = new ChronosClient({ url: daemon.url, transportToken, seed: generateSeed() });
  const other = new ChronosClient({ url: daemon.url, transportToken, seed: generateSeed() });

  const payload = '{"z":1,"2":[1.10,18446744073709551615],"a":"\\u00e9"}';
  const created = await agent.call<{ id: string; status: string }>('POST', '/v1/alarms', { rawBody: `{"kind":"once","delay":"1h","wake_message":"w","payload":${payload},"tags":["t"]}` });
  t.equal(created.status, 201);
  const raw = await fetch(`${daemon.url}/v1/alarms/${created.data.id}`, { headers: { Authorization: `Bearer ${transportToken}`, 'X-Chronos-Principal': (await agent.principal()).token, 'X-Request-Id': 'sock-1' } });
  t.equal(raw.status, 200);
  t.equal(raw.headers.get('x-request-id'), 'sock-1');
  t.ok((await raw.text()).includes(`"payload":${payload},`), 'payload verbatim over the wire');
  t.match((await agent.call('GET', '/v1/alarms?tag=t')).data, { alarms: [{ id: created.data.id }], next_cursor: null });
  t.match((await agent.call('GET', `/v1/alarms/${created.data.id}/fires`)).data, { fires: [], next_cursor: null });
  await t.rejects(other.call('GET', `/v1/alarms/${created.data.id}`), { status: 404, code: 'not_found' });
  await t.rejects(other.call('DELETE', `/v1/alarms/${created.data.id}`), { status: 404, code: 'not_found' });
  t.match((await agent.call('DELETE', `/v1/alarms/${created.data.id}`)).data, { status: 'cancelled' });

  const post = (body: string | Uint8Array, headers: Record<string, string>) => fetch(`${daemon.url}/v1/alarms`, { method: 'POST', body, headers: { Authorization: `Bearer ${transportToken}`, ...headers } });
  const principal = (await agent.principal()).token;
  const wrongType = await post('{}', { 'X-Chronos-Principal': principal, 'Content-Type': 'text/plain' });
  t.equal(wrongType.status, 415);
  const huge = await post(`{"kind":"once","delay":"1h","wake_message":"w","payload":"${'x'.repeat(200_000)}"}`, { 'X-Chronos-Principal': principal, 'Content-Type': 'application/json' });
  t.equal(huge.status, 413);
  t.match(await huge.json(), { ok: false, error: { code: 'payload_too_large' } });
  // Without Content-Length (chunked), the body is counted as it streams in.
  const chunked = (text: string) =>
    fetch(`${daemon.url}/v1/alarms`, {
      method: 'POST',
      body: new Blob([text]).stream(),
      duplex: 'half',
      headers: { Authorization: `Bearer ${transportToken}`, 'X-Chronos-Principal': principal, 'Content-Type': 'application/json' },
    } as RequestInit);
  t.equal((await chunked('{"kind":"once","delay":"1h","wake_message":"chunked"}')).status, 201, 'a chunked body is read');
  const hugeChunked = await chunked(`{"kind":"once","delay":"1h","wake_message":"w","payload":"${'x'.repeat(200_000)}"}`);
  t.match({ status: hugeChunked.status, body: await hugeChunked.json() }, { status: 413, body: { error: { code: 'payload_too_large' } } });
  const broken = await post('{"kind":', { 'X-Chronos-Principal': principal, 'Content-Type': 'application/json' });
  t.match({ status: broken.status, body: await broken.json() }, { status: 400, body: { error: { code: 'invalid_json' } } });
  const noTransport = await fetch(`${daemon.url}/v1/alarms`);
  t.match({ status: noTransport.status, body: await noTransport.json() }, { status: 401, body: { error: { code: 'unauthorized' } } });
  t.equal(await stop(daemon), 0);
});

t.test('chronos keygen and chronos token', async (t) => {
  const keygen = spawnCli('chronos', ['keygen', '--json'], {});
  t.equal(await keygen.exited, 0);
  const { did, seed } = JSON.parse(keygen.stdout()) as { did: string; seed: string };
  t.match(did, /^did:key:z6Mk/);
  t.match(seed, /^[0-9a-f]{64}$/);
  t.equal(new ChronosClient({ url: 'http://x', transportToken: 'x', seed: Buffer.from(seed, 'hex') }).did, did, 'the seed belongs to the DID');

  const url = await freshDatabaseUrl(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: url, ...TEST_SECRETS });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const token = spawnCli('chronos', ['token', '--url', daemon.url], { CHRONOS_AGENT_KEY: seed, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS });
  t.equal(await token.exited, 0, token.stderr());
  const jwt = token.stdout().trim();
  t.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'stdout is the token alone');
  t.match(token.stderr(), `token for ${did}`);
  const list = await fetch(`${daemon.url}/v1/alarms`, { headers: { Authorization: `Bearer ${TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS}`, 'X-Chronos-Principal': jwt } });
  t.equal(list.status, 200, 'the printed token works with curl-style requests');

  const wrong = spawnCli('chronos', ['token', '--url', daemon.url], { CHRONOS_AGENT_KEY: seed, CHRONOS_TRANSPORT_TOKEN: 'wrong' });
  t.equal(await wrong.exited, 1);
  t.match(wrong.stderr(), /^chronos token: unauthorized: /);
  const noKey = spawnCli('chronos', ['token', '--url', daemon.url], { CHRONOS_TRANSPORT_TOKEN: 'x' });
  t.equal(await noKey.exited, 2);
  t.match(noKey.stderr(), /set CHRONOS_AGENT_KEY/);
  const badKey = spawnCli('chronos', ['token'], { CHRONOS_AGENT_KEY: 'not-a-key', CHRONOS_TRANSPORT_TOKEN: 'x' });
  t.equal(await badKey.exited, 2);
  t.match(badKey.stderr(), /CHRONOS_AGENT_KEY: an agent key is a 32-byte seed/);
  t.equal(await stop(daemon), 0);
});
