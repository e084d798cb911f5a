/**
 * Every configuration key, once: environment names, kvx key, flag, default,
 * parser and a line of doc (SPEC 3.2). The loader, `--help`, the sample
 * `chronos.config.kvx` and docs/configuration.md all come from this table.
 */
import { splitHosts } from './database-url.js';
import { parseSeed } from '../auth/seed.js';
import { parseAllowHosts } from '../net/allow-hosts.js';
import { parseDuration, parseInteger, parseList, parseRate, type Rate } from './units.js';

/** How one key is named, defaulted and parsed. */
export interface KeySpec<T> {
  /** Environment variables, first set one wins. */
  readonly env: readonly string[];
  /** `section.key` in chronos.config.kvx. */
  readonly kvx: string;
  /** The command-line flag, without `--`. */
  readonly flag: string;
  /** Default as config text (parsed like any other value); undefined means unset. */
  readonly default: string | undefined;
  /** Human text shown where the default is computed rather than fixed. */
  readonly defaultDoc?: string;
  readonly parse: (text: string) => T;
  readonly doc: string;
  /** Never printed or logged. */
  readonly secret?: boolean;
}

function key<T, D extends string | undefined>(spec: KeySpec<T> & { readonly default: D }): KeySpec<T> & { readonly default: D } {
  return spec;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// 0 asks the OS for any free port (tests, side-by-side runs); the start log names the one chosen.
const port = (t: string) => parseInteger(t, 0, 65_535);
const positive = (max: number) => (t: string) => parseInteger(t, 1, max);
const durationIn = (minMs: number, maxMs: number) => (t: string) => {
  const ms = parseDuration(t);
  if (ms < minMs || ms > maxMs) throw new Error(`${t.trim()} is out of range: expected ${minMs}ms..${maxMs}ms`);
  return ms;
};
const text = (t: string) => {
  if (t.trim() === '') throw new Error('must not be empty');
  return t.trim();
};
const url = (t: string) => {
  let u: URL;
  try {
    u = new URL(t.trim());
  } catch {
    throw new Error('is not a URL');
  }
  return u.toString();
};
const routerUrl = (t: string) => {
  const u = url(t);
  if (!/^https?:/.test(u)) throw new Error(`"${t}" must be an http:// or https:// URL`);
  return u.replace(/\/+$/, '');
};
const databaseUrl = (t: string) => {
  const u = url(splitHosts(t).first);
  if (!/^postgres(ql)?:/.test(u)) throw new Error('must be a postgres:// or postgresql:// URL');
  return t.trim();
};
const tokenList = (t: string) => {
  const items = parseList(t);
  if (items.length === 0) throw new Error('must list at least one token');
  return items;
};
// Generated tokens are 47 characters; a short one can be guessed. A token with a space could never be sent as `Bearer <token>`.
const transportTokenList = (t: string) => {
  const items = tokenList(t);
  for (const [i, s] of items.entries()) {
    const length = [...s].length;
    if (length < 32) throw new Error(`token #${i + 1} is ${length} characters: each must be at least 32 characters`);
    if (/\s/.test(s)) throw new Error(`token #${i + 1} contains whitespace, which a Bearer token cannot carry`);
  }
  return items;
};
const secretList = (t: string) => {
  const items = tokenList(t);
  for (const [i, s] of items.entries()) {
    if (Buffer.byteLength(s) < 32) throw new Error(`secret #${i + 1} is ${Buffer.byteLength(s)} bytes: each must be at least 32 bytes`);
  }
  return items;
};
const seedList = (t: string) =>
  tokenList(t).map((s, i) => {
    try {
      return parseSeed(s);
    } catch {
      throw new Error(`key #${i + 1} is not a 32-byte ed25519 seed: write each as 64 hex digits or 43 base64url characters (\`chronos keygen\` prints one)`);
    }
  });
const bool = (t: string) => {
  const v = t.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`"${t}" must be true or false`);
};
const ladder = (t: string) => {
  const steps = parseList(t).map(parseDuration);
  if (steps.some((ms) => ms < 1)) throw new Error('each step must be at least 1ms');
  return steps;
};
const rate = (t: string): Rate => parseRate(t);
/** `name:token` pairs (SPEC 10.1): the name goes to the audit log as `admin:<name>`. */
export interface AdminToken {
  readonly name: string;
  readonly token: string;
}
const adminTokenList = (t: string): AdminToken[] => {
  const pairs = tokenList(t).map((item, i) => {
    const at = item.indexOf(':');
    const name = at < 0 ? '' : item.slice(0, at);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`admin token #${i + 1} must be written name:token, the name 1-64 of A-Z a-z 0-9 . _ -`);
    return { name, token: item.slice(at + 1) };
  });
  transportTokenList(pairs.map((p) => p.token).join(','));
  const names = pairs.map((p) => p.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`admin token name "${twice}" is given twice: each name must be unique, so the audit log tells the admins apart`);
  return pairs;
};
const logLevel = (t: string): LogLevel => {
  const v = t.trim() as LogLevel;
  if (!LOG_LEVELS.includes(v)) throw new Error(`"${t}" is not a log level: use one of ${LOG_LEVELS.join(', ')}`);
  return v;
};

