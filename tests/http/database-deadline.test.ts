/**
 * db.request_timeout: the database work of a request is bounded, and the 503
 * it ends with is honest (the statement is cancelled; a create retried with
 * its Idempotency-Key is made once). A slow client's body does not count.
 */
import postgres from 'postgres';
import t from 'tap';
import { ChronosApiError } from '../../src/client/client.js';
import { testApp, TRANSPORT_TOKEN } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';

const TIMEOUT_MS = 300;
// An answer may take the timeout plus this (a loaded CI machine); the old code waited for the lock forever.
const MARGIN_MS = 3_000;
const CREATE_BODY = '{"kind":"once","delay":"1h","wake_message":"w"}';

/** `answer`, or a failure once it has taken longer than the deadline allows. */
async function within<T>(answer: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS + MARGIN_MS} ms`)), TIMEOUT_MS + MARGIN_MS);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A second session that holds locks until released. */
function lockHolder(t: { teardown(fn: () => unknown): void }, url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end());
  return sql;
}

/** The API error of a rejected client call. */
async function refusal(call: Promise<unknown>): Promise<ChronosApiError> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ChronosApiError)) throw new Error(`expected an API error, got ${String(err)}`);
  return err;
}

t.test('a slow body does not count against the database; a statement blocked past the deadline is a 503 and is cancelled', async (t) => {
  const h = await testApp(t, { databaseTimeoutMs: TIMEOUT_MS, realClock: true });
  const agent = h.client();
  const { token } = await agent.principal();

  // The body arrives over 4 x 250 ms, longer than the deadline; the database answers at once.
  const encoder = new TextEncoder();
  const pieces = [CREATE_BODY.slice(0, 10), CREATE_BODY.slice(10, 20), CREATE_BODY.slice(20, 30), CREATE_BODY.slice(30)];
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = pieces.shift();
      if (piece === undefined) return controller.close();
      await new Promise((r) => setTimeout(r, 250));
      controller.enqueue(encoder.encode(piece));
    },
  });
  const slow = await h.app.request('http://chronos.test/v1/alarms', {
    method: 'POST',
    headers: { Authorization: `Bearer ${TRANSPORT_TOKEN}`, 'X-Chronos-Principal': token, 'Content-Type': 'application/json' },
    body,
    duplex: 'half',
  } as RequestInit);
  t.equal(slow.status, 201, 'a slow upload is not a database timeout');
  const id = ((await slow.json()) as { data: { id: string } }).data.id;

  const holder = lockHolder(t, h.database.url);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const locked = new Promise<void>((resolve) => {
    void holder.begin(async (tx) => {
      await tx`SELECT id FROM alarms WHERE id = ${id} FOR UPDATE`;
      resolve();
      await released;
    });
  });
  await locked;
  const started = Date.now();
  const err = await within(refusal(agent.call('DELETE', `/v1/alarms/${id}`)));
  t.match(err, { status: 503, code: 'database_unavailable' }, `the cancel waiting for the lock: 503 after ${Date.now() - started} ms`);
  t.match(err.headers?.get('retry-after'), /^\d+$/, 'with Retry-After');
  // The cancel request travels on a connection of its own; once it has landed the UPDATE no longer waits for the lock.
  const waiting = () => h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'chronosd' AND wait_event_type = 'Lock'`;
  await waitFor(async () => ((await waiting())[0]!.n === 0 ? true : undefined), 5_000);
  release();
  t.match((await agent.call('GET', `/v1/alarms/${id}`)).data, { status: 'scheduled' }, 'the blocked UPDATE was cancelled, not applied later');
  t.match((await agent.call('DELETE', `/v1/alarms/${id}`)).data, { status: 'cancelled' }, 'the cancel retried is made');
});

t.test('a create blocked past the deadline: 503; retried with its Idempotency-Key once the database answers, it is made once', async (t) => {
  const h = await testApp(t, { databaseTimeoutMs: TIMEOUT_MS, realClock: true });
  const agent = h.client();
  await agent.principal();
  const create = () => agent.call<{ id: string }>('POST', '/v1/alarms', { rawBody: CREATE_BODY, headers: { 'Idempotency-Key': 'blocked' } });

  // Creates of one owner take its advisory lock (migration 002): held here, every create of the agent waits.
  const holder = lockHolder(t, h.database.url);
  await holder`SELECT pg_advisory_lock(hashtextextended(${agent.did}, 0))`;
  for (const attempt of ['first', 'retried while still blocked']) {
    const err = await within(refusal(create()));
    t.match(err, { status: 503, code: 'database_unavailable', message: /same Idempotency-Key is made once/ }, `${attempt}: 503`);
  }
  await holder`SELECT pg_advisory_unlock(hashtextextended(${agent.did}, 0))`;

  const made = await create();
  t.ok(made.status === 201 || made.status === 200, `retried once the database answers: ${made.status}`);
  const again = await create();
  t.same([again.status, again.data.id], [200, made.data.id], 'the same alarm again');
  const [row] = await h.database.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM alarms WHERE idempotency_key = 'blocked'`;
  t.equal(row!.n, 1, 'one alarm for the key');
});

t.test("the server's own statement_timeout is a 503 database_unavailable, not a 500", async (t) => {
  // The request deadline is long; the server cancels first (SQLSTATE 57014).
  const h = await testApp(t, { databaseTimeoutMs: 30_000, realClock: true });
  // Set before the app's pool opens its first connection, so that every one of them has it.
  const holder = lockHolder(t, h.database.url);
  await holder.unsafe(`ALTER DATABASE ${holder.options.database} SET statement_timeout = '200ms'`);
  // The app's start (the owners' controls) has opened connections already: idle ones are closed, to reopen with the setting.
  await holder`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle' AND query NOT ILIKE 'listen%'`;
  await waitFor(async () => Number((await holder`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' AND query NOT ILIKE 'listen%' AND pid <> pg_backend_pid()`)[0]!.n) === 0 || undefined, 5_000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const agent = h.client();
  await agent.principal();
  const { data } = await agent.call<{ id: string }>('POST', '/v1/alarms', { rawBody: CREATE_BODY });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  t.teardown(release);
  await new Promise<void>((locked) => {
    void holder.begin(async (tx) => {
      await tx`LOCK TABLE alarms IN ACCESS EXCLUSIVE MODE`;
      locked();
      await released;
    });
  });
  t.match(await within(refusal(agent.call('GET', `/v1/alarms/${data.id}`))), { status: 503, code: 'database_unavailable' });
});
