/**
 * chronosd under test: real chronosd processes (the replicas scenario starts
 * several on one database), alarms bulk-inserted through the store and
 * announced with a NOTIFY, as the API does for near alarms. By default the
 * code of this checkout; with a root, another checkout's (`--baseline`, a
 * worktree of another commit), started, seeded and measured the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { parseSeed } from '../../src/auth/seed.js';
import { ChronosClient } from '../../src/client/client.js';
import { openDatabase, type Database } from '../../src/db/pool.js';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { CURRENT_ROOT } from '../baseline.js';
import { bulkInsertOnceAlarms, insertBenchEndpoint, missingSeededColumns, notifyDue } from '../seed.js';
import { cpuSecondsOfAll, rssBytesOfAll } from './proc.js';
import { BENCH_OWNER } from '../peers/alarm.js';
import type { SystemContext, SystemUnderTest } from './system.js';
import { terminate } from './worker-process.js';

export const BENCH_TRANSPORT_TOKEN = 'bench-transport-token-0123456789abcdef';
const BENCH_TOKEN_SECRET = 'bench-token-secret-0123456789abcdefghijklmnop';
const BENCH_SIGNING_KEY = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';

/** chronosd settings for the bench; BENCH_CHRONOS_* variables override them (e.g. BENCH_CHRONOS_CONCURRENCY=128). */
function chronosEnv(): Record<string, string> {
  const overrides = Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_CHRONOS_'));
  return {
    // The api scenario drives 50 principals at up to thousands of creates a second: the per-principal limit is not under test.
    CHRONOS_RATE_LIMIT: '100000/s burst 100000',
    CHRONOS_MAX_ACTIVE_ALARMS: '100000000',
    // The webhook target's endpoint is the router stub on this machine.
    CHRONOS_WEBHOOK_ALLOW_HTTP: 'true',
    CHRONOS_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    ...Object.fromEntries(overrides.map(([k, v]) => [k.slice('BENCH_'.length), v ?? ''])),
  };
}

/**
 * Where the bench's chronosd sends its wakes: the router (SPEC 6), a webhook
 * endpoint at the same stub (SPEC 8.2), or the owner's stream (SPEC 8.3), on
 * which the stub listens with one connection per process.
 */
export type BenchTarget = 'router' | 'webhook' | 'stream';

// The secret key of BENCH_OWNER (RFC 8032 test 1), to listen on its stream.
const BENCH_OWNER_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

/** Which chronosd: the checkout it runs from, and its name in the report. */
export interface ChronosdCode {
  /** Root of the checkout whose `src/bin/chronosd.ts` runs. */
  readonly root: string;
  /** Its name in the tables, e.g. `chronosd@dac04e7`. */
  readonly name: string;
  /** What code that is, for the settings list: its commit and subject. */
  readonly code: string;
}

export class Chronosd implements SystemUnderTest {
  readonly name: string;
  readonly settings: string;
  private readonly bin: string;
  private children: ChildProcess[] = [];
  private database: Database | undefined;
  /** Base URLs of the running processes. */
  urls: string[] = [];

  private target: string | undefined;
  private listening: SystemContext['stub'] | undefined;

  /** This checkout's chronosd unless `code` names another; wakes to the router unless `via` says webhook. */
  constructor(
    code?: ChronosdCode,
    private readonly via: BenchTarget = 'router',
  ) {
    this.name = `${code?.name ?? 'chronosd'}${via === 'router' ? '' : ` (${via})`}`;
    this.bin = join(code?.root ?? CURRENT_ROOT, 'src', 'bin', 'chronosd.ts');
    const settings = `defaults (concurrency 64, batch 100, lookahead 50 ms, pool 10, log level info to a file) except ${Object.entries(chronosEnv()).map(([k, v]) => `${k}=${v}`).join(', ')}`;
    this.settings = code ? `${settings}; code: ${code.code}` : settings;
  }

  async start(ctx: SystemContext): Promise<void> {
    this.database = openDatabase(ctx.databaseUrl, 4, pino({ level: 'warn' }));
    // One at a time: the first migrates, the others find the schema in place.
    for (let i = 0; i < ctx.processes; i++) this.urls.push(await this.spawnOne(ctx));
    // The bench seeds every chronosd through its own helper (seed.ts): the schema this code migrated to must have its columns.
    const missing = await missingSeededColumns(this.database.db);
    if (missing.length > 0) {
      await this.stop();
      throw new Error(`${this.name}: its alarms table has no ${missing.join(', ')}, which bench/seed.ts inserts`);
    }
    if (this.via === 'webhook') {
      const endpoint = await insertBenchEndpoint(this.database.db, BENCH_OWNER, `${ctx.routerUrl}/internal/wake`);
      this.target = JSON.stringify({ type: 'webhook', endpoint });
    }
    if (this.via === 'stream') {
      this.target = JSON.stringify({ type: 'stream' });
      for (const url of this.urls) {
        const owner = new ChronosClient({ url, transportToken: BENCH_TRANSPORT_TOKEN, seed: parseSeed(BENCH_OWNER_SEED) });
        const headers = { Authorization: `Bearer ${BENCH_TRANSPORT_TOKEN}`, 'X-Chronos-Principal': (await owner.principal()).token };
        await ctx.stub.listen(`${url.replace(/^http/, 'ws')}/v1/stream`, headers, 1);
      }
      this.listening = ctx.stub;
    }
  }

  private async spawnOne(ctx: SystemContext): Promise<string> {
    // Logs go to a file, as an operator's would: reading them through a pipe would cost the bench CPU.
    const logFile = join(mkdtempSync(join(tmpdir(), 'chronos-bench-log-')), 'chronosd.log');
    // BENCH_NODE_ARGS: extra node flags for chronosd, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...nodeArgs, '--import', import.meta.resolve('tsx'), this.bin, '--port', '0'], {
      env: {
        PATH: process.env.PATH ?? '',
        CHRONOS_DATABASE_URL: ctx.databaseUrl,
        CHRONOS_TRANSPORT_TOKENS: BENCH_TRANSPORT_TOKEN,
        CHRONOS_TOKEN_SECRETS: BENCH_TOKEN_SECRET,
        CHRONOS_SIGNING_KEYS: BENCH_SIGNING_KEY,
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
    await bulkInsertOnceAlarms(this.database!.db, BENCH_OWNER, dues, newAlarmId, fireIdFor, this.target);
    await notifyDue(this.database!.db, new Date(Math.min(...dues.slice(0, 10_000).map((d) => d.getTime()))));
  }

  /** Schedules once alarms of `owner` (not the bench's owner) due at `dues`; returns their fire ids. */
  async scheduleAs(owner: string, dues: readonly Date[]): Promise<string[]> {
    const ids = await bulkInsertOnceAlarms(this.database!.db, owner, dues, newAlarmId, fireIdFor, this.target);
    await notifyDue(this.database!.db, new Date(Math.min(...dues.map((d) => d.getTime()))));
    return ids.map((id, i) => fireIdFor(id, dues[i]!));
  }

  cpuSeconds(): number {
    return cpuSecondsOfAll(this.children);
  }

  rssBytes(): number {
    return rssBytesOfAll(this.children);
  }

  async stop(): Promise<void> {
    this.listening?.unlisten();
    this.listening = undefined;
    await Promise.all(this.children.map(terminate));
    this.children = [];
    this.urls = [];
    await this.database?.close();
    this.database = undefined;
  }
}
