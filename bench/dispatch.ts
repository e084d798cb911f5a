/**
 * Dispatch lateness: a real chronosd process wakes a router stub (node:http,
 * answers 204 at once, records receive times); lateness = received - due.
 * - burst: N alarms due at one instant.
 * - steady: R alarms a second, each due at its own instant, for D seconds.
 * Alarms are bulk-inserted through the store and announced with a NOTIFY,
 * as the API does for near alarms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { startEmbedded, type EmbeddedServer } from '../src/db/embedded.js';
import { openDatabase, type Database } from '../src/db/pool.js';
import { fireIdFor, newAlarmId } from '../src/ids.js';
import { bulkInsertOnceAlarms } from '../src/store/alarms.js';
import { notifyDue } from '../src/store/claims.js';

const OWNER = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';
const log = pino({ level: 'warn' });

/** What one run measured. */
export interface LatenessReport {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly spanMs: number;
  readonly duplicates: number;
}

interface Stub {
  readonly server: Server;
  readonly url: string;
  received: Map<string, { at: number; due: number }>;
  duplicates: number;
  onCount?: (n: number) => void;
}

function startStub(): Promise<Stub> {
  const stub: Stub = { server: undefined as unknown as Server, url: '', received: new Map(), duplicates: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      res.writeHead(204).end();
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { fire_id: string; scheduled_for: string };
      if (stub.received.has(body.fire_id)) stub.duplicates++;
      else stub.received.set(body.fire_id, { at, due: Date.parse(body.scheduled_for) });
      stub.onCount?.(stub.received.size);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      Object.assign(stub, { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      resolve(stub);
    }),
  );
}

async function startChronosd(databaseUrl: string, routerUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), new URL('../src/bin/chronosd.ts', import.meta.url).pathname, '--port', '0'], {
    env: {
      PATH: process.env.PATH ?? '',
      CHRONOS_DATABASE_URL: databaseUrl,
      CHRONOS_TRANSPORT_TOKENS: 'bench-transport-token',
      CHRONOS_TOKEN_SECRETS: 'bench-token-secret-0123456789abcdefghijklmnop',
      CHRONOS_ROUTER_URL: routerUrl,
      CHRONOS_LOG_LEVEL: 'info',
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_CHRONOS_')).map(([k, v]) => [k.slice(6), v])),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"chronosd listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`chronosd exited with ${code}`)));
  });
  return child;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(database: Database, stub: Stub, dues: Date[]): Promise<LatenessReport> {
  stub.received = new Map();
  stub.duplicates = 0;
  const all = new Promise<void>((resolve) => {
    stub.onCount = (n) => n >= dues.length && resolve();
  });
  await bulkInsertOnceAlarms(database.db, OWNER, dues, newAlarmId, fireIdFor);
  await notifyDue(database.db, dues[0]!);
  await all;
  const lateness = [...stub.received.values()].map((r) => r.at - r.due).sort((a, b) => a - b);
  const first = Math.min(...dues.map((d) => d.getTime()));
  const last = Math.max(...[...stub.received.values()].map((r) => r.at));
  const round = (x: number) => Math.round(x * 10) / 10;
  return { n: lateness.length, p50: round(percentile(lateness, 50)), p99: round(percentile(lateness, 99)), max: round(lateness[lateness.length - 1]!), spanMs: Math.round(last - first), duplicates: stub.duplicates };
}

/** Runs burst and steady against one chronosd; prints a Markdown table. */
export async function benchDispatch(options: { burst: number; rate: number; seconds: number; databaseUrl?: string }): Promise<void> {
  let embedded: EmbeddedServer | undefined;
  let url = options.databaseUrl;
  if (!url) {
    embedded = await startEmbedded({ dir: join(mkdtempSync(join(tmpdir(), 'chronos-bench-')), 'pg'), log });
    url = embedded.url;
  }
  const database = openDatabase(url, 4, log);
  const stub = await startStub();
  const chronosd = await startChronosd(url, stub.url);
  try {
    const at = new Date(Date.now() + 2_000);
    const burst = await measure(database, stub, Array.from({ length: options.burst }, () => at));
    const start = Date.now() + 2_000;
    const n = options.rate * options.seconds;
    const steady = await measure(database, stub, Array.from({ length: n }, (_, i) => new Date(start + Math.round((i * 1000) / options.rate))));
    console.log('## dispatch: lateness at the router (received - due)\n');
    console.log('| scenario | wakes | p50 ms | p99 ms | max ms | first due to last received | duplicates |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    console.log(`| burst: ${options.burst} due at one instant | ${burst.n} | ${burst.p50} | ${burst.p99} | ${burst.max} | ${burst.spanMs} ms | ${burst.duplicates} |`);
    console.log(`| steady: ${options.rate}/s for ${options.seconds} s | ${steady.n} | ${steady.p50} | ${steady.p99} | ${steady.max} | ${steady.spanMs} ms | ${steady.duplicates} |`);
    console.log('');
  } finally {
    chronosd.kill('SIGTERM');
    await new Promise((r) => chronosd.once('exit', r));
    stub.server.close();
    await database.close();
    await embedded?.stop();
  }
}
