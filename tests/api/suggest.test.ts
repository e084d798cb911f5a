/** "Did you mean" for unknown fields: the same suggestion through the API's schemas wherever they are parsed. */
import t from 'tap';
import { CreateAlarm, ListAlarmsQuery } from '../../src/api/alarms.js';
import { VerifyRequest } from '../../src/api/auth.js';
import { parseOrThrow } from '../../src/api/problems.js';
import { fieldsAt, suggestField } from '../../src/api/suggest.js';
import { InvalidInput } from '../../src/errors.js';

t.test('the field meant: synonyms, other spellings, typos; nothing for a name far from every field', async (t) => {
  const known = fieldsAt(CreateAlarm, []);
  const cases: [string, string | undefined][] = [
    ['timezone', 'tz'], ['time_zone', 'tz'], ['timeZone', 'tz'], ['TZ', 'tz'],
    ['wakeMessage', 'wake_message'], ['wake-message', 'wake_message'], ['wake_mesage', 'wake_message'], ['message', 'wake_message'],
    ['maxFires', 'max_fires'], ['count', 'max_fires'], ['tag', 'tags'], ['cronn', 'cron'], ['rrul', 'rrule'], ['dtstart', 'start'],
    ['colour', undefined], ['x', undefined], ['zzzzzzzz', undefined],
  ];
  for (const [unknown, meant] of cases) t.equal(suggestField(unknown, known), meant, `${unknown} -> ${meant ?? 'none'}`);
  t.equal(suggestField('timezone', ['label']), undefined, 'a synonym is offered only when the route has that field');
});

t.test('fieldsAt opens optional, union and pipe schemas', async (t) => {
  t.ok(fieldsAt(CreateAlarm, []).includes('wake_message'));
  t.same(fieldsAt(CreateAlarm, ['target']), ['type', 'endpoint'], 'the members of the target union');
  t.same(fieldsAt(ListAlarmsQuery, []).sort(), ['cursor', 'limit', 'status', 'tag', 'target']);
  t.same(fieldsAt(CreateAlarm, ['tags', 0]), [], 'a string has no members');
});

t.test('parseOrThrow names the meant field in the problem', async (t) => {
  const refused = (schema: Parameters<typeof parseOrThrow>[0], input: unknown, unknownKey?: string) => {
    try {
      parseOrThrow(schema, input, unknownKey);
    } catch (err) {
      return err instanceof InvalidInput ? err.problems : err;
    }
    return undefined;
  };
  t.same(refused(CreateAlarm, { kind: 'once', delay: '1h', wake_message: 'w', timezone: 'UTC' }), [{ path: 'timezone', message: 'unknown field: did you mean "tz"?' }]);
  t.same(refused(CreateAlarm, { kind: 'once', delay: '1h', wake_message: 'w', target: { type: 'router', colour: 'x' } }), [{ path: 'target.colour', message: 'unknown field' }], 'no guess where the object has nothing close');
  t.same(
    refused(CreateAlarm, { kind: 'once', delay: '1h', wake_message: 'w', target: { type: 'webhook', endpont: 'ep_AAAAAAAAAAAAAAAAAAAA' } }),
    [
      { path: 'target.endpoint', message: 'required: the id of one of your webhook endpoints, like "ep_2XVW0VrjxyzEbf1m6Iv0"' },
      { path: 'target.endpont', message: 'unknown field: did you mean "endpoint"?' },
    ],
    'a union member is guessed',
  );
  t.same(refused(ListAlarmsQuery, { stauts: 'scheduled' }, 'unknown parameter'), [{ path: 'stauts', message: 'unknown parameter: did you mean "status"?' }]);
  t.match(refused(VerifyRequest, { did: 'd', nonce: 'n', signatur: 's' }), [{ path: 'signature' }, { path: 'signatur', message: 'unknown field: did you mean "signature"?' }]);
});
