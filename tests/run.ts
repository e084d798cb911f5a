/**
 * `npm test`: starts one embedded PostgreSQL for the whole run, migrates a
 * template database, runs tap (extra arguments pass through), then stops and
 * wipes the server. Test files clone the template (tests/helpers/db.ts).
 * Each run has a directory of its own, so runs can go side by side.
 *
 * tap's test class is built with the plugins package.json names; a fresh
 * `npm ci` holds it built with tap's defaults. tap rebuilds it by itself,
 * but only after its runner has read the old plugins' loaders, so every test
 * file of that run would load @tapjs/typescript's (ts-node and TypeScript,
 * about 2 s of CPU a file, unused: tsx compiles). CI always runs on a fresh
 * install, so the build is done here first, while PostgreSQL starts.
 */
import { TapConfig } from '@tapjs/config';
import { signature } from '@tapjs/test';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import postgres from 'postgres';
import { isAlive } from '../src/db/data-dir-lock.js';
import { startEmbedded } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { ensureDatabase } from '../src/db/pool.js';
import { TEMPLATE_DB } from './helpers/db.js';

const log = pino({ level: process.env.TEST_PG_LOG ?? 'warn' });
const TAP = join('node_modules', 'tap', 'dist', 'esm', 'run.mjs');

/** Builds tap's test class when it was built with other plugins than package.json names (as after `npm ci`). */
async function buildTap(): Promise<void> {
  if ((await TapConfig.load()).pluginSignature === signature) return;
  const build = spawn(process.execPath, [TAP, 'build'], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => build.on('exit', resolve));
  if (code !== 0) throw new Error(`tap build exited with ${code}`);
}
// @tapjs/config and @tapjs/test are tap's own packages (installed with it): what its runner compares.
const tapBuilt = buildTap();
tapBuilt.catch(() => {}); // awaited below, after PostgreSQL has started

const RUN_PREFIX = 'chronos-test-pg-';
const runDir = join(tmpdir(), `${RUN_PREFIX}${process.pid}`);
const dir = join(runDir, 'pg');

// A killed run can leave its server running: stop those of runs that are gone, and wipe them.
for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(RUN_PREFIX))) {
  const pid = Number(name.slice(RUN_PREFIX.length));
  if (!Number.isInteger(pid) || isAlive(pid)) continue;
  const leftover = join(tmpdir(), name);
  if (existsSync(join(leftover, 'pg'))) await (await startEmbedded({ dir: join(leftover, 'pg'), log })).stop();
  rmSync(leftover, { recursive: true, force: true });
}
const server = await startEmbedded({ dir, log });
let code = 1;
try {
  await tapBuilt;
  await ensureDatabase(server.adminUrl, TEMPLATE_DB);
  const sql = postgres(server.adminUrl.replace(/\/postgres$/, `/${TEMPLATE_DB}`), { max: 1, onnotice: () => {} });
  await migrate(sql, log);
  await sql.end();
  const tap = spawn(process.execPath, [TAP, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, CHRONOS_TEST_ADMIN_URL: server.adminUrl },
  });
  const forward = (signal: NodeJS.Signals) => tap.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  code = await new Promise<number>((resolve) => tap.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
} finally {
  await server.stop();
  rmSync(runDir, { recursive: true, force: true });
}
process.exit(code);
