/** The queue-wide count behind the metrics gauges and the admin status. */
import { sql } from 'kysely';
import t from 'tap';
import { newAlarmId } from '../../src/ids.js';
import { queueStats } from '../../src/store/queue-stats.js';
import { freshDatabase } from '../helpers/db.js';

const OWNER = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';
const SUSPENDED = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

t.test('counts by status and target; the due backlog leaves out future alarms and suspended owners', async (t) => {
  const database = await freshDatabase(t);
  const empty = await queueStats(database.db);
  t.same({ ...empty, at: undefined }, { at: undefined, alarms: [], dueBacklog: 0, oldestDueLatenessMs: null }, 'an empty queue');

  const insert = (owner: string, status: string, target: string, dueInMs: number | null) =>
    sql`
      INSERT INTO alarms (id, owner, kind, at, wake_message, status, next_fire_at, occurrence_at, target, finished_at)
      VALUES (${newAlarmId()}, ${owner}, 'once', now(), 'w', ${status},
              ${dueInMs === null ? null : sql`now() + ${dueInMs} * interval '1 millisecond'`}, now(),
              jsonb_build_object('type', ${target}::text), ${['completed', 'failed', 'cancelled'].includes(status) ? sql`now()` : null})`.execute(database.db);
  await insert(OWNER, 'scheduled', 'router', -600_000);
  await insert(OWNER, 'scheduled', 'router', -60_000);
  await insert(OWNER, 'scheduled', 'router', 0);
  await insert(OWNER, 'scheduled', 'webhook', 3_600_000);
  await insert(OWNER, 'paused', 'router', null);
  await insert(OWNER, 'completed', 'router', null);
  await insert(SUSPENDED, 'scheduled', 'stream', -3_600_000);
  await sql`INSERT INTO owners (did, suspended_at, suspended_reason) VALUES (${SUSPENDED}, now(), 'test')`.execute(database.db);

  const stats = await queueStats(database.db);
  const byKey = Object.fromEntries(stats.alarms.map((a) => [`${a.status}/${a.target}`, a.count]));
  t.same(byKey, { 'scheduled/router': 3, 'scheduled/webhook': 1, 'scheduled/stream': 1, 'paused/router': 1, 'completed/router': 1 });
  t.equal(stats.dueBacklog, 3, 'the three router alarms due by now; not the future one, nor the suspended owner\'s');
  t.ok(stats.oldestDueLatenessMs! >= 600_000 && stats.oldestDueLatenessMs! < 660_000, `oldest due ${stats.oldestDueLatenessMs} ms ago`);
  t.type(stats.at, Date);
});
