/** GET /metrics on a running chronosd (SPEC 10.4), read with an independent parser of the Prometheus text format. */
import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import t from 'tap';
import { freshDatabaseUrl } from '../helpers/db.js';
import { fakeRouter } from '../helpers/router.js';
import { agent, REPLICA_SECRETS, startReplica } from '../helpers/stream.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_TOKEN = 'metrics-admin-token-0123456789abcdef';
const ADMIN = { CHRONOS_ADMIN_TOKENS: `ops:${ADMIN_TOKEN}` };

/** Every series SPEC 10.4 asks for, with its type. */
const SERIES: Record<string, Family['type']> = {
  chronos_wake_lateness_seconds: 'HISTOGRAM',
  chronos_attempts_total: 'COUNTER',
  chronos_claim_duration_seconds: 'HISTOGRAM',
  chronos_claim_batch_size: 'HISTOGRAM',
  chronos_due_backlog: 'GAUGE',
  chronos_oldest_due_lateness_seconds: 'GAUGE',
  chronos_alarms: 'GAUGE',
  chronos_wakes_in_flight: 'GAUGE',
  chronos_http_requests_total: 'COUNTER',
  chronos_http_request_duration_seconds: 'HISTOGRAM',
  chronos_db_pool_size: 'GAUGE',
  chronos_db_pool_in_use: 'GAUGE',
  chronos_db_pool_waiting: 'GAUGE',
  nodejs_eventloop_lag_seconds: 'GAUGE',
};

/** The families by name, and the samples of every series by name: histograms' `_bucket`, `_count` and `_sum` apart. */
interface Scrape {
  readonly families: Map<string, Family>;
  readonly samples: Map<string, Family>;
}

async function scrape(url: string, token?: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  const byName = (families: Family[]) => {
    const map = new Map<string, Family>();
    for (const f of families) map.set(f.name, { ...f, metrics: [...(map.get(f.name)?.metrics ?? []), ...f.metrics] });
    return map;
  };
  // The parser folds every labelled series of a histogram into one, without labels; read untyped, each line keeps its
  // own (and a histogram's `_bucket`, `_sum` and `_count` lines, interleaved by label set, come as families to merge).
  return { families: byName(parsePrometheusTextFormat(text)), samples: byName(parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram\n/gm, ''))) };
}

t.test('a dispatching replica serves every series, by route template and target type, with no id or DID', async (t) => {
  const router = await fakeRouter(t);
  const replica = await startReplica(t, await freshDatabaseUrl(t), router.url, ADMIN);
  const client = agent(replica);
  const created = await client.call<{ id: string }>('POST', '/v1/alarms', { body: { kind: 'once', delay: '1h', wake_message: 'metrics' } });
  const id = created.data.id;
  await client.call('GET', `/v1/alarms/${id}`);
  await client.call('POST', `/v1/alarms/${id}/fire`);
  await router.waitForCount(1);
  await fetch(`${replica.url}/v1/no-such-route/${id}`, { headers: { Authorization: `Bearer ${REPLICA_SECRETS.CHRONOS_TRANSPORT_TOKENS}` } });
  await fetch(`${replica.url}/v1/alarms/${id}`);

  // The attempt is counted when it is settled, just after the router answered.
  const { families, samples } = await waitFor(async () => {
    const s = await scrape(replica.url, ADMIN_TOKEN);
    return s.families.get('chronos_attempts_total')?.metrics.some((m) => m.labels?.outcome === 'delivered') ? s : undefined;
  }, 10_000);

  for (const [name, type] of Object.entries(SERIES)) t.equal(families.get(name)?.type, type, `${name} is a ${type.toLowerCase()}`);
  const lateness = samples.get('chronos_wake_lateness_seconds_count')!.metrics.find((m) => m.labels?.target === 'router' && m.labels.attempt === 'first');
  t.equal(lateness?.value, '1', 'one lateness sample for the router target');
  t.match(families.get('chronos_attempts_total')!.metrics, [{ labels: { target: 'router', outcome: 'delivered' }, value: '1' }]);
  t.ok(Number(samples.get('chronos_claim_batch_size_count')!.metrics[0]!.value) >= 1, 'claims are counted');
  t.ok(samples.get('chronos_http_request_duration_seconds_count')!.metrics.some((m) => m.labels?.route === '/v1/alarms/{id}/fire'), 'request durations by route template');
  t.match(
    families.get('chronos_db_pool_size')!.metrics.map((m) => m.labels?.pool).sort(),
    ['api', 'dispatch'],
    'both pools are watched',
  );

  const requests = families.get('chronos_http_requests_total')!.metrics.map((m) => m.labels!);
  const routes = new Set(requests.map((l) => l.route));
  for (const route of ['/v1/alarms', '/v1/alarms/{id}', '/v1/alarms/{id}/fire', '/v1/auth/verify', 'unmatched']) t.ok(routes.has(route), `requests counted under ${route}`);
  t.ok(requests.some((l) => l.route === '/v1/alarms/{id}' && l.status === '401'), 'a refused request counts under the route it asked for');
  t.ok(requests.some((l) => l.route === 'unmatched' && l.status === '404'), 'a path no route matches is unmatched');

  const values = [...samples.values()].flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {})));
  t.ok(values.length > 0);
  t.same(values.filter((v) => v.includes('did:') || v.includes(id) || v.includes('alm_')), [], 'no label value names a DID or an alarm');
});

t.test('behind the admin token unless public; absent when disabled', async (t) => {
  const url = await freshDatabaseUrl(t);
  const gated = await startReplica(t, url, undefined, ADMIN);
  const bare = await fetch(`${gated.url}/metrics`);
  t.equal(bare.status, 401);
  t.match(await bare.json(), { ok: false, error: { code: 'unauthorized' } });
  t.equal((await fetch(`${gated.url}/metrics`, { headers: { Authorization: `Bearer ${REPLICA_SECRETS.CHRONOS_TRANSPORT_TOKENS}` } })).status, 401, 'a transport token is not an admin token');
  const admitted = await fetch(`${gated.url}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  t.equal(admitted.status, 200);
  t.match(admitted.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  await admitted.text();

  const open = await startReplica(t, url, undefined, { ...ADMIN, CHRONOS_METRICS_PUBLIC: 'true' });
  const scraped = await scrape(open.url);
  t.equal(scraped.families.get('chronos_wakes_in_flight')?.metrics[0]?.value, '0', 'no dispatcher: nothing in flight');

  const off = await startReplica(t, url, undefined, { ...ADMIN, CHRONOS_METRICS_ENABLED: 'false' });
  const missing = await fetch(`${off.url}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  t.equal(missing.status, 404);
  t.match(await missing.json(), { ok: false, error: { code: 'not_found' } });
});
