/**
 * The README's blocks, run as written (issue 17): a block that stops working
 * fails here, not in a newcomer's terminal.
 *
 * Every fenced block of README.md carries a marker on the line before it,
 * `<!-- readme-test: NAME -->` (invisible on GitHub), and PLAN below says
 * what this test does with each NAME: run it, compare a run's output with
 * it, check it another way, or skip it with a reason. A block without a
 * marker, or a marker PLAN does not know, fails the first test.
 *
 * The blocks run with bash, unchanged, in a copy of this checkout as git sees
 * it (tracked and untracked files, ignored ones left out: what a fresh clone
 * of a commit of the working tree holds), as a newcomer would run them:
 * - `npm ci` is a no-op (a shell function in front of each block): the
 *   copy links the checkout's node_modules, and dist is built once, as
 *   npm ci's `prepare` would, with the same tsconfig but without type
 *   checking (`npm run typecheck` does that);
 * - the daemon listens on a port of its own (`CHRONOS_PORT=0`, which the
 *   README documents), found in its `chronosd listening` log line, and the
 *   command line is pointed at it with `CHRONOS_URL` (documented too); curl's
 *   `localhost:8080` reaches it through a curl config file of this test's
 *   own (`connect-to`, read from CURL_HOME), so no block's text changes;
 * - npm runs offline, with a cache of its own in the copy: `npx chronos`
 *   installs the checkout into that cache (the first call in a directory
 *   takes about 12 s of CPU, as it does for a newcomer), and one that does
 *   not find this checkout's command fails instead of fetching a package.
 * Outputs are compared by shape: times, ids, DIDs, the version and the
 * uptime are wildcards, and so is `...` in the README's text.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { KEYS } from '../src/config/keys.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Plan = { readonly how: 'run' | 'output' | 'checked' } | { readonly how: 'skip'; readonly why: string };

/** What this test does with each marked block of README.md. */
const PLAN: Readonly<Record<string, Plan>> = {
  start: { how: 'run' },
  healthz: { how: 'run' },
  test: { how: 'skip', why: 'runs the whole suite, this file included, for minutes; CI runs exactly this command' },
  dev: { how: 'run' },
  'dev-wake': { how: 'output' },
  commands: { how: 'checked' },
  curl: { how: 'run' },
  'curl-output': { how: 'output' },
  'own-postgres': { how: 'skip', why: 'a template with placeholders for a database of your own; its variable names are checked against the key table' },
};

interface Block {
  readonly name: string;
  readonly line: number;
  readonly text: string;
}

/** The fenced blocks of `markdown`, each with the name of the marker before it ('' when it has none). */
function readBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('```')) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    const marker = /^<!-- readme-test: ([\w-]+) -->$/.exec(lines[i - 1] ?? '');
    blocks.push({ name: marker?.[1] ?? '', line: i + 1, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

const README = readBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const block = (name: string) => README.find((b) => b.name === name)!.text;

// What differs from run to run, and what the README's examples may not pin.
const VOLATILE: readonly [RegExp, string][] = [
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>'],
  [/\b(alm|fir)_[\w-]+/g, '$1_<id>'],
  [/did:key:z[1-9A-HJ-NP-Za-km-z]+/g, 'did:key:<did>'],
  [/"version":"[^"]*"/g, '"version":"<version>"'],
  [/"uptime_s":\d+/g, '"uptime_s":<n>'],
];
const shape = (text: string) => VOLATILE.reduce((s, [re, to]) => s.replace(re, to), text.trim());
/** A pattern that an output of the shape `shown` matches whole; `...` stands for anything. */
const shaped = (shown: string) => new RegExp(`^${shape(shown).split('...').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*?')}$`);

/** A transcript's commands (the `$ ` lines), each with the lines printed under it. */
function transcript(text: string): { command: string; shown: string }[] {
  const steps: { command: string; shown: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
    else steps.at(-1)?.shown.push(line);
  }
  return steps.map((s) => ({ command: s.command, shown: s.shown.join('\n') }));
}

t.test('every README block is marked, and the test knows each mark', async (t) => {
  t.same(README.filter((b) => b.name === '').map((b) => `README.md:${b.line}`), [], 'blocks without a <!-- readme-test: NAME --> marker');
  t.same(README.map((b) => b.name).sort(), Object.keys(PLAN).sort(), 'the marked blocks are the ones PLAN names, each once');
  for (const [name, plan] of Object.entries(PLAN)) if (plan.how === 'skip') t.comment(`not run: ${name}: ${plan.why}`);
});

t.test('own-postgres: every variable it sets is a configuration key', async (t) => {
  const names = [...block('own-postgres').matchAll(/^export (\w+)=/gm)].map((m) => m[1]!);
  const known = new Set(Object.values(KEYS).flatMap((k) => k.env));
  t.ok(names.length > 0);
  for (const name of names) t.ok(known.has(name), `${name} is read by chronosd`);
});

// The copy, its processes, and the environment of a newcomer's shell.
const work = mkdtempSync(join(tmpdir(), 'chronos-readme-'));
// As root the embedded server runs as postgres, which must be able to enter the copy.
chmodSync(work, 0o755);
const repo = join(work, 'chronosd');
const running = new Set<Shell>();

/** Stops what is still running, the embedded server of the copy included, and deletes the copy. */
async function cleanUp(): Promise<void> {
  for (const shell of running) await shell.stop();
  await stopLeftoverPostgres(join(repo, '.chronos', 'pg'));
  rmSync(work, { recursive: true, force: true });
}
t.teardown(cleanUp);
// A run killed on timeout cannot wait: end everything at once.
process.once('exit', () => {
  for (const shell of running) killGroup(shell.child, 'SIGKILL');
  const pid = postmasterPid(join(repo, '.chronos', 'pg'));
  if (pid) killPid(pid, 'SIGQUIT');
  rmSync(work, { recursive: true, force: true });
});

const curlHome = join(work, 'curl');
const fresh: Record<string, string> = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^(CHRONOS_|DATABASE_URL$|npm_|INIT_CWD$|CURL_HOME$)/i.test(k)) as [string, string][]),
  // The PATH of a shell, without what `npm test` put in front of it from this checkout.
  PATH: (process.env.PATH ?? '').split(':').filter((p) => p && !p.startsWith(ROOT)).join(':'),
  CURL_HOME: curlHome,
  npm_config_offline: 'true',
  npm_config_cache: join(work, 'npm-cache'),
  npm_config_update_notifier: 'false',
};

