/**
 * A rolling upgrade across migration 006: a replica still running the code of
 * migration 005 (its create function, its cancel and settle statements, word
 * for word as they were) keeps working on the new schema, and the alarms it
 * finishes are dated for the cleaner.
 */
import t from 'tap';
import { createAlarms } from '../../src/store/alarms.js';
import { freshDatabase } from '../helpers/db.js';

const ITEM = {
  ord: 0, id: 'alm_AAAAAAAAAAAAAAAAAAA1', owner: 'did:key:old', kind: 'once', at: '2026-01-01T00:00:00Z', cron: null, rrule: null, tz: 'UTC', start_at: null,
  until: null, max_fires: null, label: null, conversation_id: null, wake_message: 'w', payload: '{"a": 1.10}', tags: [], first_fire_at: '2026-01-01T00:00:00Z',
  fire_id: 'fir_old', idempotency_key: null, request_fingerprint: 'f',
};

t.test('the 005 create, cancel and settle still work after 006, and finished alarms are dated', async (t) => {
  const { sql } = await freshDatabase(t);
  const created = await sql`SELECT ord, outcome, id, payload::text AS payload FROM chronos_create_alarms(${JSON.stringify([ITEM, { ...ITEM, ord: 1, id: 'alm_AAAAAAAAAAAAAAAAAAA2' }])}::text::json, 10, 'chronos_due', now())`;
  t.same(created.map((r) => [r.outcome, r.payload]), [['created', '{"a": 1.10}'], ['created', '{"a": 1.10}']]);
  const [fresh] = await sql`SELECT target, misfire, finished_at FROM alarms WHERE id = ${ITEM.id}`;
  t.same({ ...fresh }, { target: { type: 'router' }, misfire: 'coalesce', finished_at: null }, 'the new columns take their defaults');

  // The 005 cancel, as it was.
  await sql`UPDATE alarms SET status = 'cancelled', next_fire_at = NULL, claimed_by = NULL, claimed_at = NULL, lease_until = NULL, updated_at = date_trunc('milliseconds', now())
            WHERE id = ${ITEM.id} AND owner = ${ITEM.owner} AND status IN ('scheduled', 'firing')`;
  // The 005 settle of a delivered once alarm, reduced to what it writes.
  await sql`UPDATE alarms SET status = 'firing', claimed_by = 'old', claimed_at = now(), lease_until = now() + interval '1 minute' WHERE id = 'alm_AAAAAAAAAAAAAAAAAAA2'`;
  await sql`UPDATE alarms SET status = 'completed', next_fire_at = NULL, fire_count = fire_count + 1, claimed_by = NULL, claimed_at = NULL, lease_until = NULL,
            updated_at = date_trunc('milliseconds', now()) WHERE id = 'alm_AAAAAAAAAAAAAAAAAAA2' AND claimed_by = 'old'`;
  const rows = await sql`SELECT id, status, finished_at IS NOT NULL AS dated FROM alarms ORDER BY id`;
  t.same(rows.map((r) => ({ ...r })), [
    { id: ITEM.id, status: 'cancelled', dated: true },
    { id: 'alm_AAAAAAAAAAAAAAAAAAA2', status: 'completed', dated: true },
  ]);
});

t.test('the batch create of 006: an empty batch is no work; items with different members are refused whole', async (t) => {
  const { db, sql } = await freshDatabase(t);
  t.same(await createAlarms(db, [], 10, new Date()), []);
  await t.rejects(
    sql`SELECT * FROM chronos_create_alarm_rows(${JSON.stringify([{ ord: 0, id: 'a', owner: 'o' }, { ord: 1, id: 'b', owner: 'o', label: 'x' }])}::text::json, 10, 'chronos_due', now())`,
    { code: '22023' },
  );
  t.same([...(await sql`SELECT count(*)::int AS n FROM alarms`)], [{ n: 0 }]);
});
