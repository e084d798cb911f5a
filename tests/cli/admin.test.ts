/**
 * `chronos admin ...` (SPEC 10.1) against a real chronosd: each command
 * makes its call and prints it; the token from --admin-token or
 * CHRONOS_ADMIN_TOKEN, never printed; no token is a usage error before any
 * request; a refusal prints the API's code and message, exit 1.
 */
import { createServer } from 'node:net';
import t from 'tap';
import { TargetType } from '../../src/api/alarms.js';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ADMIN_ALARMS_FLAGS } from '../../src/cli/commands.js';
import { ADMIN_TOKEN } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';
import { spawnCli, startDaemon, TEST_SECRETS } from '../helpers/daemon.js';
import { freshDatabaseUrl } from '../helpers/db.js';

/** A URL where nothing listens: a request there would end in exit 1, unreachable. */
async function closedUrl(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  return `http://127.0.0.1:${port}`;
}

t.test('every admin command against a real chronosd', async (t) => {
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), ...TEST_SECRETS, CHRONOS_ADMIN_TOKENS: `ops:${ADMIN_TOKEN}` });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const agentEnv = { CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: Buffer.from(generateSeed()).toString('hex') };
  // The agent's first call as the real binary, its second in this process with the same env.
  const spawnedAgent = async (...args: string[]) => {
    const p = spawnCli('chronos', args, agentEnv);
    return { code: await p.exited, out: p.stdout(), err: p.stderr() };
  };
  const agent = (...args: string[]) => cli(args, 'chronos', agentEnv);
  const admin = (...args: string[]) => cli(['admin', ...args, '--url', daemon.url, '--admin-token', ADMIN_TOKEN]);

  const set = await spawnedAgent('alarm', 'set', '--kind', 'cron', '--cron', '0 9 * * *', '--message', 'standup', '--label', 'daily', '--tag', 'ops', '--json');
  t.equal(set.code, 0, set.err);
  const { id, owner: did } = JSON.parse(set.out) as { id: string; owner: string };

  const status = await admin('status');
  t.equal(status.code, 0, status.err);
  t.match(status.out, /^alarms +scheduled 1, firing 0, paused 0,/m, 'alarms by status');
  t.match(status.out, /^by target +router 1, webhook 0, stream 0 \(scheduled, firing, paused\)$/m, 'active alarms by target');
  t.match(status.out, /^due +backlog 0, oldest - late$/m);
  t.match(status.out, new RegExp(`^owners with most active alarms:\\n  OWNER +ACTIVE\\n  ${did} +1$`, 'm'), 'the busiest owners');
  const statusJson = JSON.parse((await admin('status', '--json')).out);
  t.match(statusJson, { alarms: { by_status: { scheduled: 1 } }, top_owners: [{ owner: did, active: 1 }], suspended_owners: 0 }, '--json: the API answer');

  const alarms = await admin('alarms');
  t.equal(alarms.code, 0, alarms.err);
  t.match(alarms.out, new RegExp(`^ID +OWNER +STATUS +SCHEDULE +NEXT FIRE +LABEL\\n${id} +${did} +scheduled +cron 0 9 \\* \\* \\* UTC +\\S+ +daily\\n$`), 'a table with the owner');
  const filtered = await admin('alarms', '--owner', did, '--status', 'scheduled,paused', '--tag', 'ops', '--target', 'router', '--limit', '10', '--json');
  t.same((JSON.parse(filtered.out) as { alarms: { id: string }[] }).alarms.map((a) => a.id), [id], 'every filter reaches the API');
  t.equal((await admin('alarms', '--target', 'stream')).out, 'no alarms\n');
  const badStatus = await admin('alarms', '--status', 'sleeping');
  t.equal(badStatus.code, 1);
  t.match(badStatus.err, /^chronos admin alarms: invalid_request: --status: must be a comma list of /, "the API's refusal names the flag");

  const got = await admin('alarm', 'get', id);
  t.equal(got.code, 0, got.err);
  t.match(got.out, new RegExp(`^id +${id}$`, 'm'));
  t.match(got.out, new RegExp(`^owner +${did}$`, 'm'));
  const missing = await admin('alarm', 'get', 'alm_AAAAAAAAAAAAAAAAAAAA');
  t.same({ code: missing.code, out: missing.out }, { code: 1, out: '' });
  t.match(missing.err, /^chronos admin alarm get: not_found: /);

  const before = await admin('owner', did);
  t.equal(before.code, 0, before.err);
  t.equal(before.out, `did                   ${did}\nsuspended             false\nsuspended_at          -\nsuspended_reason      -\ntokens_revoked_before -\n`);

  const suspended = await admin('suspend', did, '--reason', 'runaway loop');
  t.equal(suspended.code, 0, suspended.err);
  t.match(suspended.out, new RegExp(`^suspended: ${did} since \\S+Z: runaway loop\\n$`));
  const after = JSON.parse((await admin('owner', did, '--json')).out);
  t.match(after, { did, suspended: true, suspended_reason: 'runaway loop', suspended_at: /Z$/ }, 'owner shows the suspension');
  t.match((await admin('owner', did)).out, /^suspended +true\n/m);
  const refused = await agent('alarm', 'list');
  t.equal(refused.code, 1);
  t.match(refused.err, /^chronos alarm list: owner_suspended: /, "the owner's own requests are refused");

  const unsuspended = await admin('unsuspend', did);
  t.equal(unsuspended.out, `unsuspended: ${did}; its requests are served and its alarms fire again\n`);
  t.equal(JSON.parse((await admin('owner', did, '--json')).out).suspended, false);

  const revoked = await admin('revoke-tokens', did);
  t.equal(revoked.code, 0, revoked.err);
  t.match(revoked.out, new RegExp(`^revoked: principal tokens of ${did} issued at or before \\S+Z are refused \\(401 token_revoked\\)\\n$`));

  const paused = await admin('alarm', 'pause', id);
  t.equal(paused.code, 0, paused.err);
  t.match(paused.out, new RegExp(`^paused: ${id} paused `));
  t.match(JSON.parse((await admin('alarm', 'resume', id, '--json')).out), { id, status: 'scheduled' }, 'resume --json: the alarm as answered');
  const fired = await admin('alarm', 'fire', id);
  t.equal(fired.code, 0, fired.err);
  t.match(fired.out, new RegExp(`^fired: ${id} now as fir_\\S+\n$`));

  const cancelled = await admin('alarm', 'cancel', id);
  t.equal(cancelled.code, 0, cancelled.err);
  t.match(cancelled.out, new RegExp(`^cancelled: ${id} cancelled cron 0 9 \\* \\* \\* UTC, next -, daily, owner ${did}\\n$`));

  const audit = await admin('audit', '--target-id', did);
  t.equal(audit.code, 0, audit.err);
  const lines = audit.out.trimEnd().split('\n');
  t.match(lines[0], /^AT +ACTOR +ACTION +TARGET +REQUEST +DETAILS$/);
  t.same(
    lines.slice(1).map((l) => l.split(/ {2,}/).slice(1, 4)),
    [
      ['admin:ops', 'owner.revoke_tokens', did],
      ['admin:ops', 'owner.unsuspend', did],
      ['admin:ops', 'owner.suspend', did],
    ],
    "the owner's entries, newest first, naming the admin",
  );
  t.match(audit.out, /owner\.suspend .*\{"reason":"runaway loop"\}$/m, 'details as compact JSON');
  const ofAlarm = JSON.parse((await admin('audit', '--target-id', id, '--since', '2000-01-01T00:00:00Z', '--json')).out) as { entries: { actor: string; action: string }[] };
  t.same(
    ofAlarm.entries.map((e) => [e.actor, e.action]),
    [['admin:ops', 'alarm.cancel'], ['admin:ops', 'alarm.fire'], ['admin:ops', 'alarm.resume'], ['admin:ops', 'alarm.pause'], [did, 'alarm.create']],
    '--json: the alarm\'s entries',
  );
  const page = await admin('audit', '--action', 'owner.suspend', '--actor', 'admin:ops', '--limit', '1');
  t.equal(page.out.split('\n').length, 3, 'one entry');
  const first = await admin('audit', '--limit', '1');
  const [, cursor] = first.out.match(/\nmore: --cursor (\S+)\n$/) ?? [];
  t.ok(cursor, 'a page that is not the last says how to get the next');
  const next = await admin('audit', '--limit', '1', '--cursor', cursor!, '--json');
  t.equal(next.code, 0, next.err);
  t.equal((JSON.parse(next.out) as { entries: unknown[] }).entries.length, 1, '--cursor: the next page');

  const fromEnv = spawnCli('chronos', ['admin', 'owner', did, '--json'], { CHRONOS_URL: daemon.url, CHRONOS_ADMIN_TOKEN: ADMIN_TOKEN });
  t.equal(await fromEnv.exited, 0, fromEnv.stderr());
  t.equal(JSON.parse(fromEnv.stdout()).did, did, 'CHRONOS_URL and CHRONOS_ADMIN_TOKEN');

  const wrong = await cli(['admin', 'status', '--url', daemon.url, '--admin-token', 'not-the-admin-token-0123456789abcdef']);
  t.same({ code: wrong.code, out: wrong.out }, { code: 1, out: '' }, 'a wrong token: exit 1');
  t.match(wrong.err, /^chronos admin status: unauthorized: missing or wrong admin token: /, 'its code and message');
  t.notOk(wrong.err.includes('not-the-admin-token'), 'the token is not printed');
  const transport = await cli(['admin', 'alarms', '--url', daemon.url, '--admin-token', TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS]);
  t.equal(transport.code, 1, 'a transport token is not an admin token');
  t.match(transport.err, /^chronos admin alarms: unauthorized: /);
});

