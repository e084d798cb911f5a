/** chronos alarm set|get|list|update|pause|resume|fire|cancel against a real chronosd. */
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { cli } from '../helpers/cli.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, TEST_SECRETS } from '../helpers/daemon.js';
import { fakeRouter } from '../helpers/router.js';

t.test('set, list, get, cancel; --json; exit codes 0, 1, 2', async (t) => {
  const url = await freshDatabaseUrl(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: url, ...TEST_SECRETS });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const env = { CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: Buffer.from(generateSeed()).toString('hex') };
  // The real binary for a success (exit 0), a refusal (1) and a usage error (2); the rest in this process, with the same env.
  const spawned = async (...args: string[]) => {
    const p = spawnCli('chronos', ['alarm', ...args], env);
    return { code: await p.exited, out: p.stdout(), err: p.stderr() };
  };
  const run = (...args: string[]) => cli(['alarm', ...args], 'chronos', env);
  const set = await spawned('set', '--kind', 'once', '--delay', '15m', '--message', 'Check the deploy', '--payload', '{"build":"4f2a9c","n":1.10}', '--label', 'deploy', '--tag', 'ci', '--tag', 'prod');
  t.equal(set.code, 0, set.err);
  const [, id] = set.out.match(/^set: (alm_[\w-]{20}) scheduled at /)!;
  await run('set', '--kind', 'cron', '--cron', '0 9 * * MON-FRI', '--tz', 'Europe/Berlin', '--message', 'Standup', '--label', 'standup');
  const year = new Date().getUTCFullYear() + 1;
  const local = await run('set', '--kind', 'once', '--at-local', `${year}-03-01T09:00`, '--tz', 'Europe/Berlin', '--message', 'Berlin morning', '--json');
  t.equal(local.code, 0, local.err);
  t.match(JSON.parse(local.out), { at_local: `${year}-03-01T09:00`, at: `${year}-03-01T08:00:00.000Z` }, '--at-local is read in --tz (CET in March)');
  const list = await run('list');
  t.equal(list.code, 0);
  t.match(list.out, /^ID\s+STATUS\s+SCHEDULE\s+NEXT FIRE\s+FIRED\s+LABEL\n/);
  t.match(list.out, /cron 0 9 \* \* MON-FRI Europe\/Berlin/);
  t.match(list.out, new RegExp(`${id}\\s+scheduled\\s+at `));
  const get = await run('get', id!);
  t.match(get.out, /^payload\s+\{"build":"4f2a9c","n":1\.10\}$/m, 'the payload as stored, 1.10 kept');
  t.match(get.out, /^tags\s+\["ci","prod"\]$/m);
  const json = await run('get', id!, '--json');
  t.ok(json.out.includes('"payload":{"build":"4f2a9c","n":1.10}'), '--json prints the answer as received');
  t.equal(JSON.parse(json.out).id, id);
  const cancel = await run('cancel', id!, '--json');
  t.equal(JSON.parse(cancel.out).status, 'cancelled');
  const invalid = await spawned('set', '--kind', 'cron', '--cron', '0 0 30 2 *', '--message', 'x');
  t.equal(invalid.code, 1);
  t.equal(invalid.err, 'chronos alarm set: invalid_request: --cron: never fires: it has no occurrence after now\n', "the API's field is named as the flag");
  const badZone = await run('set', '--kind', 'cron', '--cron', '0 9 * * *', '--tz', 'Mars/Olympus', '--message', 'x', '--tag', 'ok', '--tag', '');
  t.equal(badZone.code, 1);
  t.match(badZone.err, /^chronos alarm set: invalid_request: (.*; )?--tz: must be an IANA time zone name/);
  t.match(badZone.err, /[:;] --tag\[1\]: must be 1 to 64 characters/);
  const missing = await run('get', 'alm_AAAAAAAAAAAAAAAAAAAA');
  t.equal(missing.code, 1);
  t.match(missing.err, /not_found/);
  const usage = await spawned('set', '--bogus', 'x');
  t.equal(usage.code, 2);
  t.equal(usage.err, 'chronos alarm set: unknown flag --bogus (see --help)\n');
  const maxFires = await run('set', '--kind', 'cron', '--cron', '0 9 * * *', '--message', 'x', '--max-fires', 'abc');
  t.same({ code: maxFires.code, err: maxFires.err }, { code: 2, err: 'chronos alarm set: --max-fires: "abc" is not a whole number\n' }, 'not silently dropped');
  t.equal(JSON.parse((await run('list', '--json')).out).alarms.length, 3, 'the refused calls set nothing');
  t.equal(JSON.parse((await run('list', '--target', 'router', '--json')).out).alarms.length, 3, '--target router: all of them');
  t.equal(JSON.parse((await run('list', '--target', 'stream', '--json')).out).alarms.length, 0, '--target stream: none');
});

