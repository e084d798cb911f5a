import t from 'tap';
import { classify, describeFailure, nextAttemptAt, parseRetryAfter, type AttemptResult } from '../../src/dispatch/ladder.js';

const answered = (status: number, bodyStart = ''): AttemptResult => ({ kind: 'answered', peer: 'router', status, bodyStart });

t.test('classify', async (t) => {
  const rows: [AttemptResult, string][] = [
    [answered(200), 'delivered'],
    [answered(202), 'delivered'],
    [answered(204), 'delivered'],
    [answered(299), 'delivered'],
    [answered(408), 'retry'],
    [answered(425), 'retry'],
    [answered(429), 'retry'],
    [answered(500), 'retry'],
    [answered(502), 'retry'],
    [answered(503), 'retry'],
    [answered(599), 'retry'],
    [{ kind: 'error', message: 'connection refused' }, 'retry'],
    [answered(301), 'permanent'],
    [answered(400), 'permanent'],
    [answered(401), 'permanent'],
    [answered(404), 'permanent'],
    [answered(409), 'permanent'],
    [answered(410), 'permanent'],
    [answered(422), 'permanent'],
  ];
  for (const [result, verdict] of rows) t.equal(classify(result), verdict, JSON.stringify(result));
});

t.test('nextAttemptAt: the ladder, jitter, Retry-After, exhaustion', async (t) => {
  const ladder = [5_000, 30_000, 120_000];
  const mid = () => 0.5;
  const rows: [number, number | undefined, () => number, number | null][] = [
    [1, undefined, mid, 5_000],
    [2, undefined, mid, 30_000],
    [3, undefined, mid, 120_000],
    [4, undefined, mid, null],
    [0, undefined, mid, null],
    [1, undefined, () => 0, 4_500],
    [1, undefined, () => 0.999999, 5_500],
    [1, 60_000, mid, 60_000],
    [2, 10_000, mid, 30_000],
    [4, 60_000, mid, null],
  ];
  for (const [attempt, retryAfter, random, delay] of rows) {
    const at = nextAttemptAt(1_000_000, attempt, ladder, retryAfter, random);
    t.equal(at === null ? null : at - 1_000_000, delay, `attempt ${attempt}, Retry-After ${retryAfter}, random ${random()}`);
  }
  t.equal(nextAttemptAt(0, 1, [], undefined), null, 'an empty ladder allows one attempt');
});

t.test('parseRetryAfter and describeFailure', async (t) => {
  t.equal(parseRetryAfter('120', 0), 120_000);
  t.equal(parseRetryAfter(' 7 ', 0), 7_000);
  t.equal(parseRetryAfter(new Date(90_000).toUTCString(), 30_000), 60_000);
  t.equal(parseRetryAfter(new Date(0).toUTCString(), 30_000), 0, 'a date in the past means now');
  t.equal(parseRetryAfter('soon', 0), undefined);
  t.equal(parseRetryAfter(null, 0), undefined);
  t.equal(describeFailure(answered(404, 'unknown   agent\n')), 'router answered 404: unknown agent');
  t.equal(describeFailure(answered(503)), 'router answered 503');
  t.equal(describeFailure({ kind: 'error', message: 'timed out after 10s' }), 'timed out after 10s');
});
