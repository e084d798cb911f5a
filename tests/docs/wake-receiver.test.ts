/**
 * docs/wake.md's receiver example, run as written against a real chronosd: it
 * accepts the wakes the daemon signs and refuses a changed body, another key's
 * signature and a replay older than 5 minutes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseSeed } from '../../src/auth/seed.js';
import { WakeSigner } from '../../src/auth/wake-signer.js';
import { ChronosClient } from '../../src/client/client.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { startDaemon, stop, TEST_SECRETS } from '../helpers/daemon.js';
import { fakeRouter } from '../helpers/router.js';
import { generateSeed } from '../../src/auth/ed25519.js';

const MARKER = '<!-- wake-test: receiver -->\n```ts\n';

t.test("docs/wake.md's receiver verifies a real wake and refuses forged, changed and replayed ones", async (t) => {
  const doc = readFileSync('docs/wake.md', 'utf8');
  const start = doc.indexOf(MARKER);
  t.ok(start >= 0, 'the receiver block is marked');
  const code = doc.slice(start + MARKER.length, doc.indexOf('\n```', start + MARKER.length));

  const router = await fakeRouter(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), ...TEST_SECRETS, CHRONOS_ROUTER_URL: router.url });
  t.teardown(() => stop(daemon));
  const file = join(mkdtempSync(join(tmpdir(), 'chronos-receiver-')), 'receiver.mts');
  t.ok(code.includes("'http://127.0.0.1:8080'"), 'the example names where chronosd runs');
  writeFileSync(file, code.replace("'http://127.0.0.1:8080'", JSON.stringify(daemon.url)));
  const { verifyWake } = (await import(file)) as { verifyWake: (headers: Record<string, string | undefined>, body: string) => boolean };

  const agent = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed: generateSeed() });
  await agent.call('POST', '/v1/alarms', { body: { kind: 'once', delay: '1s', wake_message: 'verify me', payload: { n: 1.1 } } });
  await router.waitForCount(1);
  const wake = router.received[0]!;
  const headers = wake.headers as Record<string, string>;
  t.ok(verifyWake(headers, wake.text), 'a wake chronosd sent is accepted');
  t.notOk(verifyWake(headers, wake.text.replace('verify me', 'verify us')), 'a changed body is refused');
  t.notOk(verifyWake({ ...headers, 'webhook-id': 'fir_other' }, wake.text), 'another fire_id is refused');

  const daemonKey = new WakeSigner([parseSeed(TEST_SECRETS.CHRONOS_SIGNING_KEYS)]);
  t.ok(verifyWake({ ...daemonKey.sign('fir_x', new Date(), wake.text) }, wake.text), 'a fresh signature by the daemon key is accepted');
  t.notOk(verifyWake({ ...daemonKey.sign('fir_x', new Date(Date.now() - 6 * 60_000), wake.text) }, wake.text), 'the same key 6 minutes ago: a replay, refused');
  const forger = new WakeSigner([Buffer.alloc(32, 42)]);
  t.notOk(verifyWake({ ...forger.sign('fir_x', new Date(), wake.text) }, wake.text), 'another key is refused');
});