t.test('update, pause, resume, fire; set --misfire; the etag in get and update', async (t) => {
  const router = await fakeRouter(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), ...TEST_SECRETS, CHRONOS_ROUTER_URL: router.url });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const connection = ['--url', daemon.url, '--transport-token', TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, '--key', Buffer.from(generateSeed()).toString('hex')];
  const run = (...args: string[]) => cli(['alarm', ...args, ...connection]);

  const set = await run('set', '--kind', 'cron', '--cron', '0 9 * * MON-FRI', '--tz', 'Europe/Berlin', '--message', 'Standup', '--label', 'standup', '--misfire', 'skip', '--json');
  t.equal(set.code, 0, set.err);
  const { id } = JSON.parse(set.out) as { id: string };
  t.match(JSON.parse(set.out), { misfire: 'skip', status: 'scheduled' }, '--misfire fills misfire');
  const get = await run('get', id);
  const [, etag] = /^etag {13}("[\w-]{22}")$/m.exec(get.out) ?? [];
  t.ok(etag, 'get prints the etag');

  const updated = await run('update', id, '--cron', '30 10 * * MON-FRI', '--label', 'standup, team B', '--patch', '{"payload":{"n":1.10},"tags":["ops"]}', '--if-match', etag!.slice(1, -1));
  t.equal(updated.code, 0, updated.err);
  t.match(updated.out, new RegExp(`^updated: ${id} scheduled cron 30 10 \\* \\* MON-FRI Europe/Berlin, next \\S+Z, standup, team B\\netag "[\\w-]{22}"\\n$`));
  t.not(/etag ("[\w-]{22}")/.exec(updated.out)![1], etag, 'a new version');
  const json = await run('get', id, '--json');
  t.ok(json.out.includes('"payload":{"n":1.10}'), "--patch's payload arrives as written");
  t.match(JSON.parse(json.out), { tags: ['ops'], label: 'standup, team B', misfire: 'skip', cron: '30 10 * * MON-FRI' });

  const stale = await run('update', id, '--label', 'lost', '--if-match', etag!);
  t.same({ code: stale.code, err: stale.err }, { code: 1, err: 'chronos alarm update: precondition_failed: the alarm has changed since you read it (If-Match): GET it again, then apply your change to what it is now\n' });
  const never = await run('update', id, '--cron', '0 0 30 2 *');
  t.same({ code: never.code, err: never.err }, { code: 1, err: 'chronos alarm update: invalid_request: --cron: never fires: it has no occurrence after now\n' }, "the API's field named as the flag");
  const usage: [string[], string][] = [
    [['update', id, '--label', 'a', '--patch', '{"label":"b"}'], '--label and "label" in --patch exclude each other: give one'],
    [['update', id], 'nothing to change: give the fields to change as flags or --patch (see --help)'],
    [['update', id, '--patch', '[1]'], `--patch: must be a JSON object, like '{"label":"standup"}'`],
    [['update', id, '--misfire', 'sometimes'], '--misfire: "sometimes" is not one of coalesce, skip, all'],
  ];
  for (const [args, message] of usage) {
    const bad = await run(...args);
    t.same({ code: bad.code, err: bad.err }, { code: 2, err: `chronos alarm update: ${message}\n` }, args.join(' '));
  }

  const paused = await run('pause', id);
  t.equal(paused.out, `paused: ${id} paused cron 30 10 * * MON-FRI Europe/Berlin, next -, standup, team B\n`);
  t.equal(JSON.parse((await run('pause', id, '--json')).out).status, 'paused', 'pausing again is fine');
  const fired = await run('fire', id);
  t.equal(fired.code, 0, fired.err);
  const [, fireId] = /^firing now: alm_[\w-]{20} fire_id (fir_[\w-]+) \(manual: true; the schedule is unchanged\)$/m.exec(fired.out) ?? [];
  t.ok(fireId, fired.out);
  await router.waitForCount(1, 15_000);
  t.match(router.received[0]!.body, { alarm_id: id, fire_id: fireId, manual: true, wake_message: 'Standup' }, 'the paused alarm fired once now');
  const resumed = await run('resume', id);
  t.match(resumed.out, new RegExp(`^resumed: ${id} scheduled cron 30 10 \\* \\* MON-FRI Europe/Berlin, next \\S+:30:00\\.000Z, standup, team B\\n$`));

  await run('cancel', id);
  const finished = await run('fire', id);
  t.same({ code: finished.code, out: finished.out }, { code: 1, out: '' });
  t.match(finished.err, /^chronos alarm fire: not_updatable: the alarm is cancelled/);
});