const DAY_MS = 86_400_000;

/** The key table. Property names carry units (`...Ms`). */
export const KEYS = {
  port: key({ env: ['CHRONOS_PORT'], kvx: 'server.port', flag: 'port', default: '8080', parse: port, doc: 'HTTP port (0: any free port)' }),
  host: key({ env: ['CHRONOS_HOST'], kvx: 'server.host', flag: 'host', default: '127.0.0.1', parse: text, doc: 'bind address' }),
  databaseUrl: key({
    env: ['CHRONOS_DATABASE_URL', 'DATABASE_URL'],
    kvx: 'db.url',
    flag: 'database-url',
    default: undefined,
    defaultDoc: '(embedded)',
    parse: databaseUrl,
    doc: 'PostgreSQL URL (several hosts for failover: `postgres://u:p@pg-a:5432,pg-b:5432/chronos?target_session_attrs=primary`); unset starts an embedded PostgreSQL under the data directory',
    secret: true,
  }),
  dataDir: key({ env: ['CHRONOS_DATA_DIR'], kvx: 'db.data_dir', flag: 'data-dir', default: './.chronos', parse: text, doc: 'embedded PostgreSQL and generated dev secrets' }),
  dbPool: key({ env: ['CHRONOS_DB_POOL'], kvx: 'db.pool', flag: 'db-pool', default: '10', parse: positive(1000), doc: 'database connections for the API and maintenance; the dispatcher opens 4 of its own' }),
  dbRequestTimeoutMs: key({
    env: ['CHRONOS_DB_REQUEST_TIMEOUT'],
    kvx: 'db.request_timeout',
    flag: 'db-request-timeout',
    default: '5s',
    parse: durationIn(100, 10 * 60_000),
    doc: 'how long the database work of one API request may take (waiting for a connection included) before it is cancelled and answered 503 database_unavailable',
  }),
  dbStartTimeoutMs: key({
    env: ['CHRONOS_DB_START_TIMEOUT'],
    kvx: 'db.start_timeout',
    flag: 'db-start-timeout',
    default: '60s',
    parse: durationIn(0, DAY_MS),
    doc: 'how long chronosd and chronos migrate, at start, retry with backoff an external database they cannot connect to before exiting 1; 0s tries once',
  }),
  transportTokens: key({
    env: ['CHRONOS_TRANSPORT_TOKENS'],
    kvx: 'auth.transport_tokens',
    flag: 'transport-tokens',
    default: undefined,
    defaultDoc: '(generated with the embedded database)',
    parse: transportTokenList,
    doc: 'accepted transport bearer tokens, comma-separated; each at least 32 characters',
    secret: true,
  }),
  tokenSecrets: key({
    env: ['CHRONOS_TOKEN_SECRETS'],
    kvx: 'auth.token_secrets',
    flag: 'token-secrets',
    default: undefined,
    defaultDoc: '(generated with the embedded database)',
    parse: secretList,
    doc: 'HMAC keys for principal tokens, comma-separated; the first signs, all verify; each at least 32 bytes',
    secret: true,
  }),
  tokenTtlMs: key({ env: ['CHRONOS_TOKEN_TTL'], kvx: 'auth.token_ttl', flag: 'token-ttl', default: '1h', parse: durationIn(1000, 30 * DAY_MS), doc: 'principal token lifetime' }),
  challengeTtlMs: key({ env: ['CHRONOS_CHALLENGE_TTL'], kvx: 'auth.challenge_ttl', flag: 'challenge-ttl', default: '2m', parse: durationIn(1000, DAY_MS), doc: 'nonce lifetime' }),
  adminTokens: key({
    env: ['CHRONOS_ADMIN_TOKENS'],
    kvx: 'auth.admin_tokens',
    flag: 'admin-tokens',
    default: undefined,
    defaultDoc: '(none: the admin API and a gated /metrics refuse every request)',
    parse: adminTokenList,
    doc: 'admin API tokens as name:token, comma-separated; each token at least 32 characters, each name recorded in the audit log as admin:<name>',
    secret: true,
  }),
  routerUrl: key({ env: ['CHRONOS_ROUTER_URL'], kvx: 'wake.router_url', flag: 'router-url', default: undefined, defaultDoc: '(none: nothing fires)', parse: routerUrl, doc: 'router base URL; wakes go to <router_url>/internal/wake' }),
  wakeToken: key({ env: ['CHRONOS_WAKE_TOKEN'], kvx: 'wake.token', flag: 'wake-token', default: undefined, defaultDoc: '(none)', parse: text, doc: 'bearer token sent to the router', secret: true }),
  wakeTimeoutMs: key({ env: ['CHRONOS_WAKE_TIMEOUT'], kvx: 'wake.timeout', flag: 'wake-timeout', default: '10s', parse: durationIn(1, 10 * 60_000), doc: 'per-attempt timeout of a wake' }),
  signingKeys: key({
    env: ['CHRONOS_SIGNING_KEYS'],
    kvx: 'wake.signing_keys',
    flag: 'signing-keys',
    default: undefined,
    defaultDoc: '(generated with the embedded database)',
    parse: seedList,
    doc: 'ed25519 seeds that sign every wake, comma-separated; the first signs, all are published at /.well-known/chronos',
    secret: true,
  }),
  webhookAllowHttp: key({ env: ['CHRONOS_WEBHOOK_ALLOW_HTTP'], kvx: 'webhook.allow_http', flag: 'webhook-allow-http', default: 'false', parse: bool, doc: 'allow http:// webhook endpoints (https only otherwise)' }),
  webhookAllowHosts: key({
    env: ['CHRONOS_WEBHOOK_ALLOW_HOSTS'],
    kvx: 'webhook.allow_hosts',
    flag: 'webhook-allow-hosts',
    default: undefined,
    defaultDoc: '(none)',
    parse: parseAllowHosts,
    doc: 'host names or CIDRs that webhook endpoints may reach although they are loopback, private or otherwise not public, comma-separated',
  }),
  webhookMaxEndpoints: key({ env: ['CHRONOS_WEBHOOK_MAX_ENDPOINTS'], kvx: 'webhook.max_endpoints', flag: 'webhook-max-endpoints', default: '20', parse: positive(100_000), doc: 'webhook endpoints per owner' }),
  webhookSecretGraceMs: key({
    env: ['CHRONOS_WEBHOOK_SECRET_GRACE'],
    kvx: 'webhook.secret_grace',
    flag: 'webhook-secret-grace',
    default: '24h',
    parse: durationIn(0, 30 * DAY_MS),
    doc: 'how long a rotated endpoint secret keeps signing beside the new one',
  }),
  streamMaxConnectionsPerOwner: key({
    env: ['CHRONOS_STREAM_MAX_CONNECTIONS_PER_OWNER'],
    kvx: 'stream.max_connections_per_owner',
    flag: 'stream-max-connections-per-owner',
    default: '8',
    parse: positive(10_000),
    doc: 'open /v1/stream connections per DID, across all replicas',
  }),
  pollIntervalMs: key({ env: ['CHRONOS_POLL_INTERVAL'], kvx: 'dispatch.poll_interval', flag: 'poll-interval', default: '1s', parse: durationIn(1, 10 * 60_000), doc: 'longest sleep between claims' }),
  batchSize: key({ env: ['CHRONOS_BATCH_SIZE'], kvx: 'dispatch.batch_size', flag: 'batch-size', default: '100', parse: positive(10_000), doc: 'most alarms claimed at once' }),
  concurrency: key({ env: ['CHRONOS_CONCURRENCY'], kvx: 'dispatch.concurrency', flag: 'concurrency', default: '64', parse: positive(10_000), doc: 'wakes in flight per replica' }),
  leaseMs: key({ env: ['CHRONOS_LEASE'], kvx: 'dispatch.lease', flag: 'lease', default: '60s', parse: durationIn(100, DAY_MS), doc: 'how long a claim is held before another replica may take it' }),
  lookaheadMs: key({ env: ['CHRONOS_LOOKAHEAD'], kvx: 'dispatch.lookahead', flag: 'lookahead', default: '50ms', parse: durationIn(0, 10_000), doc: 'how early an alarm is claimed, so its wake leaves at its due instant; 0 claims only what is due' }),
  retryLadderMs: key({ env: ['CHRONOS_RETRY_LADDER'], kvx: 'dispatch.retry_ladder', flag: 'retry-ladder', default: '5s, 30s, 2m, 10m, 30m', parse: ladder, doc: 'waits between attempts of one occurrence: N steps allow N+1 attempts' }),
  drainTimeoutMs: key({ env: ['CHRONOS_DRAIN_TIMEOUT'], kvx: 'dispatch.drain_timeout', flag: 'drain-timeout', default: '10s', parse: durationIn(0, 10 * 60_000), doc: 'how long shutdown waits for wakes in flight' }),
  maxConsecutiveFailures: key({ env: ['CHRONOS_MAX_CONSECUTIVE_FAILURES'], kvx: 'dispatch.max_consecutive_failures', flag: 'max-consecutive-failures', default: '5', parse: positive(1_000_000), doc: 'failed occurrences in a row before a recurring alarm is failed' }),
  ownerConcurrency: key({
    env: ['CHRONOS_OWNER_CONCURRENCY'],
    kvx: 'dispatch.owner_concurrency',
    flag: 'owner-concurrency',
    default: '16',
    parse: positive(10_000),
    doc: 'wakes in flight per replica for one owner at most, so one owner\'s flood cannot hold every slot',
  }),
  maxCatchup: key({
    env: ['CHRONOS_MAX_CATCHUP'],
    kvx: 'dispatch.max_catchup',
    flag: 'max-catchup',
    default: '100',
    parse: positive(100_000),
    doc: 'most missed occurrences an alarm with misfire "all" fires after downtime, a pause or a suspension (the most recent ones)',
  }),
  misfireThresholdMs: key({
    env: ['CHRONOS_MISFIRE_THRESHOLD'],
    kvx: 'dispatch.misfire_threshold',
    flag: 'misfire-threshold',
    default: '60s',
    parse: durationIn(1_000, DAY_MS),
    doc: 'an occurrence sent later than this after its time was missed (downtime, suspension): misfire "skip" drops it',
  }),
  maxActiveAlarms: key({ env: ['CHRONOS_MAX_ACTIVE_ALARMS'], kvx: 'limits.max_active_alarms', flag: 'max-active-alarms', default: '10000', parse: positive(100_000_000), doc: 'alarms in scheduled or firing per owner' }),
  rateLimit: key({ env: ['CHRONOS_RATE_LIMIT'], kvx: 'limits.rate', flag: 'rate-limit', default: '50/s burst 200', parse: rate, doc: 'per principal on alarm routes, per client address on auth routes; held by the whole deployment, not per replica' }),
  fireRetentionMs: key({ env: ['CHRONOS_FIRE_RETENTION'], kvx: 'retention.fires', flag: 'fire-retention', default: '30d', parse: durationIn(60_000, 3650 * DAY_MS), doc: 'how long fire history is kept' }),
  alarmRetentionMs: key({
    env: ['CHRONOS_ALARM_RETENTION'],
    kvx: 'retention.alarms',
    flag: 'alarm-retention',
    default: '30d',
    // At least an hour: longer than any wake can still be on the wire (wake.timeout is at most 10 minutes).
    parse: durationIn(3_600_000, 3650 * DAY_MS),
    doc: 'how long a completed, failed or cancelled alarm is kept, with its fire history, before it is deleted (at least 1h)',
  }),
  auditRetentionMs: key({ env: ['CHRONOS_AUDIT_RETENTION'], kvx: 'retention.audit', flag: 'audit-retention', default: '90d', parse: durationIn(3_600_000, 3650 * DAY_MS), doc: 'how long audit log rows are kept (at least 1h)' }),
  metricsEnabled: key({ env: ['CHRONOS_METRICS_ENABLED'], kvx: 'metrics.enabled', flag: 'metrics-enabled', default: 'true', parse: bool, doc: 'serve Prometheus metrics at GET /metrics' }),
  metricsPublic: key({ env: ['CHRONOS_METRICS_PUBLIC'], kvx: 'metrics.public', flag: 'metrics-public', default: 'false', parse: bool, doc: 'serve /metrics without an admin token (Authorization: Bearer <admin token> otherwise)' }),
  logLevel: key({ env: ['CHRONOS_LOG_LEVEL'], kvx: 'log.level', flag: 'log-level', default: 'info', parse: logLevel, doc: 'pino log level' }),
} as const;

type Keys = typeof KEYS;
type Parsed<K extends keyof Keys> = ReturnType<Keys[K]['parse']>;

/** The loaded, frozen configuration. Keys without a default may be undefined. */
export type Config = {
  readonly [K in keyof Keys]: Keys[K]['default'] extends string ? Parsed<K> : Parsed<K> | undefined;
};
