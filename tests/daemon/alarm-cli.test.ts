/** chronos alarm set|get|list|cancel against a real chronosd. */
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, TEST_SECRETS } from '../helpers/daemon.js';

t.test('set, list, get, cancel; --json; exit codes 0, 1, 2', async (t) => {
  const url = await freshDatabaseUrl(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: url, ...TEST_SECRETS });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const env = { CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: Buffer.from(generateSeed()).toString('hex') };
  const run = async (...args: string[]) => {
    const p = spawnCli('chronos', ['alarm', ...args], env);
    return { code: await p.exited, out: p.stdout(), err: p.stderr() };
  };
  const set = await run('set', '--kind', 'once', '--delay', '15m', '--message', 'Check the deploy', '--payload', '{"build":"4f2a9c","n":1.10}', '--label', 'deploy', '--tag', 'ci', '--tag', 'prod');
  t.equal(set.code, 0, set.err);
  const [, id] = set.out.match(/^set: (alm_[\w-]{20}) scheduled at /)!;
  await run('set', '--kind', 'cron', '--cron', '0 9 * * MON-FRI', '--tz', 'Europe/Berlin', '--message', 'Standup', '--label', 'standup');
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
  const invalid = await run('set', '--kind', 'cron', '--cron', '0 0 30 2 *', '--message', 'x');
  t.equal(invalid.code, 1);
  t.equal(invalid.err, 'chronos alarm: invalid_request: cron: never fires: it has no occurrence after now\n');
  const missing = await run('get', 'alm_AAAAAAAAAAAAAAAAAAAA');
  t.equal(missing.code, 1);
  t.match(missing.err, /not_found/);
  const usage = await run('set', '--bogus', 'x');
  t.equal(usage.code, 2);
  t.match(usage.err, /unknown option "--bogus"/);
});
