/** Stream listeners in tests: alarms with a target, and WebSocket clients that record what they receive. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import WebSocket from 'ws';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ChronosClient } from '../../src/client/client.js';
import { loadConfig } from '../../src/config/load.js';
import { startDaemon } from '../../src/daemon.js';
import type { Database } from '../../src/db/pool.js';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { TEST_SECRETS } from './daemon.js';

/** The owner of test alarms. */
export const OWNER = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';

/** What the inserted alarms are like. */
export interface TestAlarms {
  readonly n: number;
  readonly at: Date;
  readonly owner?: string;
  readonly target?: 'router' | 'stream';
  readonly tags?: readonly string[];
}

/** Inserts `n` once alarms due at `at`, straight into the table (one statement); returns their ids. */
export async function insertAlarms(database: Database, o: TestAlarms): Promise<string[]> {
  const ids = Array.from({ length: o.n }, () => newAlarmId());
  const items = JSON.stringify(ids.map((id) => ({ id, fire_id: fireIdFor(id, o.at) })));
  await sql`
    INSERT INTO alarms (id, owner, kind, at, wake_message, next_fire_at, occurrence_at, fire_id, target, tags)
    SELECT i.id, ${o.owner ?? OWNER}, 'once', ${o.at}, 'wake up', ${o.at}, ${o.at}, i.fire_id,
           jsonb_build_object('type', ${o.target ?? 'stream'}::text), ${[...(o.tags ?? [])]}::text[]
    FROM json_to_recordset(${items}::text::json) AS i(id text, fire_id text)`.execute(database.db);
  return ids;
}

/** A message a test client received: its text and, when it is JSON, its value. */
export interface Received {
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** A connected test client and what it received. */
export interface TestClient {
  readonly ws: WebSocket;
  readonly received: Received[];
  /** Resolves with the first received message (past or future) that `pred` accepts. */
  next(pred: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** Resolves once the connection is closed, with its close code. */
  readonly closed: Promise<number>;
  send(value: unknown): void;
}

/** Wraps an open or opening WebSocket. */
export function testClient(ws: WebSocket): TestClient {
  const received: Received[] = [];
  const waiters: { pred: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: kept as text
    }
    const m = { text, json };
    received.push(m);
    for (const w of [...waiters]) {
      if (!w.pred(m)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return {
    ws,
    received,
    closed,
    send: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)),
    next(pred, timeoutMs = 10_000) {
      const seen = received.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs}ms; received: ${received.map((r) => r.text).join('\n')}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
      });
    },
  };
}

/** How a test connects: the transport token, the principal token, tags, and whether tokens go as headers or in the query. */
export interface ConnectOptions {
  readonly transport?: string;
  readonly principal?: string;
  readonly tags?: string;
  readonly via?: 'headers' | 'query';
}

/** The URL and headers of a GET /v1/stream upgrade against `baseUrl` (http://...). */
export function streamRequest(baseUrl: string, o: ConnectOptions): { url: string; headers: Record<string, string> } {
  const url = new URL('/v1/stream', baseUrl.replace(/^http/, 'ws'));
  const headers: Record<string, string> = {};
  if (o.tags !== undefined) url.searchParams.set('tags', o.tags);
  if (o.via === 'query') {
    if (o.transport !== undefined) url.searchParams.set('access_token', o.transport);
    if (o.principal !== undefined) url.searchParams.set('principal', o.principal);
  } else {
    if (o.transport !== undefined) headers.authorization = `Bearer ${o.transport}`;
    if (o.principal !== undefined) headers['x-chronos-principal'] = o.principal;
  }
  return { url: url.href, headers };
}

/**
 * Connects to the stream and resolves once the server said `ready` (the
 * connection is a listener every replica sees); rejects with the refusal's
 * status and body when the upgrade is refused.
 */
export function connectStream(baseUrl: string, o: ConnectOptions): Promise<TestClient & { ready: Record<string, unknown> }> {
  const { url, headers } = streamRequest(baseUrl, o);
  const ws = new WebSocket(url, { headers });
  const client = testClient(ws);
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(`refused: ${res.statusCode} ${body}`), { status: res.statusCode, body: JSON.parse(body) as unknown })));
    });
    ws.on('error', reject);
    client.next((m) => m.json.type === 'ready').then((ready) => resolve(Object.assign(client, { ready: ready.json })), reject);
  });
}

/** A chronosd running in this process against a shared database. */
export interface Replica {
  readonly url: string;
  stop(): Promise<void>;
}

/** The secrets every replica shares (an external database requires them configured). */
export const REPLICA_SECRETS = TEST_SECRETS;

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Starts chronosd in this process on `databaseUrl`, dispatching to
 * `routerUrl` (a replica without one serves no stream), with fast test
 * settings that `env` overrides; stopped at teardown.
 */
export async function startReplica(t: Teardown, databaseUrl: string, routerUrl: string | undefined, env: Record<string, string> = {}): Promise<Replica> {
  const dir = mkdtempSync(join(tmpdir(), 'chronos-stream-'));
  const configPath = join(dir, 'empty.kvx');
  writeFileSync(configPath, '');
  const { config } = loadConfig(
    { configPath, values: new Map() },
    {
      CHRONOS_DATABASE_URL: databaseUrl,
      CHRONOS_PORT: '0',
      ...(routerUrl ? { CHRONOS_ROUTER_URL: routerUrl } : {}),
      CHRONOS_POLL_INTERVAL: '200ms',
      CHRONOS_RETRY_LADDER: '200ms, 200ms, 200ms',
      CHRONOS_WAKE_TIMEOUT: '2s',
      CHRONOS_DRAIN_TIMEOUT: '1s',
      ...REPLICA_SECRETS,
      ...env,
    },
  );
  const daemon = await startDaemon(config, pino({ level: process.env.TEST_LOG ?? 'silent' }));
  t.teardown(() => daemon.stop());
  return { url: daemon.url, stop: () => daemon.stop() };
}

/** A new agent (its own key) talking to `replica`. */
export function agent(replica: Replica, seed: Uint8Array = generateSeed()): ChronosClient {
  return new ChronosClient({ url: replica.url, transportToken: REPLICA_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed });
}

/** The signed body of a stream wake, recovered as docs/targets.md tells a receiver to. */
export function signedBody(text: string): string {
  return `${text.slice(0, text.lastIndexOf(',"signature":'))}}`;
}
