import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KEYS } from '../../src/config/keys.js';
import { helpText, parseCommandLine, type Command } from '../../src/cli/args.js';
import { CHRONOS, daemonFlags } from '../../src/cli/commands.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { sampleConfigText } from '../../src/config/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'chronos-config-'));
function file(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.kvx`);
  writeFileSync(path, text);
  return path;
}
const serve = CHRONOS.commands.serve as Command;
/** argv as chronosd parses it (src/cli/args.ts), for loadConfig. */
function parseFlags(argv: readonly string[]) {
  const parsed = parseCommandLine(serve, argv);
  if (parsed.ask !== 'run') throw new Error(`${argv.join(' ')} asks for ${parsed.ask}`);
  return daemonFlags(parsed.flags as Parameters<typeof daemonFlags>[0]);
}
const load = (argv: string[], env: Record<string, string> = {}) => loadConfig(parseFlags(argv), env).config;

t.test('defaults match SPEC 3.2', async (t) => {
  // An explicit empty file: the repository's chronos.config.kvx must not stand in for the key table.
  const c = load(['--config', file('')]);
  t.equal(c.port, 8080);
  t.equal(c.host, '127.0.0.1');
  t.equal(c.databaseUrl, undefined);
  t.equal(c.dataDir, './.chronos');
  t.equal(c.dbPool, 10);
  t.equal(c.dbStartTimeoutMs, 60_000);
  t.equal(c.tokenTtlMs, 3_600_000);
  t.equal(c.challengeTtlMs, 120_000);
  t.equal(c.wakeTimeoutMs, 10_000);
  t.equal(c.pollIntervalMs, 1_000);
  t.equal(c.batchSize, 100);
  t.equal(c.concurrency, 64);
  t.equal(c.leaseMs, 60_000);
  t.same(c.retryLadderMs, [5_000, 30_000, 120_000, 600_000, 1_800_000]);
  t.equal(c.drainTimeoutMs, 10_000);
  t.equal(c.maxConsecutiveFailures, 5);
  t.equal(c.maxActiveAlarms, 10_000);
  t.same(c.rateLimit, { perSecond: 50, burst: 200 });
  t.equal(c.fireRetentionMs, 30 * 86_400_000);
  t.equal(c.logLevel, 'info');
  t.ok(Object.isFrozen(c), 'config is frozen');
});

t.test('precedence: flags > env > file > defaults', async (t) => {
  const path = file('[server]\nport = 7001\nhost = 0.0.0.0\n[log]\nlevel = debug\n');
  t.equal(load(['--config', path]).port, 7001, 'file beats default');
  t.equal(load(['--config', path], { CHRONOS_PORT: '7002' }).port, 7002, 'env beats file');
  t.equal(load(['--config', path, '--port', '7003'], { CHRONOS_PORT: '7002' }).port, 7003, 'flag beats env');
  t.equal(load([`--config=${path}`, '--port=7004']).port, 7004, '--flag=value form');
  t.equal(load(['--config', path]).host, '0.0.0.0');
  t.equal(load([], { CHRONOS_CONFIG: path }).logLevel, 'debug', 'CHRONOS_CONFIG names the file');
  t.equal(load(['--config', path], { CHRONOS_PORT: '' }).port, 7001, 'an empty variable counts as unset');
});

t.test('database URL: CHRONOS_DATABASE_URL before DATABASE_URL', async (t) => {
  t.equal(load([], { DATABASE_URL: 'postgres://a/x' }).databaseUrl, 'postgres://a/x');
  t.equal(load([], { DATABASE_URL: 'postgres://a/x', CHRONOS_DATABASE_URL: 'postgres://b/y' }).databaseUrl, 'postgres://b/y');
  const several = 'postgres://u:p@pg-a:5499,pg-b:5498/chronos?target_session_attrs=primary';
  t.equal(load([], { CHRONOS_DATABASE_URL: several }).databaseUrl, several, 'several hosts, for failover, kept as given');
});

t.test('bad values name the flag, variable or file:line, and never echo a secret', async (t) => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [['--port', 'abc'], {}, /^--port: bad value "abc": "abc" is not a whole number$/],
    [[], { CHRONOS_PORT: '70000' }, /^CHRONOS_PORT: bad value "70000": 70000 is out of range: expected 0..65535$/],
    [[], { CHRONOS_LEASE: '5 minutes' }, /^CHRONOS_LEASE: bad value .*not a duration/],
    [[], { CHRONOS_RETRY_LADDER: '5s,,30s' }, /^CHRONOS_RETRY_LADDER: .*empty item/],
    [[], { CHRONOS_RATE_LIMIT: 'lots' }, /^CHRONOS_RATE_LIMIT: .*not a rate/],
    [[], { CHRONOS_LOG_LEVEL: 'loud' }, /^CHRONOS_LOG_LEVEL: .*not a log level/],
    [[], { CHRONOS_ROUTER_URL: 'ftp://x' }, /^CHRONOS_ROUTER_URL: .*http/],
    [[], { CHRONOS_TOKEN_SECRETS: 'short-secret' }, /^CHRONOS_TOKEN_SECRETS: bad value: secret #1 is 12 bytes: each must be at least 32 bytes$/],
    [[], { CHRONOS_TRANSPORT_TOKENS: 'abc' }, /^CHRONOS_TRANSPORT_TOKENS: bad value: token #1 is 3 characters: each must be at least 32 characters$/],
    [['--transport-tokens', `${'t'.repeat(32)}, short`], {}, /^--transport-tokens: bad value: token #2 is 5 characters: each must be at least 32 characters$/],
    [[], { CHRONOS_TRANSPORT_TOKENS: `${'t'.repeat(20)} ${'t'.repeat(20)}` }, /^CHRONOS_TRANSPORT_TOKENS: bad value: token #1 contains whitespace, which a Bearer token cannot carry$/],
    [[], { CHRONOS_DB_START_TIMEOUT: '2d' }, /^CHRONOS_DB_START_TIMEOUT: bad value "2d": 2d is out of range: expected 0ms\.\.86400000ms$/],
    [[], { CHRONOS_DATABASE_URL: 'mysql://u:hunter2@h/db' }, /^CHRONOS_DATABASE_URL: bad value: must be a postgres:\/\/ or postgresql:\/\/ URL$/],
    [['--nope', '1'], {}, /^unknown flag --nope/],
    [['--port'], {}, /^--port needs a value \(--port PORT\)$/],
    [['--port', '1', '--port', '2'], {}, /^--port is given twice$/],
    [['serve'], {}, /^unexpected argument "serve"/],
    [[], { CHRONOS_LEASE: '5s' }, /^dispatch\.lease \(5000ms\) must be longer than wake\.timeout plus dispatch\.lookahead \(10050ms\)/],
    [['--config', 'a.kvx', '--config', 'b.kvx'], {}, /^--config is given twice$/],
    [['--config='], {}, /^--config needs a value \(--config PATH\)$/],
  ];
  for (const [argv, env, message] of cases) {
    t.throws(() => load(argv, env), { name: 'ConfigError', message }, `${argv.join(' ')} ${JSON.stringify(env)}`);
  }
});

t.test('transport tokens of 32 characters or more are accepted; a short one in the file names its line', async (t) => {
  const tokens = `${'a'.repeat(32)}, ctt_${'b'.repeat(43)}`;
  t.same(load([], { CHRONOS_TRANSPORT_TOKENS: tokens }).transportTokens, ['a'.repeat(32), `ctt_${'b'.repeat(43)}`]);
  const short = file('[auth]\ntransport_tokens = abc\n');
  t.throws(() => load(['--config', short]), new ConfigError(`${short}:2: auth.transport_tokens: bad value: token #1 is 3 characters: each must be at least 32 characters`));
});