// In front of every block: errors stop it, stderr is shown with stdout, and `npm ci` has nothing to do.
const PRELUDE = `exec 2>&1
set -eo pipefail
npm() { if [ "$1" = ci ]; then return 0; fi; command npm "$@"; }
`;

/** A block running under bash in its own process group, as a terminal runs a command line. */
class Shell {
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  private out = '';
  private readonly waiters = new Set<() => void>();

  constructor(script: string, env: Record<string, string>) {
    this.child = spawn('bash', ['-c', PRELUDE + script], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    running.add(this);
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      for (const w of [...this.waiters]) w();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        running.delete(this);
        for (const w of [...this.waiters]) w();
        resolve(code ?? (signal ? 128 : 0));
      }),
    );
  }

  output(): string {
    return this.out;
  }

  /** Resolves with the first match of `re` in the output; rejects when the block ends first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${re} within ${timeoutMs} ms; the output:\n${this.out}`)), timeoutMs);
      const done = (err?: Error, m?: RegExpMatchArray) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(err);
        else resolve(m!);
      };
      const check = () => {
        const m = this.out.match(re);
        if (m) done(undefined, m);
        else if (!running.has(this)) done(new Error(`the block ended without printing ${re}; the output:\n${this.out}`));
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Ctrl-C: SIGINT to the whole group; SIGKILL to what is left of it after 20 s. Resolves once all of it is gone. */
  async stop(): Promise<void> {
    killGroup(this.child, 'SIGINT');
    const deadline = Date.now() + 20_000;
    while (groupAlive(this.child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    killGroup(this.child, 'SIGKILL');
    await this.exited;
  }
}

/** Runs a block to its end (at most a minute) and returns its exit status and output. */
async function run(script: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  const shell = new Shell(script, env);
  const timer = setTimeout(() => killGroup(shell.child, 'SIGKILL'), 60_000);
  const code = await shell.exited;
  clearTimeout(timer);
  return { code, output: shell.output() };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid) killPid(-child.pid, signal);
}

function killPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

const groupAlive = (child: ChildProcess) => child.pid !== undefined && killPid(-child.pid, 0);

