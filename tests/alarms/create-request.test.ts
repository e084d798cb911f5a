/** The create request's fingerprint, which idempotent replays compare with the one stored at create. */
import t from 'tap';
import { parseCreateRequest } from '../../src/alarms/create-request.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const BODY = { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', wake_message: 'standup', label: 'l', tags: ['a', 'b'] };

t.test('a request without the fields added since 0.1.0 has the fingerprint 0.1.0 stored, so its replay still matches', async (t) => {
  // Computed by the create validation of dac04e7, before target and misfire existed.
  t.equal(parseCreateRequest(BODY, '{ "x": [1.10] }', 'key-1', NOW).fingerprint, '84f008eac94193939214cd2ea204c3c7342c79f59475944ce6dcbf56d17e8a21');
  t.equal(parseCreateRequest(BODY, '{"x":[1.10]}', undefined, NOW).fingerprint, '84f008eac94193939214cd2ea204c3c7342c79f59475944ce6dcbf56d17e8a21', 'whitespace in the payload and the key do not count');
});

t.test('a field added since joins the fingerprint when given', async (t) => {
  const without = parseCreateRequest(BODY, undefined, undefined, NOW).fingerprint;
  const withDefaults = parseCreateRequest({ ...BODY, target: { type: 'router' }, misfire: 'coalesce' }, undefined, undefined, NOW).fingerprint;
  t.not(withDefaults, without);
  t.equal(parseCreateRequest({ ...BODY, misfire: 'coalesce', target: { type: 'router' } }, undefined, undefined, NOW).fingerprint, withDefaults, 'in the schema\'s order, whatever the body\'s');
});
