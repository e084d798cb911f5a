/** The composition root: what chronosd starts, in which order, and how it stops. */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { resolveSecrets, type AuthSecrets } from './auth/secrets.js';
import { OwnerControls } from './auth/owner-controls.js';
import { tokenService } from './auth/token.js';
import { WakeSigner } from './auth/wake-signer.js';
import type { Config } from './config/load.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { lockDataDir } from './db/data-dir-lock.js';
import { startEmbedded, type EmbeddedServer } from './db/embedded.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/pool.js';
import { waitForDatabase } from './db/wait-for-database.js';
import { AdminService } from './admin/service.js';
import { FireHistory } from './alarms/history.js';
import { AuditLog } from './audit/log.js';
import { AlarmService } from './alarms/service.js';
import { EndpointService } from './endpoints/service.js';
import { parseAllowHosts } from './net/allow-hosts.js';
import { CancelAcks } from './dispatch/cancels.js';
import { RouterDeliverer } from './dispatch/deliverers/router.js';
import { StreamDeliverer } from './dispatch/deliverers/stream.js';
import { WebhookDeliverer } from './dispatch/deliverers/webhook.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { observeAll } from './dispatch/observer.js';
import { buildApp } from './http/app.js';
import { alarmCleaner, auditPruner, firePruner, leaseReaper, nonceSweeper, rateLimitPruner } from './maintenance/jobs.js';
import { Heartbeat } from './maintenance/heartbeat.js';
import { VERSION } from './log.js';
import { LatenessTally } from './metrics/lateness.js';
import { Metrics } from './metrics/metrics.js';
import { QueuePoller } from './metrics/queue-poller.js';
import { pingDatabase } from './store/health.js';
import { StreamHub } from './stream/hub.js';
import { serveStreamUpgrades } from './stream/upgrade.js';

/** A running daemon. */
export interface Daemon {
  /** Base URL the HTTP server listens on. */
  readonly url: string;
  readonly secrets: AuthSecrets;
  /** Ordered shutdown; idempotent. */
  stop(): Promise<void>;
}

// Claims (one at a time), settles (two at a time) and hand-backs.
const DISPATCH_POOL = 4;
/**
 * The claim must walk alarms_due in order and stop at its LIMIT. With stale
 * statistics (say, seconds after a bulk of creates) the planner prefers a
 * bitmap scan that reads every due row and sorts them: a claim of 100 out of
 * 20,000 due took 40-57 ms instead of 10 ms, and each claim of a burst paid
 * again for all the rows still due. No dispatcher statement needs a bitmap scan.
 */
const DISPATCH_SETTINGS = { enable_bitmapscan: 'off' };

// /healthz must answer well inside a load balancer's timeout even when the database hangs.
const HEALTH_DB_TIMEOUT_MS = 2_000;

/**
 * Starts chronosd with `config`. Rejects, after undoing what it started, when
 * any step fails; aborting `signal` ends a wait for the database early.
 */
