/** The HTTP app on a fresh database, with a clock the test moves, and clients that call it through app.request(). */
import { pino } from 'pino';
import type { Scope } from '../../src/api/auth.js';
import { generateSeed } from '../../src/auth/ed25519.js';
import { AdminService } from '../../src/admin/service.js';
import { FireHistory } from '../../src/alarms/history.js';
import { AuditLog } from '../../src/audit/log.js';
import { AlarmService } from '../../src/alarms/service.js';
import { EndpointService } from '../../src/endpoints/service.js';
import { parseAllowHosts } from '../../src/net/allow-hosts.js';
import { OwnerControls } from '../../src/auth/owner-controls.js';
import { tokenService } from '../../src/auth/token.js';
import { WakeSigner } from '../../src/auth/wake-signer.js';
import { ChronosClient } from '../../src/client/client.js';
import type { Rate } from '../../src/config/units.js';
import { buildApp } from '../../src/http/app.js';
import { pingDatabase } from '../../src/store/health.js';
import { freshDatabase } from './db.js';

export const TRANSPORT_TOKEN = 'transport-token-for-tests-0123456789';
/** The admin token of the test app, named ops. */
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';
/** The wake signing key of the test app. */
export const SIGNING_SEED = Buffer.alloc(32, 7);
export const SECRETS = ['first-secret-signs-0123456789abcdefghij', 'second-secret-verifies-0123456789abcdef'];

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Options for {@link testApp}. */
export interface TestAppOptions {
  secrets?: string[];
  maxActiveAlarms?: number;
  rate?: Rate;
  tokenTtlMs?: number;
  /** Use the wall clock (for tests where the dispatcher, on the database clock, fires what the API creates). */
  realClock?: boolean;
  /** db.request_timeout (default 5 s). */
  databaseTimeoutMs?: number;
  /** webhook.allow_http and webhook.allow_hosts (default: https only, nothing allowed beyond public addresses). */
  webhooks?: { allowHttp?: boolean; allowHosts?: string; maxEndpoints?: number; secretGraceMs?: number };
}

/** Builds the app on a fresh migrated database. */
export async function testApp(t: Teardown, options: TestAppOptions = {}) {
  const database = await freshDatabase(t);
  let nowMs = Date.parse('2026-11-23T12:00:00.000Z');
  const now = options.realClock ? () => Date.now() + (nowMs - Date.parse('2026-11-23T12:00:00.000Z')) : () => nowMs;
  const secrets = options.secrets ?? SECRETS;
  const tokens = tokenService(secrets, options.tokenTtlMs ?? 3_600_000, now);
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const owners = new OwnerControls({ db: database.db, listen: (channel, onNotify) => database.sql.listen(channel, onNotify), log });
  await owners.start();
  t.teardown(() => owners.stop());
  const app = buildApp({
    log,
    db: database.db,
    endpoints: new EndpointService({
      db: database.db,
      destinations: { allowHttp: options.webhooks?.allowHttp ?? false, allowHosts: parseAllowHosts(options.webhooks?.allowHosts ?? '') },
      maxPerOwner: options.webhooks?.maxEndpoints ?? 20,
      secretGraceMs: options.webhooks?.secretGraceMs ?? 86_400_000,
    }),
    admin: new AdminService({ db: database.db, owners, now: now }),
    audit: new AuditLog({ db: database.db }),
    alarms: new AlarmService({ db: database.db, maxActiveAlarms: options.maxActiveAlarms ?? 10_000, pollIntervalMs: 1_000, now }),
    history: new FireHistory({ db: database.db }),
    health: { pingDb: () => pingDatabase(database.db, 2_000), dispatchStatus: () => 'idle: test', version: 'test', startedAtMs: nowMs, now },
    transportTokens: [TRANSPORT_TOKEN],
    adminTokens: [{ name: 'ops', token: ADMIN_TOKEN }],
    tokens,
    owners,
    signer: new WakeSigner([SIGNING_SEED]),
    challengeTtlMs: 120_000,
    version: 'test',
    rate: options.rate ?? { perSecond: 1_000_000, burst: 1_000_000 },
    databaseTimeoutMs: options.databaseTimeoutMs ?? 5_000,
    now,
  });
  const appFetch = async (input: string, init: RequestInit) => app.request(input, init);
  return {
    app,
    database,
    tokens,
    owners,
    now,
    /** Moves the app's clock. */
    advance(ms: number) {
      nowMs += ms;
    },
    /** A client for a new (or the given) agent key. */
    client(seed: Uint8Array = generateSeed(), clientNow: () => number = now, scopes?: readonly Scope[]) {
      return new ChronosClient({ url: 'http://chronos.test', transportToken: TRANSPORT_TOKEN, seed, fetch: appFetch, now: clientNow, ...(scopes ? { scopes } : {}) });
    },
    /** A raw request with the transport token (and a principal, when given); `admin` sends the admin token instead. */
    async request(method: string, path: string, init: { principal?: string; body?: string; headers?: Record<string, string>; admin?: boolean } = {}) {
      const headers: Record<string, string> = { Authorization: `Bearer ${init.admin ? ADMIN_TOKEN : TRANSPORT_TOKEN}`, ...init.headers };
      if (init.principal) headers['X-Chronos-Principal'] = init.principal;
      if (init.body !== undefined) headers['Content-Type'] ??= 'application/json';
      const res = await app.request(`http://chronos.test${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as { ok: boolean; data?: any; error?: { code: string; message: string; details?: any } } };
    },
  };
}
