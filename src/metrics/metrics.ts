/**
 * The Prometheus series chronosd serves at GET /metrics (SPEC 10.4), each
 * declared once here, on a registry of this instance's own (never
 * prom-client's global one, so a process may build several). Label values
 * come from small fixed sets (target types, outcomes, statuses, route
 * templates, pool names): never a DID, an alarm id or a raw path.
 * docs/operations.md lists every series.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { STATUSES } from '../alarms/states.js';
import { TargetType } from '../api/alarms.js';
import type { PoolUsage } from '../db/deadline-client.js';
import type { DispatchObserver } from '../dispatch/observer.js';
import type { QueueStats } from '../store/queue-stats.js';
import { LATENESS_BUCKETS_S } from './lateness.js';

const CLAIM_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
// Rows; an empty claim (nothing due) is a sample of 0.
const CLAIM_BATCH_BUCKETS = [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];
const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// Any other method a client sends is counted as "other", so no client can add series.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The registry and every series; also the dispatcher's observer. */
export class Metrics implements DispatchObserver {
  /** The registry GET /metrics serves. */
  readonly registry = new Registry();

  private readonly wakeLateness = new Histogram({
    name: 'chronos_wake_lateness_seconds',
    help: 'From an occurrence\'s scheduled_for to the answer of its attempt, by target type and attempt (first, or retry: a retry is late by its backoff).',
    labelNames: ['target', 'attempt'] as const,
    // Retries are counted apart (attempt="retry"): the dashboard's plot stores the first ones (metrics/lateness.ts).
    buckets: [...LATENESS_BUCKETS_S],
    registers: [this.registry],
  });
  private readonly attempts = new Counter({
    name: 'chronos_attempts_total',
    help: 'Wake attempts made by this replica, by target type and outcome (delivered, retrying, failed).',
    labelNames: ['target', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly claimDuration = new Histogram({
    name: 'chronos_claim_duration_seconds',
    help: 'Time of one claim statement (select due, mark firing), empty claims included.',
    buckets: CLAIM_DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly claimBatch = new Histogram({
    name: 'chronos_claim_batch_size',
    help: 'Alarms claimed by one claim statement (0: nothing was due).',
    buckets: CLAIM_BATCH_BUCKETS,
    registers: [this.registry],
  });
  private readonly dueBacklog = new Gauge({
    name: 'chronos_due_backlog',
    help: 'Scheduled alarms due by now and not yet claimed (owners suspended excluded), queue-wide, as of chronos_queue_stats_timestamp_seconds.',
    registers: [this.registry],
  });
  private readonly oldestDue = new Gauge({
    name: 'chronos_oldest_due_lateness_seconds',
    help: 'How long ago the earliest due, unclaimed alarm became due (0 when none is), queue-wide.',
    registers: [this.registry],
  });
  private readonly alarms = new Gauge({
    name: 'chronos_alarms',
    help: 'Alarms by status and target type, queue-wide (finished ones until the cleaner deletes them).',
    labelNames: ['status', 'target'] as const,
    registers: [this.registry],
  });
  private readonly queueStatsAt = new Gauge({
    name: 'chronos_queue_stats_timestamp_seconds',
    help: 'Database time of the last successful queue count (the queue-wide gauges are refreshed every few seconds, not per scrape).',
    registers: [this.registry],
  });
  private readonly httpRequests = new Counter({
    name: 'chronos_http_requests_total',
    help: 'HTTP requests answered, by method, route template (unmatched: no route) and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'chronos_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (to its headers for a stream), by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly pools = new Map<string, () => PoolUsage>();
  private lastDueBacklog: number | null = null;
  private inFlight: () => number = () => 0;

  constructor(version: string) {
    // Process metrics and nodejs_eventloop_lag_seconds (with its percentiles), under their usual names.
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'chronos_build_info', help: 'Always 1; the version of this chronosd.', labelNames: ['version'] as const, registers: [this.registry] }).set({ version }, 1);
    poolGauge(this.registry, this.pools, 'chronos_db_pool_size', 'Connections the pool may open (api: db.pool; dispatch: the dispatcher\'s own).', (u) => u.size);
    poolGauge(this.registry, this.pools, 'chronos_db_pool_in_use', 'Connections reserved by queries and transactions now, or being opened for one.', (u) => u.inUse);
    poolGauge(this.registry, this.pools, 'chronos_db_pool_waiting', 'Queries waiting for a connection of the pool.', (u) => u.waiting);
    const inFlight = () => this.inFlight();
    new Gauge({
      name: 'chronos_wakes_in_flight',
      help: 'Wakes on the wire now from this replica (at most dispatch.concurrency).',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    // Every status and target from the start, so a count that drops to zero reads 0 rather than vanishing.
    for (const status of STATUSES) for (const target of TargetType.options) this.alarms.set({ status, target }, 0);
  }

  /** The text format's content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text GET /metrics answers. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  claimed(durationMs: number, rows: number): void {
    this.claimDuration.observe(durationMs / 1000);
    this.claimBatch.observe(rows);
  }

  attempted(target: string, outcome: string, attempt: number, latenessMs: number): void {
    this.attempts.inc({ target, outcome });
    this.wakeLateness.observe({ target, attempt: attempt > 1 ? 'retry' : 'first' }, Math.max(0, latenessMs) / 1000);
  }

  /** Counts one answered HTTP request; `route` is a route template or "unmatched". */
  requestAnswered(method: string, route: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'other';
    this.httpRequests.inc({ method: m, route, status });
    this.httpDuration.observe({ method: m, route }, seconds);
  }

  /** Sets the queue-wide gauges from a count. */
  queueCounted(stats: QueueStats): void {
    for (const status of STATUSES) for (const target of TargetType.options) this.alarms.set({ status, target }, 0);
    for (const { status, target, count } of stats.alarms) this.alarms.set({ status, target }, count);
    this.dueBacklog.set(stats.dueBacklog);
    this.lastDueBacklog = stats.dueBacklog;
    this.oldestDue.set((stats.oldestDueLatenessMs ?? 0) / 1000);
    this.queueStatsAt.set(stats.at.getTime() / 1000);
  }

  /** chronos_due_backlog as last counted; null before the first count. */
  get dueBacklogNow(): number | null {
    return this.lastDueBacklog;
  }

  /** Serves chronos_db_pool_* for the pool `name` (api, dispatch), read at each scrape. */
  watchPool(name: string, usage: () => PoolUsage): void {
    this.pools.set(name, usage);
  }

  /** Serves chronos_wakes_in_flight from `count`, read at each scrape. */
  watchWakesInFlight(count: () => number): void {
    this.inFlight = count;
  }
}

/** A gauge of every watched pool, read from its usage at each scrape. */
function poolGauge(registry: Registry, pools: ReadonlyMap<string, () => PoolUsage>, name: string, help: string, read: (u: PoolUsage) => number): void {
  new Gauge({
    name,
    help,
    labelNames: ['pool'] as const,
    registers: [registry],
    collect() {
      for (const [pool, usage] of pools) this.set({ pool }, read(usage()));
    },
  });
}