export async function startDaemon(config: Config, log: Logger, signal?: AbortSignal): Promise<Daemon> {
  const embedded = config.databaseUrl === undefined;
  const secrets = resolveSecrets(config, embedded);
  const signer = new WakeSigner(secrets.signingKeys);
  const destinations = { allowHttp: config.webhookAllowHttp, allowHosts: config.webhookAllowHosts ?? parseAllowHosts('') };
  const undo: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  // Memoized: a second stop() waits for the first instead of returning early.
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const step of undo.splice(0).reverse()) {
        try {
          await step();
        } catch (err) {
          log.error({ err }, 'error during shutdown');
        }
      }
    })());
  try {
    const url = embedded ? await startEmbeddedDatabase(config.dataDir, log, undo) : config.databaseUrl!;
    const database = openDatabase(url, config.dbPool, log);
    undo.push(() => database.close());
    // An external server may still be coming up; the embedded one was just started and answered.
    if (!embedded) await waitForDatabase({ url, timeoutMs: config.dbStartTimeoutMs, log, signal });
    await migrate(database.sql, log);
    const metrics = config.metricsEnabled ? new Metrics(VERSION) : undefined;
    const lateness = new LatenessTally();
    if (metrics) {
      metrics.watchPool('api', database.usage);
      const queue = new QueuePoller({ db: database.db, metrics, log: log.child({ service: 'metrics' }) });
      queue.start();
      undo.push(() => queue.stop());
    }
    if (secrets.file) log.info({ file: secrets.file }, 'using generated secrets; configure CHRONOS_TRANSPORT_TOKENS, CHRONOS_TOKEN_SECRETS and CHRONOS_SIGNING_KEYS to set your own');

    const listenNotify = (channel: string, onNotify: (payload: string) => void) => database.sql.listen(channel, onNotify);
    // With a dispatcher or without: a cancel of a firing alarm waits for the replica holding its claim, wherever it runs.
    const cancelAcks = new CancelAcks({ listen: listenNotify, log: log.child({ service: 'cancels' }) });
    await cancelAcks.start();
    undo.push(() => cancelAcks.stop());
    const owners = new OwnerControls({ db: database.db, listen: listenNotify, log: log.child({ service: 'owners' }) });
    await owners.start();
    undo.push(() => owners.stop());
    const alarms = new AlarmService({ db: database.db, maxActiveAlarms: config.maxActiveAlarms, pollIntervalMs: config.pollIntervalMs, now: Date.now, cancelAcks });
    // Stopped in reverse: the HTTP server, the dispatcher (drain), these jobs, the pool.
    const jobs = [
      nonceSweeper(database.db, log),
      firePruner(database.db, log, config.fireRetentionMs),
      alarmCleaner(alarms, log.child({ service: 'cleaner' }), config.alarmRetentionMs),
      auditPruner(database.db, log, config.auditRetentionMs),
      rateLimitPruner(database.db, log),
    ];
    for (const job of jobs) {
      job.start();
      undo.push(() => job.stop());
    }
    let dispatcher: Dispatcher | undefined;
    let stream: StreamHub | undefined;
    // Set when the HTTP server starts closing; it closes once its connections have, open streams included.
    let serverClosed: Promise<void> = Promise.resolve();
    const replica = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    if (config.routerUrl) {
      // The hot path gets connections of its own, so API load cannot starve claims, with settings for its statements.
      const dispatch = openDatabase(url, DISPATCH_POOL, log, DISPATCH_SETTINGS);
      undo.push(() => dispatch.close());
      metrics?.watchPool('dispatch', dispatch.usage);
      const webhook = new WebhookDeliverer({ db: dispatch.db, signer, destinations, timeoutMs: config.wakeTimeoutMs, connections: config.concurrency, listen: listenNotify });
      await webhook.start();
      // Stopped after the dispatcher has drained, so acks of the stream wakes in flight still come; the HTTP server's
      // close, which waits for the streams, is awaited after that.
      const hub = new StreamHub({ db: database.db, replica, maxPerOwner: config.streamMaxConnectionsPerOwner, log: log.child({ service: 'stream' }) });
      stream = hub;
      hub.start();
      undo.push(() => serverClosed);
      undo.push(() => hub.stop());
      dispatcher = new Dispatcher({
        alarms: new AlarmService({ db: dispatch.db, maxActiveAlarms: config.maxActiveAlarms, pollIntervalMs: config.pollIntervalMs, now: Date.now }),
        listen: listenNotify,
        log: log.child({ service: 'dispatcher' }),
        replica,
        // One deliverer per target type (SPEC 8).
        deliverers: { router: new RouterDeliverer({ url: `${config.routerUrl}/internal/wake`, token: config.wakeToken, timeoutMs: config.wakeTimeoutMs, signer }, config.concurrency), webhook, stream: new StreamDeliverer({ hub, signer, timeoutMs: config.wakeTimeoutMs }) },
        policy: { retryLadderMs: config.retryLadderMs, maxConsecutiveFailures: config.maxConsecutiveFailures, misfireThresholdMs: config.misfireThresholdMs, maxCatchup: config.maxCatchup },
        batchSize: config.batchSize,
        concurrency: config.concurrency,
        ownerConcurrency: config.ownerConcurrency,
        leaseMs: config.leaseMs,
        lookaheadMs: config.lookaheadMs,
        pollIntervalMs: config.pollIntervalMs,
        drainTimeoutMs: config.drainTimeoutMs,
        cancelAcks,
        observer: metrics ? observeAll(metrics, lateness) : lateness,
      });
      // Lease expiry is noticed within a quarter lease (at least every second, at most every 15 s).
      const reaper = leaseReaper(alarms, log.child({ service: 'reaper' }), Math.min(15_000, Math.max(1_000, config.leaseMs / 4)));
      reaper.start();
      undo.push(() => reaper.stop());
      await dispatcher.start();
      const running = dispatcher;
      undo.push(() => running.stop());
      metrics?.watchWakesInFlight(() => running.inFlight);
    } else {
      log.warn('no router_url configured: the API is served but no alarm fires; set CHRONOS_ROUTER_URL or use `chronos dev`');
    }
    const dispatchStatus = () => (dispatcher ? dispatcher.status() : 'idle: no router_url');
    const startedAtMs = Date.now();
    const heartbeat = new Heartbeat({
      db: database.db,
      log: log.child({ service: 'heartbeat' }),
      replica: { id: replica, version: VERSION, host: hostname(), startedAt: new Date(startedAtMs) },
      dispatch: dispatchStatus,
      inFlight: () => dispatcher?.inFlight ?? 0,
      lateness,
      backlog: () => metrics?.dueBacklogNow ?? null,
    });
    await heartbeat.start();
    undo.push(() => heartbeat.stop());
    const app = buildApp({
      log,
      db: database.db,
      alarms,
      history: new FireHistory({ db: database.db }),
      admin: new AdminService({ db: database.db, owners, now: Date.now }),
      audit: new AuditLog({ db: database.db }),
      endpoints: new EndpointService({ db: database.db, destinations, maxPerOwner: config.webhookMaxEndpoints, secretGraceMs: config.webhookSecretGraceMs }),
      health: { pingDb: () => pingDatabase(database.db, HEALTH_DB_TIMEOUT_MS), dispatchStatus, version: VERSION, startedAtMs, now: Date.now },
      transportTokens: secrets.transportTokens,
      adminTokens: config.adminTokens ?? [],
      tokens: tokenService(secrets.tokenSecrets, config.tokenTtlMs, Date.now),
      owners,
      signer,
      challengeTtlMs: config.challengeTtlMs,
      rate: config.rateLimit,
      databaseTimeoutMs: config.dbRequestTimeoutMs,
      version: VERSION,
      now: Date.now,
      metrics,
      metricsPublic: config.metricsPublic,
    });
    const server = await listen(app.fetch, config.host, config.port);
    serveStreamUpgrades(server, { fetch: app.fetch, hub: stream, log: log.child({ service: 'stream' }) });
    undo.push(async () => {
      serverClosed = closeServer(server);
      // Without a hub no stream holds the server open: its close is awaited here, first, as ever.
      if (!stream) await serverClosed;
    });
    const address = server.address() as AddressInfo;
    const baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    log.info({ url: baseUrl, version: VERSION, database: embedded ? 'embedded' : 'external', dispatch: dispatchStatus() }, 'chronosd listening');
    return { url: baseUrl, secrets, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function startEmbeddedDatabase(dataDir: string, log: Logger, undo: (() => Promise<void>)[]): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  // With the directory locked, a running server found in it was left by a
  // chronosd that died, so this one may adopt it and stop it at shutdown.
  const release = lockDataDir(dataDir);
  undo.push(async () => release());
  const server: EmbeddedServer = await startEmbedded({ dir: join(dataDir, 'pg'), log });
  undo.push(() => server.stop());
  return server.url;
}

function listen(fetch: (req: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${hostname} is already in use: set --port or CHRONOS_PORT`, { cause: err }) : err);
    });
  });
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive sockets would hold close() open until they time out.
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

