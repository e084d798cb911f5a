/**
 * POST /v1/schedules/preview (SPEC 9.4): the occurrences an alarm would
 * fire at, in UTC and as local time with the offset in force (DST visible),
 * bounded by until, max_fires and count; and every invalid body answered
 * exactly as a create answers it. The app's clock is 2026-11-23T12:00:00Z.
 */
import t from 'tap';
import { okEnvelope } from '../../src/api/envelope.js';
import { PreviewView } from '../../src/api/schedules.js';
import { testApp } from '../helpers/app.js';

t.test('occurrences in UTC and local time, as the alarm would fire', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  const preview = async (body: unknown) => {
    const res = await h.request('POST', '/v1/schedules/preview', { principal: token, body: JSON.stringify(body) });
    t.equal(res.status, 200, res.text);
    t.ok(okEnvelope(PreviewView).safeParse(res.json).success, 'the answer conforms to PreviewView');
    return res.json.data.occurrences as { at: string; local: string }[];
  };

  t.same(
    await preview({ kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', start: '2027-03-24T00:00:00Z', count: 6 }),
    [
      { at: '2027-03-24T08:00:00.000Z', local: '2027-03-24T09:00:00.000+01:00' },
      { at: '2027-03-25T08:00:00.000Z', local: '2027-03-25T09:00:00.000+01:00' },
      { at: '2027-03-26T08:00:00.000Z', local: '2027-03-26T09:00:00.000+01:00' },
      { at: '2027-03-29T07:00:00.000Z', local: '2027-03-29T09:00:00.000+02:00' },
      { at: '2027-03-30T07:00:00.000Z', local: '2027-03-30T09:00:00.000+02:00' },
      { at: '2027-03-31T07:00:00.000Z', local: '2027-03-31T09:00:00.000+02:00' },
    ],
    'weekdays 09:00 in Berlin across the change of 2027-03-28: local 09:00 stays, the offset goes +01:00 to +02:00, UTC an hour earlier',
  );

  t.same(
    await preview({ kind: 'rrule', rrule: 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0;COUNT=3', tz: 'America/New_York', start: '2027-03-13T00:00:00Z' }),
    [
      { at: '2027-03-13T14:00:00.000Z', local: '2027-03-13T09:00:00.000-05:00' },
      { at: '2027-03-14T13:00:00.000Z', local: '2027-03-14T09:00:00.000-04:00' },
      { at: '2027-03-15T13:00:00.000Z', local: '2027-03-15T09:00:00.000-04:00' },
    ],
    'an rrule with COUNT=3 lists three, though count defaults to 10',
  );

  t.same(await preview({ kind: 'once', delay: '15m' }), [{ at: '2026-11-23T12:15:00.000Z', local: '2026-11-23T12:15:00.000+00:00' }], 'once by delay: from now; tz defaults to UTC, written +00:00');
  t.same(await preview({ kind: 'once', at: '2026-12-01T09:00:00+01:00', tz: 'Asia/Kolkata' }), [{ at: '2026-12-01T08:00:00.000Z', local: '2026-12-01T13:30:00.000+05:30' }], 'once by at, seen in tz');
  t.same(await preview({ kind: 'once', at_local: '2027-03-14T02:30', tz: 'America/New_York' }), [{ at: '2027-03-14T07:00:00.000Z', local: '2027-03-14T03:00:00.000-04:00' }], 'a wall time in the DST gap fires right after it');
  t.same(await preview({ kind: 'once', at: '1970-06-01T00:00:00Z', tz: 'Africa/Monrovia' }), [{ at: '1970-06-01T00:00:00.000Z', local: '1970-05-31T23:15:30.000-00:44:30' }], 'a past at is listed (it fires as soon as possible); an offset with seconds keeps them');

  t.same(
    (await preview({ kind: 'cron', cron: '@daily', max_fires: 3, count: 10 })).map((o) => o.at),
    ['2026-11-24T00:00:00.000Z', '2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    'max_fires ends the list before count',
  );
  t.same(
    (await preview({ kind: 'cron', cron: '0 9 * * *', until: '2026-11-26T09:00:00Z' })).map((o) => o.at),
    ['2026-11-24T09:00:00.000Z', '2026-11-25T09:00:00.000Z', '2026-11-26T09:00:00.000Z'],
    'until ends the list; an occurrence at until itself fires',
  );
  t.same(
    (await preview({ kind: 'cron', cron: '30 2 * * *', tz: 'America/New_York', start: '2027-11-06T12:00:00Z', count: 2 })).map((o) => o.local),
    ['2027-11-07T02:30:00.000-05:00', '2027-11-08T02:30:00.000-05:00'],
    'the offset after a fall-back',
  );

  const hourly = await preview({ kind: 'cron', cron: '@hourly' });
  t.equal(hourly.length, 10, 'count defaults to 10');
  t.equal(hourly[0]!.at, '2026-11-23T12:00:00.000Z', 'from now: an occurrence at now itself is the first');
  t.equal((await preview({ kind: 'cron', cron: '@hourly', count: 100 })).length, 100, 'count 100');
  t.equal((await preview({ kind: 'cron', cron: '@hourly', count: 1 })).length, 1, 'count 1');
  for (const count of [0, 101, 1.5, '10', null]) {
    const res = await h.request('POST', '/v1/schedules/preview', { principal: token, body: JSON.stringify({ kind: 'cron', cron: '@hourly', count }) });
    t.same({ status: res.status, error: res.json.error }, { status: 400, error: { code: 'invalid_request', message: 'count: must be a whole number from 1 to 100', details: [{ path: 'count', message: 'must be a whole number from 1 to 100' }] } }, `count ${JSON.stringify(count)}`);
  }

  const answer = await h.client().previewSchedule({ kind: 'cron', cron: '0 9 * * *', tz: 'Europe/Berlin', count: 2 });
  t.same(answer.data.occurrences.map((o) => o.local), ['2026-11-24T09:00:00.000+01:00', '2026-11-25T09:00:00.000+01:00'], 'the typed client');
  t.same((await h.request('GET', '/v1/alarms', { principal: token })).json.data.alarms, [], 'a preview stores nothing');
  const anonymous = await h.request('POST', '/v1/schedules/preview', { body: JSON.stringify({ kind: 'once', delay: '1m' }) });
  t.same({ status: anonymous.status, code: anonymous.json.error?.code }, { status: 401, code: 'invalid_token' }, 'principal auth');
});

t.test('an invalid body answers exactly what a create answers for it', async (t) => {
  const h = await testApp(t);
  const { token } = await h.client().principal();
  const answer = async (path: string, body: string, headers?: Record<string, string>) => {
    const res = await h.request('POST', path, { principal: token, body, ...(headers ? { headers } : {}) });
    return { status: res.status, error: res.json.error };
  };
  // The same schedule fields, and the wake message a create needs besides them.
  const schedules: Record<string, unknown>[] = [
    {},
    { kind: 'never' },
    { kind: 'cron', cron: '0 0 30 2 *' },
    { kind: 'cron', cron: '0 9 * * *', tz: 'Mars/Olympus', until: '2026-11-23T08:00' },
    { kind: 'cron', cron: '0 9 * * *', until: '2026-11-23T08:00:00Z' },
    { kind: 'once', at: '2026-12-01T09:00:00', delay: '1m' },
    { kind: 'once', delay: 5, until: '2027-01-01T00:00:00Z', max_fires: 2 },
    { kind: 'once', at_local: '2027-02-30T09:00', tz: 'Europe/Berlin' },
    { kind: 'rrule', rrule: 'FREQ=DAILY;BYHOUR=25', max_fires: 0 },
    { kind: 'rrule', rrule: 'FREQ=DAILY', start: '2040-01-01T00:00:00Z' },
    { kind: 'cron', cron: '@daily', timezone: 'Europe/Berlin' },
    { kind: 'cron', cron: ['@daily'], tz: 7, start: false },
  ];
  for (const schedule of schedules) {
    const preview = await answer('/v1/schedules/preview', JSON.stringify(schedule));
    t.equal(preview.status, 400, JSON.stringify(schedule));
    t.same(preview, await answer('/v1/alarms', JSON.stringify({ ...schedule, wake_message: 'w' })), `${JSON.stringify(schedule)}: ${preview.error?.message}`);
  }
  // Bodies refused before their fields are read: the same text to both routes.
  const big = JSON.stringify({ kind: 'once', delay: '1m', cron: 'x'.repeat(130 * 1024) });
  for (const [body, headers, status] of [
    ['[]', undefined, 400],
    ['null', undefined, 400],
    ['"once"', undefined, 400],
    ['{"kind":', undefined, 400],
    ['', undefined, 400],
    ['{"kind":"once","delay":"1m"}', { 'Content-Type': 'text/plain' }, 415],
    [big, undefined, 413],
  ] as const) {
    const preview = await answer('/v1/schedules/preview', body, headers);
    t.equal(preview.status, status, `${body.slice(0, 20)}: ${status}`);
    t.same(preview, await answer('/v1/alarms', body, headers), `${body.slice(0, 20)}: as a create`);
  }
  t.same(
    await answer('/v1/schedules/preview', JSON.stringify({ kind: 'once', delay: '1m', wake_message: 'w' })),
    { status: 400, error: { code: 'invalid_request', message: 'wake_message: unknown field', details: [{ path: 'wake_message', message: 'unknown field' }] } },
    'a field of a create that is not a schedule field is refused as a create refuses an unknown one',
  );
});
