/** Real processes: a daemon killed with wakes in flight, and the database restarted under load. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import postgres from 'postgres';
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ChronosClient } from '../../src/client/client.js';
import { startEmbedded } from '../../src/db/embedded.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { startDaemon, stop, TEST_SECRETS } from '../helpers/daemon.js';
import { fakeRouter } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { CHRONOS_LEASE: '2s', CHRONOS_WAKE_TIMEOUT: '1500ms', CHRONOS_RETRY_LADDER: '200ms, 200ms, 200ms, 200ms, 200ms', CHRONOS_POLL_INTERVAL: '200ms', CHRONOS_DRAIN_TIMEOUT: '1s' };

async function createMany(client: ChronosClient, n: number, delay: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await client.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'once', delay, wake_message: `w${i}` } })).data.id);
  return ids;
}

async function statuses(client: ChronosClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor: string | null = null;
  do {
    const page: { alarms: { status: string }[]; next_cursor: string | null } = (await client.call<{ alarms: { status: string }[]; next_cursor: string | null }>('GET', `/v1/alarms?limit=200${cursor ? `&cursor=${cursor}` : ''}`)).data;
    for (const a of page.alarms) counts[a.status] = (counts[a.status] ?? 0) + 1;
    cursor = page.next_cursor;
  } while (cursor);
  return counts;
}

t.test('kill -9 with wakes in flight: after a restart every alarm is delivered, re-sent with the same fire_id', async (t) => {
  const url = await freshDatabaseUrl(t);
  const router = await fakeRouter(t, (_r, n) => (n <= 20 ? { stall: true } : { status: 204 }));
  // All 20 wakes of the one owner on the wire at the kill (the default share of one owner is 16).
  const env = { CHRONOS_DATABASE_URL: url, ...TEST_SECRETS, ...FAST, CHRONOS_ROUTER_URL: router.url, CHRONOS_OWNER_CONCURRENCY: '20' };
  const first = await startDaemon(env);
  t.teardown(() => first.child.kill('SIGKILL'));
  const seed = generateSeed();
  const client = new ChronosClient({ url: first.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed });
  const ids = await createMany(client, 20, '1s');
  await router.waitForCount(20);
  first.child.kill('SIGKILL');
  t.equal(await first.exited, 137);

  const second = await startDaemon(env);
  t.teardown(() => second.child.kill('SIGKILL'));
  const client2 = new ChronosClient({ url: second.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed });
  await waitFor(async () => ((await statuses(client2)).completed === 20 ? true : undefined), 30_000, 200);
  const byAlarm = new Map<string, Set<string>>();
  for (const r of router.received) {
    const set = byAlarm.get(r.body.alarm_id) ?? new Set();
    set.add(r.body.fire_id);
    byAlarm.set(r.body.alarm_id, set);
  }
  t.same([...byAlarm.keys()].sort(), [...ids].sort(), 'every alarm reached the router');
  t.ok([...byAlarm.values()].every((s) => s.size === 1), 'each alarm kept one fire_id across the crash');
  t.equal(router.received.length, 40, 'each alarm: the lost attempt and the re-sent one');
  const fires = (await client2.call<{ fires: { outcome: string; error: string | null }[] }>('GET', `/v1/alarms/${ids[0]}/fires`)).data.fires;
  t.match(fires.reverse(), [{ outcome: 'retrying', error: /^lease expired/ }, { outcome: 'delivered' }]);
  t.equal(await stop(second), 0);
});

t.test('database restarted under load: the daemon recovers by itself and loses nothing', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'chronos-dbrestart-')), 'pg');
  const log = pino({ level: 'silent' });
  let pg = await startEmbedded({ dir, log });
  const port = pg.port;
  t.teardown(() => pg.stop().catch(() => {}));
  const router = await fakeRouter(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: pg.url, ...TEST_SECRETS, ...FAST, CHRONOS_ROUTER_URL: router.url });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const client = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed: generateSeed() });
  const ids = [...(await createMany(client, 60, '1s')), ...(await createMany(client, 60, '3s'))];
  await router.waitForCount(30);
  const downFrom = daemon.logs.length;
  await pg.stop();
  // The database stays down until the daemon has met the outage: a claim that failed and will be retried.
  await daemon.waitForLog((l) => l.msg === 'claim failed; retrying' && l.connection === true && daemon.logs.indexOf(l) >= downFrom);
  pg = await startEmbedded({ dir, log, port });
  await waitFor(async () => ((await statuses(client)).completed === ids.length ? true : undefined), 60_000, 250);
  const delivered = new Set(router.received.map((r) => r.body.alarm_id));
  t.equal(delivered.size, ids.length, 'every alarm reached the router at least once');
  t.equal(daemon.child.exitCode, null, 'the daemon ran throughout');
  t.equal(await stop(daemon), 0);
});

t.test('SIGTERM with a wake on the wire: the wake finishes and is settled, then exit 0', async (t) => {
  const url = await freshDatabaseUrl(t);
  const router = await fakeRouter(t, () => ({ status: 204, delayMs: 800 }));
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: url, ...TEST_SECRETS, ...FAST, CHRONOS_DRAIN_TIMEOUT: '5s', CHRONOS_ROUTER_URL: router.url, CHRONOS_LOG_LEVEL: 'debug' });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const client = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed: generateSeed() });
  const [id] = await createMany(client, 1, '1s');
  await router.waitForCount(1);
  t.equal(await stop(daemon), 0);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  const rows = await sql`SELECT status, fire_count FROM alarms WHERE id = ${id!}`;
  t.match({ ...rows[0] }, { status: 'completed', fire_count: 1 }, 'settled before the exit');
  // Ordered by the events' own timestamps: the order lines reach a pipe is not the order they were logged.
  const steps = ['shutting down', 'wake settled', 'dispatcher stopped', 'stopped'];
  const times = steps.map((msg) => Date.parse(String(daemon.logs.find((l) => l.msg === msg)?.time)));
  t.ok(times.every((x) => Number.isFinite(x)), 'every shutdown step was logged');
  t.ok(times.every((x, i) => i === 0 || times[i - 1]! <= x), 'ordered shutdown', { steps, times, logs: daemon.stdout().split('\n').filter((l) => /shutting|settled|stopped/.test(l)) });
});
