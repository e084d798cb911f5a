/**
 * The transition table (src/alarms/states.ts) against the service: every
 * verb tried on an alarm in every status moves exactly the states the table
 * allows, to a state the table names, and leaves the others as they were;
 * docs/state-machine.md draws the same table.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { bulkInsertOnceAlarms } from '../../bench/seed.js';
import { alarmStateDiagram, allows, STATUSES, toState, TRANSITIONS, type AlarmStatus, type Transition, type Verb } from '../../src/alarms/states.js';
import { DomainError } from '../../src/errors.js';
import { fireIdFor, newAlarmId, newAttemptId } from '../../src/ids.js';
import { freshDatabase } from '../helpers/db.js';
import { alarmService } from '../helpers/dispatch.js';

const OWNER = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';
const DAY_MS = 86_400_000;

type Database = Awaited<ReturnType<typeof freshDatabase>>;

/** A once alarm in `status`: due (and for firing, claimed by r1 with its lease run out), or final for two days. */
async function alarmIn(database: Database, status: AlarmStatus): Promise<string> {
  const [id] = await bulkInsertOnceAlarms(database.db, OWNER, [new Date(Date.now() - 1_000)], newAlarmId, fireIdFor);
  if (status === 'firing') {
    await database.sql`UPDATE alarms SET status = 'firing', attempt = 1, claimed_by = 'r1', claimed_at = date_trunc('milliseconds', now()) - interval '2 seconds',
      lease_until = now() - interval '1 second' WHERE id = ${id!}`;
  } else if (status === 'paused') {
    await database.sql`UPDATE alarms SET status = 'paused', next_fire_at = NULL WHERE id = ${id!}`;
  } else if (status !== 'scheduled') {
    await database.sql`UPDATE alarms SET status = ${status}, next_fire_at = NULL, finished_at = now() - interval '2 days' WHERE id = ${id!}`;
  }
  return id!;
}

async function statusOf(database: Database, id: string): Promise<AlarmStatus | 'deleted'> {
  const [row] = await database.sql<{ status: AlarmStatus }[]>`SELECT status FROM alarms WHERE id = ${id}`;
  return row?.status ?? 'deleted';
}

/** Waits for `change`; a refusal must be a conflict (busy, or not updatable), the answer of a state the verb does not move. */
async function refusedAsConflict(change: Promise<unknown>): Promise<void> {
  await change.catch((err: unknown) => {
    if (!(err instanceof DomainError && (err.code === 'alarm_busy' || err.code === 'not_updatable'))) throw err;
  });
}

/** Runs `verb` on the alarm `id` through the service, as its callers do. */
async function run(database: Database, verb: Exclude<Verb, 'create'>, id: string): Promise<void> {
  const alarms = alarmService(database);
  switch (verb) {
    case 'claim':
      await alarms.claim('r2', 10, 60_000);
      return;
    case 'settle': {
      const [row] = await database.sql<{ claimed_at: Date | null; fire_id: string; occurrence_at: Date }[]>`SELECT claimed_at, fire_id, occurrence_at FROM alarms WHERE id = ${id}`;
      const now = new Date();
      await alarms.settle('r1', [
        {
          alarmId: id,
          claimedAt: row!.claimed_at ?? new Date(Date.now() - 2_000),
          patch: { status: 'completed', nextFireAt: null, occurrenceAt: row!.occurrence_at, fireId: row!.fire_id, attempt: 1, delivered: true, consecutiveFailures: 0, lastError: null },
          record: { id: newAttemptId(), targetType: 'router', fireId: row!.fire_id, alarmId: id, manual: false, scheduledFor: row!.occurrence_at, attempt: 1, startedAt: now, finishedAt: now, outcome: 'delivered', statusCode: 204, error: null, durationMs: 1 },
        },
      ]);
      return;
    }
    case 'handBack':
      await alarms.handBack('r1', [id]);
      return;
    case 'reap':
      await alarms.reap(10, newAttemptId);
      return;
    case 'cancel':
      await alarms.cancel(OWNER, id).catch((err: unknown) => {
        // The refusal of a final alarm is a conflict naming its status.
        if (!(err instanceof DomainError && err.code === 'not_cancellable')) throw err;
      });
      return;
    case 'purge':
      await alarms.purge(DAY_MS, 10);
      return;
    case 'update':
      await refusedAsConflict(alarms.update(OWNER, id, { label: 'changed' }, undefined));
      return;
    case 'pause':
      await refusedAsConflict(alarms.pause(OWNER, id));
      return;
    case 'resume':
      await refusedAsConflict(alarms.resume(OWNER, id));
      return;
    case 'fire':
      await refusedAsConflict(alarms.fire(OWNER, id));
      return;
  }
}