t.test('no admin token: a usage error before any request', async (t) => {
  const url = await closedUrl();
  const none = spawnCli('chronos', ['admin', 'status', '--url', url], {});
  t.equal(await none.exited, 2, 'exit 2, not 1 (unreachable): nothing was sent');
  t.equal(none.stderr(), 'chronos admin status: set CHRONOS_ADMIN_TOKEN or give --admin-token: one of the tokens of chronosd\'s CHRONOS_ADMIN_TOKENS (auth.admin_tokens), the part after "name:"\n');
  const blank = await cli(['admin', 'owner', 'did:key:z6Mk'], 'chronos', { CHRONOS_URL: url, CHRONOS_ADMIN_TOKEN: 'secret with-a-blank-0123456789abcdef' });
  t.equal(blank.code, 2);
  t.equal(blank.err, 'chronos admin owner: CHRONOS_ADMIN_TOKEN: an admin token has no blanks or control characters\n', 'named by where it came from, not quoted');
  const reachable = spawnCli('chronos', ['admin', 'status', '--url', url, '--admin-token', ADMIN_TOKEN], {});
  t.equal(await reachable.exited, 1, 'with a token it asks chronosd: unreachable');
  t.match(reachable.stderr(), /^chronos admin status: unreachable: is chronosd running at /);
});

