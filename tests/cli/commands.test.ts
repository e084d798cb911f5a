/**
 * The command line's usage (issue 17 #7, #8, #10): --help on every command,
 * one line naming the flag for every bad flag, exit 2 (SPEC 7), and an
 * unreachable chronosd named as such.
 */
import { createServer } from 'node:net';
import t from 'tap';
import { spawnCli } from '../helpers/daemon.js';
import { cli } from '../helpers/cli.js';

const COMMANDS = [[], ['serve'], ['migrate'], ['dev'], ['schedule'], ['keygen'], ['token'], ['mcp'], ['alarm'], ['alarm', 'set'], ['alarm', 'get'], ['alarm', 'list'], ['alarm', 'cancel'], ['alarm', 'update'], ['alarm', 'pause'], ['alarm', 'resume'], ['alarm', 'fire'], ['alarm', 'history']];

t.test('--help and -h work on every command and subcommand: usage on stdout, exit 0', async (t) => {
  for (const path of COMMANDS) {
    for (const help of ['--help', '-h']) {
      const name = ['chronos', ...path].join(' ');
      const run = await cli([...path, help]);
      t.equal(run.code, 0, `${name} ${help} exits 0`);
      t.equal(run.err, '', `${name} ${help} prints nothing on stderr`);
      t.ok(run.out.startsWith(`usage: ${name} `), `${name} ${help} prints its usage`);
    }
  }
  const chronosd = await cli(['--help'], 'chronosd');
  t.equal(chronosd.code, 0);
  t.match(chronosd.out, /^usage: chronosd \[flags\]\n[^]*--database-url URL +PostgreSQL URL/);
  t.equal((await cli(['help', 'alarm', 'set'])).out, (await cli(['alarm', 'set', '--help'])).out, 'chronos help alarm set');
  t.equal((await cli(['alarm', 'set', '--max-fires', 'abc', '--help'])).code, 0, '--help wins over a bad flag');
});

t.test('every flag is listed in the help of its command', async (t) => {
  const set = (await cli(['alarm', 'set', '--help'])).out;
  for (const flag of ['--kind', '--message', '--delay', '--at', '--at-local', '--cron', '--rrule', '--tz', '--start', '--until', '--max-fires', '--payload', '--label', '--conversation-id', '--idempotency-key', '--tag', '--misfire', '--json', '--url', '--transport-token', '--key', '--key-file']) {
    t.match(set, new RegExp(`^  ${flag} `, 'm'), flag);
  }
  const update = (await cli(['alarm', 'update', '--help'])).out;
  t.match(update, /^usage: chronos alarm update ID \[flags\]$/m);
  for (const flag of ['--message', '--label', '--delay', '--at', '--cron', '--rrule', '--tz', '--until', '--misfire', '--patch', '--if-match', '--json', '--url']) t.match(update, new RegExp(`^  ${flag} `, 'm'), `update ${flag}`);
  for (const verb of ['pause', 'resume', 'fire']) t.match((await cli(['alarm', verb, '--help'])).out, new RegExp(`^usage: chronos alarm ${verb} ID \\[flags\\]$`, 'm'));
  t.match((await cli(['alarm', 'get', '--help'])).out, /^usage: chronos alarm get ID \[flags\]$/m);
});