t.test('every verb on every status: the table allows the move, or nothing changes', async (t) => {
  const database = await freshDatabase(t);
  const verbs = (Object.keys(TRANSITIONS) as Verb[]).filter((v): v is Exclude<Verb, 'create'> => v !== 'create');
  for (const verb of verbs) {
    for (const status of STATUSES) {
      await database.sql`DELETE FROM alarms`;
      const id = await alarmIn(database, status);
      await run(database, verb, id);
      const after = await statusOf(database, id);
      const transition: Transition = TRANSITIONS[verb];
      const targets = transition.keeps !== undefined ? [status] : Object.keys(transition.to);
      if (allows(verb, status)) {
        t.ok(targets.length === 0 ? after === 'deleted' : targets.includes(after), `${status} --${verb}--> ${after} (table: ${targets.join(', ') || 'deleted'})`);
      } else {
        t.equal(after, status, `${verb} refused on ${status}`);
      }
    }
  }
});

t.test('create: a new alarm starts where the table says', async (t) => {
  const h = await (await import('../helpers/app.js')).testApp(t);
  const { token } = await h.client().principal();
  const res = await h.request('POST', '/v1/alarms', { principal: token, body: JSON.stringify({ kind: 'once', delay: '1m', wake_message: 'w' }) });
  t.equal(res.json.data.status, toState('create'));
});

t.test('cancel on a cancelled alarm answers it as it is; on a completed or failed one, not_cancellable', async (t) => {
  const database = await freshDatabase(t);
  const alarms = alarmService(database);
  const cancelled = await alarmIn(database, 'cancelled');
  t.match(await alarms.cancel(OWNER, cancelled), { id: cancelled, status: 'cancelled' });
  for (const status of ['completed', 'failed'] as const) {
    const id = await alarmIn(database, status);
    await t.rejects(alarms.cancel(OWNER, id), { code: 'not_cancellable', kind: 'conflict', details: { status } });
  }
  await t.rejects(alarms.cancel('did:key:another', cancelled), { code: 'not_found' }, "another owner's alarm is not found");
});

t.test('the cleaner keeps a final alarm until its retention ends, then deletes it with its fires; active ones stay', async (t) => {
  const database = await freshDatabase(t);
  const alarms = alarmService(database);
  const old = await alarmIn(database, 'completed');
  const recent = await alarmIn(database, 'failed');
  await database.sql`UPDATE alarms SET finished_at = now() - interval '1 hour' WHERE id = ${recent}`;
  const active = await alarmIn(database, 'scheduled');
  for (const id of [old, recent, active]) {
    await database.sql`INSERT INTO fires (id, fire_id, alarm_id, scheduled_for, attempt, started_at, outcome) VALUES (${newAttemptId()}, 'fir_x', ${id}, now(), 1, now(), 'delivered')`;
  }
  t.equal(await alarms.purge(DAY_MS, 10), 1, 'one alarm past a day');
  t.same(
    (await database.sql`SELECT id FROM alarms ORDER BY id`).map((r) => r.id),
    [recent, active].sort(),
  );
  t.same((await database.sql`SELECT DISTINCT alarm_id FROM fires ORDER BY alarm_id`).map((r) => r.alarm_id), [recent, active].sort(), 'its fires went with it');
});

t.test('a replica claims only the target types it delivers (an alarm a newer version wrote waits for a replica that serves it)', async (t) => {
  const database = await freshDatabase(t);
  const alarms = alarmService(database);
  const unserved = await alarmIn(database, 'scheduled');
  await database.sql`UPDATE alarms SET target = '{"type": "webhook", "endpoint": "ep_00000000000000000000"}' WHERE id = ${unserved}`;
  const later = await alarmIn(database, 'scheduled');
  await database.sql`UPDATE alarms SET target = '{"type": "webhook", "endpoint": "ep_00000000000000000000"}', next_fire_at = now() + interval '1 hour' WHERE id = ${later}`;
  const claim = await alarms.claim('r1', 10, 60_000, 0, ['router']);
  t.same(claim.rows, [], 'not claimed by a replica that delivers only router wakes');
  t.equal(claim.nextDueAt, null, 'not counted as due either, so the producer does not wake for it');
  t.equal(await statusOf(database, unserved), 'scheduled');
  t.same((await alarms.claim('r2', 10, 60_000, 0, ['router', 'webhook'])).rows.map((r) => r.id), [unserved], 'claimed by one that delivers webhooks');
});

t.test('docs/state-machine.md draws the table', async (t) => {
  const doc = readFileSync('docs/state-machine.md', 'utf8');
  t.ok(doc.includes(alarmStateDiagram()), 'regenerate the diagram from alarmStateDiagram() (src/alarms/states.ts)');
});