t.test('db.start_timeout: a duration, 0 tries once', async (t) => {
  t.equal(load([], { CHRONOS_DB_START_TIMEOUT: '0s' }).dbStartTimeoutMs, 0);
  t.equal(load(['--db-start-timeout', '2m']).dbStartTimeoutMs, 120_000);
});

t.test('file errors: unknown key or section, duplicate, bad value, all with file:line', async (t) => {
  const unknownKey = file('[server]\nport = 1\nprot = 2\n');
  t.throws(() => load(['--config', unknownKey]), new ConfigError(`${unknownKey}:3: unknown key "prot" in [server]`));
  const unknownSection = file('\n[srv]\nport = 1\n');
  t.throws(() => load(['--config', unknownSection]), { message: new RegExp(`^${unknownSection}:2: unknown section \\[srv\\]`) });
  const dup = file('[server]\nport = 1\nport = 2\n');
  t.throws(() => load(['--config', dup]), new ConfigError(`${dup}:3: duplicate key "port" in [server]`));
  const empty = file('[bogus]\n[server]\nport = 1\n');
  t.throws(() => load(['--config', empty]), { message: new RegExp(`^${empty}:1: unknown section \\[bogus\\]`) }, 'an unknown section without keys');
  const secretValue = file('[auth]\ntoken_secrets = "hunter2-hunter2-hunter2-hunter2-hunter2" extra\n');
  t.throws(() => load(['--config', secretValue]), { message: /^.*:2: text after the closing quote of the value$/ }, 'the value is not repeated');
  const bad = file('[dispatch]\n\nbatch_size = many\n');
  t.throws(() => load(['--config', bad]), { message: new RegExp(`^${bad}:3: dispatch\\.batch_size: bad value "many"`) });
  t.throws(() => load(['--config', join(dir, 'missing.kvx')]), { message: /missing\.kvx: cannot read config file \(ENOENT\)/ });
});

t.test('the sample chronos.config.kvx is current, loads, and equals the defaults', async (t) => {
  t.equal(readFileSync('chronos.config.kvx', 'utf8'), sampleConfigText(), 'regenerate with: node --import tsx scripts/write-config-sample.ts');
  t.same(load(['--config', 'chronos.config.kvx']), load(['--config', file('')]));
});

t.test('--help lists every flag and variable', async (t) => {
  const help = helpText('chronosd', serve);
  for (const spec of Object.values(KEYS)) {
    t.match(help, `--${spec.flag}`);
    for (const env of spec.env) t.match(help, env);
  }
  t.equal(parseCommandLine(serve, ['--help']).ask, 'help');
});

t.test('docs/configuration.md documents every key', async (t) => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  for (const spec of Object.values(KEYS)) {
    t.match(doc, `\`${spec.kvx}\``, spec.kvx);
    t.match(doc, `\`--${spec.flag}\``, spec.flag);
    for (const env of spec.env) t.match(doc, `\`${env}\``, env);
  }
});
