/**
 * The start's wait for an external database that is not up yet (started in
 * the same compose file, failing over, still in recovery): connection errors
 * are retried with capped, jittered backoff up to `db.start_timeout`; a
 * refusal that no wait can cure (wrong password, no such database) fails at
 * once.
 */
import { splitHosts } from '../config/database-url.js';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ConfigError } from '../config/kvx.js';
import { formatDuration } from '../config/units.js';
import { isConnectionError } from './errors.js';
import { probeDatabase } from './pool.js';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

// invalid_authorization_specification, invalid_password, invalid_catalog_name: the URL names a role, password or database the server does not have.
const WRONG_URL_CODES = new Set(['28000', '28P01', '3D000']);

/** The wait before retry `attempt` (1, 2, ...): doubling from 250 ms to at most 5 s, its upper half random so replicas started together spread out. */
export function startRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** `host:port/database` of a PostgreSQL URL (`h1:5432,h2:5432/database` for several hosts): what the logs may say about it (never the user or password). */
export function describeDatabaseUrl(url: string): string {
  const { first, hosts } = splitHosts(url);
  const u = new URL(first);
  const host = u.hostname || u.searchParams.get('host') || 'localhost';
  const port = u.port || u.searchParams.get('port') || '5432';
  const database = decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'postgres';
  return `${hosts.length ? hosts.map((h) => (h.includes(':') ? h : `${h}:5432`)).join(',') : `${host}:${port}`}/${database}`;
}

/** Options for {@link waitForDatabase}; the clock, sleep and randomness are injectable for tests. */
export interface WaitOptions {
  /** The configured URL, described in logs and errors without its credentials. */
  readonly url: string;
  /** Total time to keep retrying; 0 tries once. */
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Aborting ends the wait at its next sleep, which then throws the signal's reason (a SIGTERM during the start). */
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Resolves once a connection to the database at `url` opens and authenticates.
 * Throws ConfigError when the server refuses the URL's role, password or
 * database, and an Error naming CHRONOS_DATABASE_URL and the last error
 * once `timeoutMs` has passed (give or take one connect attempt, which the
 * connect timeout of 5 s bounds).
 */
export async function waitForDatabase(options: WaitOptions): Promise<void> {
  const { url, timeoutMs, log, signal, now = Date.now, sleep = abortableSleep, random = Math.random } = options;
  const database = describeDatabaseUrl(url);
  const startedMs = now();
  for (let attempt = 1; ; attempt++) {
    try {
      await probeDatabase(url);
      if (attempt > 1) log.info({ database, attempts: attempt, waited_ms: now() - startedMs }, 'database reachable');
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const reason = describeError(err);
      if (typeof code === 'string' && WRONG_URL_CODES.has(code)) {
        throw new ConfigError(`CHRONOS_DATABASE_URL: the server at ${database} refused it: ${reason}`);
      }
      if (!isConnectionError(err)) throw new Error(`the database at ${database} (CHRONOS_DATABASE_URL) could not be connected to: ${reason}`);
      const leftMs = startedMs + timeoutMs - now();
      if (leftMs <= 0) {
        throw new Error(`no database reachable at ${database} (CHRONOS_DATABASE_URL) within db.start_timeout (${formatDuration(timeoutMs)}): ${reason}`);
      }
      const retryInMs = Math.min(startRetryDelayMs(attempt, random), leftMs);
      log.warn({ database, code, error: reason, attempt, retry_in_ms: retryInMs, gives_up_in_ms: leftMs }, 'waiting for the database of CHRONOS_DATABASE_URL');
      await sleep(retryInMs, signal);
      signal?.throwIfAborted();
    }
  }
}

/** The error's message, with its code when the message does not already carry it. */
function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

// Resolves early, without an error, when `signal` aborts: the caller looks at the signal.
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => {});
}