t.test('usage errors name the flag, exit 2', async (t) => {
  const connection = ['--url', await closedUrl(), '--admin-token', ADMIN_TOKEN];
  const cases: [string[], string][] = [
    [['admin', 'suspend', 'did:key:z6Mk'], 'chronos admin suspend: --reason is required: why, in 1 to 500 characters (the owner sees it in its 403 answers)'],
    [['admin', 'suspend'], "chronos admin suspend: the owner's DID, like did:key:z6Mk... is missing (see --help)"],
    [['admin', 'alarm', 'get'], 'chronos admin alarm get: the alarm id is missing (see --help)'],
    [['admin', 'alarms', '--target', 'ep_1'], 'chronos admin alarms: --target: "ep_1" is not one of router, webhook, stream'],
    [['admin', 'alarms', '--limit', '201'], 'chronos admin alarms: --limit: 201 is out of range: expected 1..200'],
    [['admin', 'audit', '--since', 'yesterday'], 'chronos admin audit: --since: "yesterday" is not an RFC 3339 time with an offset, like 2026-12-01T09:00:00Z'],
    [['admin', 'audit', '--key', 'ab'], 'chronos admin audit: unknown flag --key (see --help)'],
    [['admin', 'frob'], 'chronos admin: unknown command "frob" (commands: status, alarms, alarm, owner, suspend, unsuspend, revoke-tokens, audit; see --help)'],
  ];
  for (const [argv, line] of cases) {
    const run = await cli([...argv, ...connection]);
    t.same({ code: run.code, err: run.err, out: run.out }, { code: 2, err: `${line}\n`, out: '' }, argv.join(' '));
  }
  const action = await cli(['admin', 'audit', '--action', 'alarm.delete', ...connection]);
  t.equal(action.code, 2);
  t.match(action.err, /^chronos admin audit: --action: "alarm\.delete" is not one of alarm\.create, /);
});

t.test('--help lists the admin commands and their flags', async (t) => {
  t.match((await cli(['--help'])).out, /^ {2}admin +operate chronosd through the admin API/m, 'chronos --help lists the group');
  const group = await cli(['admin', '--help']);
  t.equal(group.code, 0);
  for (const name of ['status', 'alarms', 'alarm', 'owner', 'suspend', 'unsuspend', 'revoke-tokens', 'audit']) t.match(group.out, new RegExp(`^ {2}${name} +\\S`, 'm'), name);
  t.match(group.out, /CHRONOS_ADMIN_TOKEN/);
  for (const path of [['status'], ['alarms'], ['alarm'], ['alarm', 'get'], ['alarm', 'pause'], ['alarm', 'resume'], ['alarm', 'fire'], ['alarm', 'cancel'], ['owner'], ['suspend'], ['unsuspend'], ['revoke-tokens'], ['audit']]) {
    const run = await cli(['admin', ...path, '--help']);
    const name = ['chronos', 'admin', ...path].join(' ');
    t.same({ code: run.code, err: run.err }, { code: 0, err: '' }, `${name} --help`);
    t.ok(run.out.startsWith(`usage: ${name} `), `${name} --help prints its usage`);
  }
  const alarms = (await cli(['admin', 'alarms', '--help'])).out;
  for (const flag of ['--owner', '--status', '--tag', '--target', '--limit', '--cursor', '--json', '--url', '--admin-token']) t.match(alarms, new RegExp(`^  ${flag} `, 'm'), flag);
  t.notMatch(alarms, /--transport-token|--key/, 'no agent connection flags');
  const audit = (await cli(['admin', 'audit', '--help'])).out;
  for (const flag of ['--actor', '--action', '--target-id', '--since', '--until', '--limit', '--cursor']) t.match(audit, new RegExp(`^  ${flag} `, 'm'), flag);
  t.match((await cli(['admin', 'suspend', '--help'])).out, /^usage: chronos admin suspend DID \[flags\]$/m);
});

t.test("--target offers exactly the API's words", async (t) => {
  t.same(ADMIN_ALARMS_FLAGS.target.value?.split('|'), TargetType.options);
});
