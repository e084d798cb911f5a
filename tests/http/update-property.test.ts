/**
 * Property: a PATCH validates exactly like a create (SPEC 9.1). For random
 * bodies B, valid and not, `POST /v1/alarms` with B and a PATCH that sets
 * every field of B and removes every other (so the alarm becomes B) give
 * the same answer: both accepted with the same view, or both refused with
 * the same status, code and details.
 */
import fc from 'fast-check';
import t from 'tap';
import { testApp } from '../helpers/app.js';

// Every field of a create but the idempotency key, which a PATCH cannot change.
const FIELDS = ['kind', 'at', 'at_local', 'delay', 'cron', 'rrule', 'tz', 'start', 'until', 'max_fires', 'wake_message', 'payload', 'label', 'conversation_id', 'tags', 'target', 'misfire'] as const;

const odd = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}), fc.constantFrom('', '\u0000', 'x'.repeat(9_000)));
const candidates: Record<(typeof FIELDS)[number], fc.Arbitrary<unknown>> = {
  kind: fc.constantFrom('once', 'cron', 'rrule', 'weekly'),
  at: fc.constantFrom('2026-11-23T13:00:00Z', '2026-11-23T13:00:00', '2026-11-20T00:00:00+01:00', '2040-01-01T00:00:00Z'),
  at_local: fc.constantFrom('2027-03-28T02:30', '2026-12-01T09:00', '2026-12-01 09:00'),
  delay: fc.constantFrom('15m', '90s', '0s', '3651d', 'soon'),
  cron: fc.constantFrom('0 9 * * MON-FRI', '@every 10s', '@every 0s', '0 0 30 2 *', '61 * * * *', '*/15 * * * * *'),
  rrule: fc.constantFrom('FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0', 'FREQ=DAILY;COUNT=3', 'FREQ=SOMETIMES', 'RRULE:FREQ=DAILY'),
  tz: fc.constantFrom('UTC', 'Europe/Berlin', 'america/new_york', 'Mars/Olympus'),
  start: fc.constantFrom('2026-12-01T00:00:00Z', '2026-12-01T00:00:00', '2040-01-01T00:00:00Z'),
  until: fc.constantFrom('2027-03-01T00:00:00+01:00', '2026-11-23T12:00:01Z', '2026-01-01T00:00:00Z'),
  max_fires: fc.constantFrom(1, 5, 0, 2.5, 2_147_483_648),
  wake_message: fc.constantFrom('Check the deploy.', '', 'x'.repeat(9_000)),
  payload: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant('x'.repeat(70_000))),
  label: fc.constantFrom('deploy check', 'x'.repeat(201)),
  conversation_id: fc.constantFrom('conv_1', 'a\u0000b'),
  tags: fc.constantFrom(['a', 'b'], [], [''], Array.from({ length: 17 }, (_, i) => `t${i}`), 'a'),
  target: fc.constantFrom({ type: 'router' }, { type: 'stream' }, { type: 'webhook', endpoint: 'ep_aaaaaaaaaaaaaaaaaaaa' }, { type: 'pager' }, 'router'),
  misfire: fc.constantFrom('coalesce', 'skip', 'all', 'never'),
};

/** A schedule that is valid on its own, with the other fields a create takes (each maybe odd). */
const likely = fc
  .tuple(
    fc.constantFrom<Record<string, unknown>>(
      { kind: 'once', delay: '15m' },
      { kind: 'once', at: '2026-11-23T13:00:00Z' },
      { kind: 'once', at_local: '2026-12-01T09:00', tz: 'Europe/Berlin' },
      { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', until: '2027-03-01T00:00:00+01:00' },
      { kind: 'cron', cron: '@every 10s', max_fires: 5 },
      { kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0', tz: 'America/New_York', start: '2026-12-01T00:00:00Z' },
    ),
    fc.record(
      {
        payload: fc.jsonValue({ maxDepth: 2 }),
        label: fc.constantFrom('deploy check', null),
        conversation_id: fc.constantFrom('conv_1', null),
        tags: fc.constantFrom(['a', 'b'], []),
        target: fc.constantFrom({ type: 'router' }, { type: 'stream' }),
        misfire: fc.constantFrom('coalesce', 'skip', 'all'),
        // Now and then one field from the odd ones, so a refusal is compared beside a valid schedule too.
        ...Object.fromEntries((['wake_message', 'label', 'tags', 'target', 'misfire'] as const).map((f) => [`${f}`, fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: candidates[f] })])),
      },
      { requiredKeys: [] },
    ),
    fc.constantFrom('Check the deploy.', undefined),
  )
  .map(([schedule, rest, message]) => ({ ...schedule, ...(message ? { wake_message: message } : {}), ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) }));

/** A create body: mostly a likely one; else any fields, each a likely value or an odd one; now and then not an object. */
const body: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: likely },
  { weight: 8, arbitrary: fc.record(Object.fromEntries(FIELDS.map((f) => [f, fc.oneof({ weight: 4, arbitrary: candidates[f] }, { weight: 1, arbitrary: odd })])), { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.oneof(fc.constant([]), fc.constant('alarm'), fc.constant(7)) },
);

/** The answer without what differs between any two alarms. */
function comparable(res: { status: number; json: { ok: boolean; data?: any; error?: unknown } }) {
  if (!res.json.ok) return { status: res.status, error: res.json.error };
  const view = { ...(res.json.data as Record<string, unknown>) };
  for (const k of ['id', 'created_at', 'updated_at']) delete view[k];
  return { status: 'accepted', view };
}

t.test('a PATCH that makes the alarm B answers what a create of B answers', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  const send = (method: string, path: string, text: string) => h.request(method, path, { principal: token, body: text });
  const base = await send('POST', '/v1/alarms', JSON.stringify({ kind: 'cron', cron: '0 6 * * *', wake_message: 'base', label: 'base', tags: ['base'] }));
  const id = base.json.data.id as string;
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      const created = comparable(await send('POST', '/v1/alarms', JSON.stringify(b)));
      const patch = typeof b === 'object' && b !== null && !Array.isArray(b) ? { ...Object.fromEntries(FIELDS.map((f) => [f, null])), ...b } : b;
      const patched = comparable(await send('PATCH', `/v1/alarms/${id}`, JSON.stringify(patch)));
      if (created.status === 'accepted') accepted++;
      t.same(patched, created, JSON.stringify(b).slice(0, 160));
    }),
    { numRuns: 150, seed: Number(process.env.FC_SEED ?? Date.now() % 1_000_000) },
  );
  t.ok(accepted > 0, `some bodies were accepted (${accepted} of 150), so both paths were compared on success too`);
});