t.test('a bad flag or argument is one line naming it, without a doubled prefix, exit 2', async (t) => {
  const connection = ['--url', 'http://127.0.0.1:1', '--transport-token', 'x', '--key', 'ab'.repeat(32)];
  const cases: [string[], string][] = [
    [['alarm', 'set', '--kind', 'cron', '--cron', '0 9 * * *', '--message', 'x', '--max-fires', 'abc', ...connection], 'chronos alarm set: --max-fires: "abc" is not a whole number'],
    [['alarm', 'set', '--kind', 'once', '--delay', '1m', '--message', 'x', '--payload', '{bad', ...connection], `chronos alarm set: --payload: not JSON: Expected property name or '}' in JSON at position 1`],
    [['alarm', 'set', '--max-fires', '0', ...connection], 'chronos alarm set: --max-fires: 0 is out of range: expected 1..2147483647'],
    [['alarm', 'set', '--message', ...connection], 'chronos alarm set: --message needs a value (--message TEXT)'],
    [['alarm', 'set', '--label', 'a', '--label', 'b', ...connection], 'chronos alarm set: --label is given twice'],
    [['alarm', 'set', '--json=yes', ...connection], 'chronos alarm set: --json takes no value'],
    [['alarm', 'set', '--bogus', 'x', ...connection], 'chronos alarm set: unknown flag --bogus (see --help)'],
    [['alarm', 'list', '--limit', 'ten', ...connection], 'chronos alarm list: --limit: "ten" is not a whole number'],
    [['alarm', 'get', ...connection], 'chronos alarm get: the alarm id is missing (see --help)'],
    [['alarm', 'cancel', 'alm_1', 'alm_2', ...connection], 'chronos alarm cancel: unexpected argument "alm_2" (see --help)'],
    [['alarm', 'frob'], 'chronos alarm: unknown command "frob" (commands: set, get, list, cancel, update, pause, resume, fire, history; see --help)'],
    [['alarm', 'set', '--misfire', 'later', ...connection], 'chronos alarm set: --misfire: "later" is not one of coalesce, skip, all'],
    [['alarm', 'update', 'alm_1', '--patch', '{"label":', ...connection], `chronos alarm update: --patch: not JSON: Unexpected end of JSON input`],
    [['alarm', 'update', 'alm_1', '--patch', '"x"', ...connection], `chronos alarm update: --patch: must be a JSON object, like '{"label":"standup"}'`],
    [['alarm', 'update', 'alm_1', '--patch', '{"label":"a","label":"b"}', ...connection], 'chronos alarm update: --patch: "label" is given more than once'],
    [['alarm', 'update', 'alm_1', ...connection], 'chronos alarm update: nothing to change: give the fields to change as flags or --patch (see --help)'],
    [['alarm', 'update', '--label', 'x', ...connection], 'chronos alarm update: the alarm id is missing (see --help)'],
    [['alarm', 'fire', 'alm_1', 'alm_2', ...connection], 'chronos alarm fire: unexpected argument "alm_2" (see --help)'],
    [['alarm', 'history', '--outcome', 'lost', ...connection], 'chronos alarm history: --outcome: "lost" is not one of delivered, retrying, failed'],
    [['alarm', 'history', '--since', 'yesterday', ...connection], 'chronos alarm history: --since: "yesterday" is not an RFC 3339 time with an offset, like 2026-12-01T09:00:00Z'],
    [['alarm', 'history', '--until', '2026-12-01T09:00:00', ...connection], 'chronos alarm history: --until: "2026-12-01T09:00:00" is not an RFC 3339 time with an offset, like 2026-12-01T09:00:00Z'],
    [['alarm', 'history', '--limit', '201', ...connection], 'chronos alarm history: --limit: 201 is out of range: expected 1..200'],
    [['alarm', 'history', 'alm_1', ...connection], 'chronos alarm history: unexpected argument "alm_1" (see --help)'],
    [['keygen', '--bogus'], 'chronos keygen: unknown flag --bogus (see --help)'],
    [['schedule', '{"kind":"once","delay":"1m"}', '--count', 'x'], 'chronos schedule: --count: "x" is not a whole number'],
    [['schedule', '{"kind":"once","delay":"1m"}', '--count', '101', ...connection], 'chronos schedule: --count: 101 is out of range: expected 1..100'],
    [['schedule', '{"kind":"once","delay":"1m","count":3}', '--count', '2', ...connection], 'chronos schedule: --count and "count" in the JSON exclude each other: give one'],
    [['schedule', '{"kind":"once",', ...connection], `chronos schedule: the schedule is not JSON: Expected double-quoted property name in JSON at position 15`],
    [['schedule', '["once"]', ...connection], `chronos schedule: the schedule must be a JSON object, like '{"kind":"cron","cron":"0 9 * * *"}'`],
    [['schedule', ...connection], "chronos schedule: the schedule fields of an alarm (kind, delay, at, at_local, cron, rrule, tz, start, until, max_fires), as JSON is missing (see --help)"],
    [['mcp', '--selftest', '--write-manifest'], 'chronos mcp: --selftest and --write-manifest exclude each other'],
    [['serve', '--port', 'abc'], 'chronos serve: --port: bad value "abc": "abc" is not a whole number'],
    [['alarm', 'list', '--url', 'localhost:18431'], 'chronos alarm list: --url: "localhost:18431" is not an http:// or https:// URL, like http://localhost:18431'],
  ];
  for (const [argv, line] of cases) {
    const run = await cli(argv);
    t.same({ code: run.code, err: run.err, out: run.out }, { code: 2, err: `${line}\n`, out: '' }, argv.join(' '));
  }
  const bare = await cli(['alarm']);
  t.equal(bare.code, 2, 'no subcommand is a usage error');
  t.match(bare.err, /^usage: chronos alarm <command>/);
});

t.test('an unreachable chronosd: "is chronosd running at URL?" with the error code, exit 1', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await new Promise((resolve) => server.close(resolve));
  const run = await cli(['alarm', 'list', '--url', url, '--transport-token', 'x', '--key', 'ab'.repeat(32)]);
  t.same({ code: run.code, err: run.err }, { code: 1, err: `chronos alarm list: unreachable: is chronosd running at ${url}? (ECONNREFUSED)\n` });
});

t.test('CHRONOS_URL without a scheme is refused before any request, naming the variable', async (t) => {
  const proc = spawnCli('chronos', ['alarm', 'list'], { CHRONOS_URL: 'localhost:18431', CHRONOS_TRANSPORT_TOKEN: 'x', CHRONOS_AGENT_KEY: 'ab'.repeat(32) });
  t.equal(await proc.exited, 2);
  t.equal(proc.stderr(), 'chronos alarm list: CHRONOS_URL: "localhost:18431" is not an http:// or https:// URL, like http://localhost:18431\n');
});
