/**
 * `chronos schedule` and `chronos alarm history` (SPEC 9.4) against a real
 * chronosd that delivers to a fake router: some calls as real chronos
 * processes, the rest in this process.
 */
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { cli } from '../helpers/cli.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, TEST_SECRETS } from '../helpers/daemon.js';
import { fakeRouter } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { CHRONOS_RETRY_LADDER: '200ms', CHRONOS_POLL_INTERVAL: '200ms' };

t.test('chronos schedule: chronosd previews the schedule, each occurrence in UTC and local time', async (t) => {
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), ...TEST_SECRETS });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const env = { CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: Buffer.from(generateSeed()).toString('hex') };
  // The real binary for a success and a refusal; the rest in this process, with the same env.
  const spawned = async (...args: string[]) => {
    const p = spawnCli('chronos', ['schedule', ...args], env);
    return { code: await p.exited, out: p.stdout(), err: p.stderr() };
  };
  const run = (...args: string[]) => cli(['schedule', ...args], 'chronos', env);
  const berlin = await spawned('{"kind":"cron","cron":"0 9 * * MON-FRI","tz":"Europe/Berlin","start":"2027-03-24T00:00:00Z"}', '--count', '4');
  t.same(berlin, {
    code: 0,
    err: '',
    out: ['2027-03-24T08:00:00.000Z  2027-03-24T09:00:00.000+01:00', '2027-03-25T08:00:00.000Z  2027-03-25T09:00:00.000+01:00', '2027-03-26T08:00:00.000Z  2027-03-26T09:00:00.000+01:00', '2027-03-29T07:00:00.000Z  2027-03-29T09:00:00.000+02:00', ''].join('\n'),
  });
  const json = await run('{"kind":"rrule","rrule":"FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0;COUNT=2","tz":"America/New_York","start":"2027-03-13T00:00:00Z"}', '--json');
  t.same(JSON.parse(json.out), { occurrences: [{ at: '2027-03-13T14:00:00.000Z', local: '2027-03-13T09:00:00.000-05:00' }, { at: '2027-03-14T13:00:00.000Z', local: '2027-03-14T09:00:00.000-04:00' }] }, '--json: the answer as received');
  t.equal((await run('{"kind":"cron","cron":"@hourly"}')).out.split('\n').length - 1, 10, 'ten by default, as the API');
  t.equal((await run('{"kind":"cron","cron":"@hourly","count":3}')).out.split('\n').length - 1, 3, '"count" in the JSON');
  const refused = await spawned('{"kind":"cron","cron":"0 0 30 2 *","tz":"Mars/Olympus"}', '--count', '2');
  t.same(refused, { code: 1, out: '', err: 'chronos schedule: invalid_request: tz: must be an IANA time zone name, like "Europe/Berlin" or "UTC"\n' }, "chronosd's refusal, its fields named as in the JSON");
  const count = await run('{"kind":"cron","cron":"@hourly","count":0}');
  t.same({ code: count.code, err: count.err }, { code: 1, err: 'chronos schedule: invalid_request: --count: must be a whole number from 1 to 100\n' });
});

