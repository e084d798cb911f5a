/**
 * chronosd under test: real chronosd processes (the replicas scenario starts
 * several on one database), alarms bulk-inserted through the store and
 * announced with a NOTIFY, as the API does for near alarms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { openDatabase, type Database } from '../../src/db/pool.js';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { bulkInsertOnceAlarms, notifyDue } from '../seed.js';
import { cpuSecondsOfAll, rssBytesOfAll } from './proc.js';
import { BENCH_OWNER } from '../peers/alarm.js';
import type { SystemContext, SystemUnderTest } from './system.js';
import { terminate } from './worker-process.js';

export const BENCH_TRANSPORT_TOKEN = 'bench-transport-token';
const BENCH_TOKEN_SECRET = 'bench-token-secret-0123456789abcdefghijklmnop';

/** chronosd settings for the bench; BENCH_CHRONOS_* variables override them (e.g. BENCH_CHRONOS_CONCURRENCY=128). */
function chronosEnv(): Record<string, string> {
  const overrides = Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_CHRONOS_'));
  return {
    // The api scenario drives 50 principals at up to thousands of creates a second: the per-principal limit is not under test.
    CHRONOS_RATE_LIMIT: '100000/s burst 100000',
    CHRONOS_MAX_ACTIVE_ALARMS: '100000000',
    ...Object.fromEntries(overrides.map(([k, v]) => [k.slice('BENCH_'.length), v ?? ''])),
  };
}

export class Chronosd implements SystemUnderTest {
  readonly name = 'chronosd';
  readonly settings = `defaults (concurrency 64, batch 100, lookahead 50 ms, pool 10, log level info to a file) except ${Object.entries(chronosEnv()).map(([k, v]) => `${k}=${v}`).join(', ')}`;
  private children: ChildProcess[] = [];
  private database: Database | undefined;
  /** Base URLs of the running processes. */
  urls: string[] = [];

  async start(ctx: SystemContext): Promise<void> {
    this.database = openDatabase(ctx.databaseUrl, 4, pino({ level: 'warn' }));
    // One at a time: the first migrates, the others find the schema in place.
    for (let i = 0; i < ctx.processes; i++) this.urls.push(await this.spawnOne(ctx));
  }

  private async spawnOne(ctx: SystemContext): Promise<string> {
    // Logs go to a file, as an operator's would: reading them through a pipe would cost the bench CPU.
    const logFile = join(mkdtempSync(join(tmpdir(), 'chronos-bench-log-')), 'chronosd.log');
    // BENCH_NODE_ARGS: extra node flags for chronosd, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, '--import', import.meta.resolve('tsx'), new URL('../../src/bin/chronosd.ts', import.meta.url).pathname, '--port', '0'], {
      env: {
        PATH: process.env.PATH ?? '',
        CHRONOS_DATABASE_URL: ctx.databaseUrl,
        CHRONOS_TRANSPORT_TOKENS: BENCH_TRANSPORT_TOKEN,
        CHRONOS_TOKEN_SECRETS: BENCH_TOKEN_SECRET,
        CHRONOS_ROUTER_URL: ctx.routerUrl,
        ...chronosEnv(),
      },
      // Away from the repository, so its chronos.config.kvx is not read.
      cwd: dirname(logFile),
      stdio: ['ignore', openSync(logFile, 'a'), 'inherit'],
    });
    this.children.push(child);
    let exited: number | null = null;
    child.once('exit', (code) => (exited = code ?? -1));
    for (;;) {
      const listening = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('"chronosd listening"'));
      if (listening) return (JSON.parse(listening) as { url: string }).url;
      if (exited !== null) throw new Error(`chronosd exited with ${exited}; its log: ${logFile}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async schedule(dues: readonly Date[]): Promise<void> {
    await bulkInsertOnceAlarms(this.database!.db, BENCH_OWNER, dues, newAlarmId, fireIdFor);
    await notifyDue(this.database!.db, new Date(Math.min(...dues.slice(0, 10_000).map((d) => d.getTime()))));
  }

  cpuSeconds(): number {
    return cpuSecondsOfAll(this.children);
  }

  rssBytes(): number {
    return rssBytesOfAll(this.children);
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map(terminate));
    this.children = [];
    this.urls = [];
    await this.database?.close();
    this.database = undefined;
  }
}