function postmasterPid(pgDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && killPid(pid, 0) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The copy's embedded server, if a daemon died without stopping it: a fast shutdown, waited for. */
async function stopLeftoverPostgres(pgDir: string): Promise<void> {
  const pid = postmasterPid(pgDir);
  if (!pid) return;
  killPid(pid, 'SIGINT');
  const deadline = Date.now() + 20_000;
  while (killPid(pid, 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  killPid(pid, 'SIGKILL');
}

/** The checkout's files as a clone of it would hold them, node_modules linked in, dist built. */
function copyCheckout(): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    const from = join(ROOT, file);
    if (!existsSync(from)) continue; // deleted in the working tree
    const to = join(repo, file);
    mkdirSync(dirname(to), { recursive: true });
    if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else copyFileSync(from, to);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noCheck'], { cwd: repo, stdio: 'inherit' });
}

t.test('the README, block by block, in a copy of the checkout', async (t) => {
  let since = Date.now();
  // How long each part takes, in the log (the budget of CI is minutes).
  const elapsed = () => {
    const seconds = (Date.now() - since) / 1000;
    since = Date.now();
    return `${seconds.toFixed(1)} s`;
  };
  copyCheckout();
  t.comment(`copy and build: ${elapsed()}`);

  // start: the quick start, in the background as in a terminal of its own. Meanwhile npx installs the
  // checkout into its cache, which the first `npx chronos` in a directory does (most of a curl block's time).
  const start = new Shell(block('start'), { ...fresh, CHRONOS_PORT: '0' });
  const [[, url], npx] = await Promise.all([
    start.waitFor(/"url":"(http:\/\/127\.0\.0\.1:(\d+))"[^\n]*"msg":"chronosd listening"/, 60_000),
    run('npx chronos --version', fresh),
  ]);
  t.equal(npx.code, 0, 'npx finds the checkout\'s chronos', { output: npx.output });
  const port = new URL(url!).port;
  mkdirSync(curlHome);
  writeFileSync(join(curlHome, '.curlrc'), `connect-to = localhost:8080:127.0.0.1:${port}\n`);

  // healthz: each `$ ` line runs; the lines under it are what it prints.
  const steps = transcript(block('healthz'));
  t.ok(steps.length > 0, 'healthz: a transcript');
  for (const { command, shown } of steps) {
    const { code, output } = await run(command, fresh);
    t.equal(code, 0, `healthz: ${command}`, { output });
    t.match(shape(output), shaped(shown), `healthz: ${command} prints what the README shows`);
  }

  // curl: against the quick start's daemon. The agent key it writes is a secret: its owner's alone, and ignored by git.
  const curl = await run(block('curl'), { ...fresh, CHRONOS_URL: url! });
  t.equal(curl.code, 0, 'curl: runs', { output: curl.output });
  t.match(shape(curl.output), shaped(block('curl-output')), 'curl: prints what the README shows');
  const keyFile = join(repo, '.chronos', 'agent.json');
  t.equal(existsSync(keyFile) && lstatSync(keyFile).mode & 0o777, 0o600, 'curl: the agent key file is readable by its owner alone');
  t.equal(spawnSync('git', ['check-ignore', '-q', '--no-index', '.chronos/agent.json'], { cwd: ROOT }).status, 0, 'curl: git ignores the agent key file');
  t.comment(`quick start, healthz and curl: ${elapsed()}`);

  // Ctrl-C stops the daemon and its embedded server.
  await start.stop();
  t.match(start.output(), /"msg":"stopped"/, 'start: an ordered shutdown on Ctrl-C');
  t.notOk(existsSync(join(repo, '.chronos', 'pg', 'postmaster.pid')), 'start: the embedded PostgreSQL stopped with it');

  // dev: paste both printed commands, as the README says; each one's wake is printed as the README shows.
  const dev = new Shell(block('dev'), { ...fresh, CHRONOS_PORT: '0' });
  await dev.waitFor(/Waiting for wakes/, 60_000);
  const [pastedCurl] = dev.output().match(/^curl -s -X POST (?:.*\\\n)*.*/m) ?? [''];
  const [, pastedCli] = dev.output().match(/^ {2}((?:\w+=\S+ )*npx chronos alarm set .*)$/m) ?? [];
  t.ok(pastedCurl && pastedCli, 'dev: prints a curl and a chronos alarm set to paste', { output: dev.output() });
  const viaCurl = await run(pastedCurl!, fresh);
  t.equal(viaCurl.code, 0, 'dev: the printed curl runs', { output: viaCurl.output });
  const viaCli = await run(pastedCli!, fresh);
  t.equal(viaCli.code, 0, 'dev: the printed chronos alarm set runs', { output: viaCli.output });
  const ids = [/"id":"(alm_[\w-]+)"/.exec(viaCurl.output)?.[1], /^set: (alm_[\w-]+) /m.exec(viaCli.output)?.[1]];
  for (const id of ids) {
    t.ok(id, 'dev: the pasted command set an alarm');
    if (!id) continue;
    await dev.waitFor(new RegExp(`alarm_id: +${id}[^]*payload:.*\\n`), 30_000);
    const wake = dev.output().match(/^=== wake received.*(?:\n {2}.*){6}/gm)?.find((w) => w.includes(` ${id}\n`)) ?? '';
    t.match(shape(wake), shaped(block('dev-wake')), `dev: the wake of ${id} looks as the README shows`);
  }
  await dev.stop();
  t.notOk(existsSync(join(repo, '.chronos', 'pg', 'postmaster.pid')), 'dev: the embedded PostgreSQL stopped with it');
  t.comment(`dev and its two wakes: ${elapsed()}`);

  // commands: the list names every command of `chronos --help` and `chronos alarm --help`, and no other.
  const listed = block('commands');
  const helpCommands = (args: string[]) => {
    const help = execFileSync(process.execPath, [join(repo, 'dist', 'bin', 'chronos.js'), ...args], { cwd: repo, encoding: 'utf8' });
    return [...help.split(/^commands:$/m)[1]!.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]!).sort();
  };
  const readmeCommands = [...new Set([...listed.matchAll(/`?chronos (\w+)/g)].map((m) => m[1]!))].sort();
  t.same(readmeCommands, helpCommands(['--help']), 'commands: the README lists the commands chronos --help lists');
  const [, alarmCommands] = /^chronos alarm ([\w|]+)/m.exec(listed) ?? [];
  t.same(alarmCommands?.split('|').sort(), helpCommands(['alarm', '--help']), 'commands: chronos alarm lists its subcommands');
});