t.test('chronos alarm history: one line per attempt, filters, pages; only the agent\'s own', async (t) => {
  // The first wake of each alarm is refused with 503, the retry accepted: two attempts an alarm.
  const refused = new Set<string>();
  const router = await fakeRouter(t, (req) => {
    const fire = String(req.body.fire_id);
    if (refused.has(fire)) return { status: 204 };
    refused.add(fire);
    return { status: 503, body: 'busy' };
  });
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), ...TEST_SECRETS, ...FAST, CHRONOS_ROUTER_URL: router.url });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const envOf = (seed: Uint8Array) => ({ CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: Buffer.from(seed).toString('hex') });
  const agent = (seed: Uint8Array) => (...args: string[]) => cli(['alarm', ...args], 'chronos', envOf(seed));
  const seed = generateSeed();
  const run = agent(seed);
  const other = agent(generateSeed());
  // The real binary for the table (exit 0), a refusal (1) and a usage error (2); the rest in this process, with the same env.
  const spawned = async (...args: string[]) => {
    const p = spawnCli('chronos', ['alarm', ...args], envOf(seed));
    return { code: await p.exited, out: p.stdout(), err: p.stderr() };
  };
  const idOf = (out: string) => (JSON.parse(out) as { id: string }).id;
  const ci = idOf((await run('set', '--kind', 'once', '--delay', '1s', '--message', 'ci', '--tag', 'ci', '--json')).out);
  const ops = idOf((await run('set', '--kind', 'once', '--delay', '1s', '--message', 'ops', '--tag', 'ops', '--json')).out);
  const theirs = idOf((await other('set', '--kind', 'once', '--delay', '1s', '--message', 'theirs', '--tag', 'ci', '--json')).out);
  await router.waitForCount(6, 30_000);
  // The router answered the sixth wake; its attempt is recorded when the daemon settles it.
  const json = await waitFor(async () => {
    const page = await run('history', '--json');
    const fires = (JSON.parse(page.out) as { fires: { alarm_id: string; outcome: string }[] }).fires;
    return fires.length === 4 && fires.filter((f) => f.outcome === 'delivered').length === 2 ? (JSON.parse(page.out) as { fires: { id: string; alarm_id: string; outcome: string; status_code: number; started_at: string }[]; next_cursor: null }) : undefined;
  }, 20_000);
  t.same(new Set(json.fires.map((f) => f.alarm_id)), new Set([ci, ops]), "the agent's two alarms, not the other agent's");
  t.same(json.fires.map((f) => f.outcome).sort(), ['delivered', 'delivered', 'retrying', 'retrying']);

  const table = await spawned('history');
  t.equal(table.code, 0, table.err);
  const lines = table.out.trimEnd().split('\n');
  t.match(lines[0], /^STARTED\s+ALARM\s+ATTEMPT\s+OUTCOME\s+TARGET\s+STATUS\s+MS\s+ERROR$/, 'a header');
  t.equal(lines.length, 5, 'then one line per attempt');
  for (const [i, f] of json.fires.entries()) {
    t.match(lines[i + 1], new RegExp(`^${f.started_at.replaceAll('.', '\\.')}\\s+${f.alarm_id}\\s+${f.outcome === 'delivered' ? 2 : 1}\\s+${f.outcome}\\s+router\\s+${f.status_code}\\s+\\d+`), `line ${i + 1}: the attempt, newest first`);
  }
  t.match(table.out, /retrying\s+router\s+503\s+\d+\s+\S.*/, 'a refused attempt shows its error');

  t.same(JSON.parse((await run('history', '--alarm', ci, '--json')).out).fires.map((f: { alarm_id: string }) => f.alarm_id), [ci, ci], '--alarm');
  t.same(JSON.parse((await run('history', '--tag', 'ops', '--outcome', 'retrying', '--json')).out).fires.map((f: { alarm_id: string; outcome: string }) => [f.alarm_id, f.outcome]), [[ops, 'retrying']], '--tag and --outcome');
  t.same(JSON.parse((await run('history', '--alarm', theirs, '--json')).out).fires, [], "another agent's alarm: nothing");
  const newest = json.fires[0]!.started_at;
  t.same(JSON.parse((await run('history', '--since', newest, '--json')).out).fires.map((f: { id: string }) => f.id), json.fires.filter((f) => f.started_at === newest).map((f) => f.id), '--since is inclusive');
  t.notOk(JSON.parse((await run('history', '--until', newest, '--json')).out).fires.some((f: { started_at: string }) => f.started_at === newest), '--until is exclusive');
  t.equal((await run('history', '--since', '2099-01-01T00:00:00+01:00')).out, 'no attempts\n');

  const first = await run('history', '--limit', '3');
  const [, cursor] = first.out.match(/\nmore: --cursor (\S+)\n$/) ?? [];
  t.ok(cursor, 'a page that is not the last says how to get the next');
  t.equal(first.out.trimEnd().split('\n').length, 5, 'a header, three attempts, the cursor');
  const rest = JSON.parse((await run('history', '--limit', '3', '--cursor', cursor!, '--json')).out);
  t.same(rest.fires.map((f: { id: string }) => f.id), [json.fires[3]!.id], '--cursor: the rest');
  t.equal(rest.next_cursor, null);

  const bad = await spawned('history', '--alarm', 'nope');
  t.same(bad, { code: 1, out: '', err: 'chronos alarm history: invalid_request: --alarm: must be an alarm id, like "alm_2XVW0VrjxyzEbf1m6Iv0"\n' }, "the API's refusal names the flag");
  const usage = await spawned('history', '--outcome', 'lost');
  t.same(usage, { code: 2, out: '', err: 'chronos alarm history: --outcome: "lost" is not one of delivered, retrying, failed\n' });
});
