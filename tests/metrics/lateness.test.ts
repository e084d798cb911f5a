/**
 * The lateness plot (SPEC 11): the buckets and quantiles it computes, and, on
 * a running replica, the same count of first attempts in /metrics, in the
 * operators' plot (stored at each heartbeat) and in the agent's own (from its
 * attempts).
 */
import fc from 'fast-check';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Histogram, Registry } from 'prom-client';
import t from 'tap';
import { bucketOf, LATENESS_BUCKETS_S, LatenessTally, latenessSeries, quantileMs } from '../../src/metrics/lateness.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { fakeRouter } from '../helpers/router.js';
import { agent, startReplica } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_TOKEN = 'lateness-admin-token-0123456789abcdef';

t.test('a value lands in the bucket prom-client counts it in', async () => {
  const seconds = fc.oneof(fc.double({ min: 0, max: 400, noNaN: true }), fc.constantFrom(...LATENESS_BUCKETS_S));
  await fc.assert(
    fc.asyncProperty(seconds, async (s) => {
      const registry = new Registry();
      const h = new Histogram({ name: 'h', help: 'h', buckets: [...LATENESS_BUCKETS_S], registers: [registry] });
      h.observe(s);
      const cumulative = (await h.get()).values.filter((v) => v.metricName === 'h_bucket').map((v) => v.value);
      const first = cumulative.findIndex((n) => n === 1);
      return first === bucketOf(s);
    }),
  );
});

t.test('quantiles interpolate inside their bucket, as histogram_quantile does', async (t) => {
  const counts = new Array<number>(LATENESS_BUCKETS_S.length + 1).fill(0);
  t.equal(quantileMs(counts, 0.5), null, 'no wakes: no quantile');
  counts[bucketOf(0.007)] = 10; // 5..10 ms
  t.equal(quantileMs(counts, 0.5), 7.5, 'the median of 10 in (5, 10] ms is halfway');
  t.equal(quantileMs(counts, 1), 10, 'the top is the bucket bound');
  counts[LATENESS_BUCKETS_S.length] = 90; // beyond 300 s
  t.equal(quantileMs(counts, 0.99), 300_000, 'in +Inf: the largest finite bound');
  t.equal(quantileMs(counts, 0.05), 7.5, 'the 5th percentile is still in (5, 10]');
});

t.test('the tally counts first attempts only, and gives back what a failed store could not keep', async (t) => {
  const tally = new LatenessTally();
  tally.attempted('router', 'delivered', 1, 3);
  tally.attempted('router', 'delivered', 2, 3);
  tally.attempted('webhook', 'failed', 1, 2_000);
  const taken = tally.take();
  t.equal(taken.reduce((a, b) => a + b, 0), 2, 'retries are not counted');
  t.equal(taken[bucketOf(0.003)], 1);
  t.equal(taken[bucketOf(2)], 1);
  t.same(tally.take(), taken.map(() => 0), 'a take starts afresh');
  tally.giveBack(taken);
  t.same(tally.take(), taken);
});

t.test('the series has every minute of the window, empty ones at zero', async (t) => {
  const from = new Date('2026-12-06T10:00:00.000Z');
  const buckets = new Array<number>(LATENESS_BUCKETS_S.length + 1).fill(0);
  buckets[bucketOf(0.002)] = 4;
  const points = latenessSeries([{ minute: new Date('2026-12-06T10:01:00.000Z'), buckets, backlog: 7 }], from, 3);
  t.same(points.map((p) => [p.at, p.wakes, p.backlog]), [
    ['2026-12-06T10:00:00.000Z', 0, null],
    ['2026-12-06T10:01:00.000Z', 4, 7],
    ['2026-12-06T10:02:00.000Z', 0, null],
  ]);
  t.equal(points[1]!.p50_ms, 2.5);
  t.equal(points[0]!.p99_ms, null);
});

t.test('/metrics, the operators\' plot and the agent\'s plot count the same first attempts', async (t) => {
  const router = await fakeRouter(t);
  const replica = await startReplica(t, await freshDatabaseUrl(t), router.url, { CHRONOS_ADMIN_TOKENS: `ops:${ADMIN_TOKEN}` });
  const client = agent(replica);
  const n = 5;
  for (let i = 0; i < n; i++) {
    const { data } = await client.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'once', delay: '1h', wake_message: `plot ${i}` } });
    await client.call('POST', `/v1/alarms/${data.id}/fire`);
  }
  await router.waitForCount(n);
  const admin = { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } };
  const wakes = (plot: { points: { wakes: number }[] }) => plot.points.reduce((a, p) => a + p.wakes, 0);
  // The heartbeat stores the tally every 5 s.
  const plot = await waitFor(async () => {
    const body = (await (await fetch(`${replica.url}/v1/admin/lateness?minutes=5`, admin)).json()) as { data: { points: { wakes: number; p50_ms: number | null }[]; bucket_bounds_ms: number[] } };
    return wakes(body.data) === n ? body.data : undefined;
  }, 15_000);
  const text = await (await fetch(`${replica.url}/metrics`, admin)).text();
  const counted = parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram\n/gm, ''))
    .filter((f) => f.name === 'chronos_wake_lateness_seconds_count')
    .flatMap((f) => f.metrics)
    .filter((m) => m.labels?.attempt === 'first')
    .reduce((a, m) => a + Number(m.value), 0);
  t.equal(counted, n, '/metrics counted the first attempts');
  t.equal(wakes(plot), counted, 'the operators\' plot has them all');
  t.same(plot.bucket_bounds_ms, LATENESS_BUCKETS_S.map((s) => s * 1000), 'in the metric\'s buckets');
  t.ok(plot.points.some((p) => p.p50_ms !== null), 'a minute with wakes has a median');

  const own = await client.call<{ points: { wakes: number }[]; backlog_now: number }>('GET', '/v1/lateness?minutes=5');
  t.equal(wakes(own.data), n, 'the agent\'s plot, from its attempts, has the same count');
  t.equal(own.data.backlog_now, 0);
  const other = await agent(replica).call<{ points: { wakes: number }[] }>('GET', '/v1/lateness');
  t.equal(wakes(other.data), 0, 'another agent sees none of them');
  t.equal(other.data.points.length, 60, 'an hour by default');
  const bad = await fetch(`${replica.url}/v1/admin/lateness?minutes=0`, admin);
  t.equal(bad.status, 400);
});
