/**
 * The api scenario: creates over HTTP with auth, against one chronosd.
 * - throughput: `clients` agents (each its own DID and principal token), one
 *   request in flight each, as fast as answers come back;
 * - latency: an open loop at a fixed rate, each request timed from the
 *   instant it was due to be sent, so a slow answer cannot hide the
 *   requests queued behind it.
 * Requests go through an undici keep-alive pool.
 */
import type { Pool } from 'undici';
import { ChronosClient } from '../src/client/client.js';
import { generateSeed } from '../src/auth/ed25519.js';
import { post, postPool } from './post.js';
import { percentile } from './stats.js';

/** What one phase measured. */
export interface ApiReport {
  readonly created: number;
  readonly errors: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

interface Principal {
  readonly headers: Record<string, string>;
}

async function principals(url: string, transportToken: string, n: number): Promise<Principal[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const client = new ChronosClient({ url, transportToken, seed: generateSeed() });
      const { token } = await client.principal();
      return { headers: { Authorization: `Bearer ${transportToken}`, 'X-Chronos-Principal': token, 'Content-Type': 'application/json' } };
    }),
  );
}

function createOne(pool: Pool, url: URL, who: Principal, n: number): Promise<number> {
  return post(pool, url, who.headers, JSON.stringify({ kind: 'once', delay: '1h', wake_message: 'bench: check the queue', payload: { n, tags: ['a', 'b'] } }));
}

function summarise(latencies: number[], statuses: number[], seconds: number): ApiReport {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => Math.round(percentile(sorted, p) * 10) / 10;
  const created = statuses.filter((s) => s === 201).length;
  return { created, errors: statuses.length - created, perSecond: Math.round(created / seconds), p50: at(50), p99: at(99) };
}

/** Closed loop: `clients` agents back to back for `seconds`. */
export async function apiThroughput(baseUrl: string, transportToken: string, clients: number, seconds: number): Promise<ApiReport> {
  const url = new URL('/v1/alarms', baseUrl);
  const who = await principals(baseUrl, transportToken, clients);
  const pool = postPool(url, clients);
  const latencies: number[] = [];
  const statuses: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    who.map(async (p) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        statuses.push(await createOne(pool, url, p, statuses.length));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const report = summarise(latencies, statuses, (performance.now() - started) / 1000);
  await pool.close();
  return report;
}

/** Open loop: `rate` creates a second for `seconds`, spread over `clients` agents. */
export async function apiAtRate(baseUrl: string, transportToken: string, clients: number, rate: number, seconds: number): Promise<ApiReport> {
  const url = new URL('/v1/alarms', baseUrl);
  const who = await principals(baseUrl, transportToken, clients);
  const pool = postPool(url, clients * 4);
  const total = rate * seconds;
  const latencies: number[] = [];
  const statuses: number[] = [];
  const inflight: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const dueAt = started + (sent * 1000) / rate;
      inflight.push(
        createOne(pool, url, who[sent % clients]!, sent).then((status) => {
          statuses.push(status);
          latencies.push(performance.now() - dueAt);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const report = summarise(latencies, statuses, seconds);
  await pool.close();
  return report;
}
