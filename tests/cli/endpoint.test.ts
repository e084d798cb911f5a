/**
 * `chronos endpoint add|list|get|update|rotate|rm` and `chronos alarm set
 * --target` (SPEC 7, 8.2) against a real chronosd, some as real chronos
 * processes, the rest in this process; usage errors and --help with no
 * chronosd to reach.
 */
import { createServer } from 'node:net';
import t from 'tap';
import { CreateEndpoint } from '../../src/api/endpoints.js';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ENDPOINT_ADD_FLAGS } from '../../src/cli/commands.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, TEST_SECRETS } from '../helpers/daemon.js';
import { cli } from '../helpers/cli.js';

const HOOK = 'https://hooks.example.com/chronos';

t.test('add, list, get, update, rotate, rm and alarm set --target against a real chronosd', async (t) => {
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), ...TEST_SECRETS });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const env = { CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: Buffer.from(generateSeed()).toString('hex') };
  // The real binary for a success (exit 0) and a refusal (1); the rest in this process, with the same env.
  const spawned = async (...args: string[]) => {
    const p = spawnCli('chronos', args, env);
    return { code: await p.exited, out: p.stdout(), err: p.stderr() };
  };
  const run = (...args: string[]) => cli(args, 'chronos', env);

  const added = await spawned('endpoint', 'add', HOOK, '--description', 'deploy bot', '--method', 'PUT', '--header', 'X-Api-Key: k1', '--header', 'X-Source :  chronos ', '--body', 'payload');
  t.equal(added.code, 0, added.err);
  const [, id, secret] = added.out.match(/^added: (ep_[\w-]{20}) PUT https:\/\/hooks\.example\.com\/chronos, body payload, deploy bot\nsecret: (whsec_\S+)\nThis secret is shown only this once: keep it now\./) ?? [];
  t.ok(id && secret, `add prints the endpoint, its secret and that it is shown once:\n${added.out}`);
  const other = await run('endpoint', 'add', 'https://hooks.example.com/other', '--json');
  const otherView = JSON.parse(other.out);
  t.match(otherView, { id: /^ep_/, url: 'https://hooks.example.com/other', method: 'POST', body: 'wake', description: null, headers: {}, secret: /^whsec_/ }, '--json: the API defaults, with the secret');

  const list = await run('endpoint', 'list');
  t.equal(list.code, 0, list.err);
  t.match(list.out, new RegExp(`^ID\\s+METHOD\\s+BODY\\s+URL\\s+DESCRIPTION\\n${otherView.id}\\s+POST\\s+wake\\s+https://hooks.example.com/other\\n${id}\\s+PUT\\s+payload\\s+${HOOK}\\s+deploy bot\\n$`), 'a table, newest first');
  t.notOk(list.out.includes('whsec_'), 'the list shows no secret');
  const first = await run('endpoint', 'list', '--limit', '1');
  const [, cursor] = first.out.match(/\nmore: --cursor (\S+)\n$/) ?? [];
  t.ok(cursor, 'a page that is not the last says how to get the next');
  const next = await run('endpoint', 'list', '--cursor', cursor!, '--json');
  const nextPage = next.code === 0 ? (JSON.parse(next.out) as { endpoints: { id: string }[] }).endpoints.map((e) => e.id) : next.err;
  t.same(nextPage, [id], '--cursor: the next page');

  const got = await run('endpoint', 'get', id!);
  t.equal(got.code, 0, got.err);
  const [, headersText] = got.out.match(/^headers +(\{.*\})$/m) ?? [];
  t.same(JSON.parse(headersText ?? 'null'), { 'X-Api-Key': 'k1', 'X-Source': 'chronos' }, '--header: name and value without the blanks around them');
  t.match(got.out, /^secret_grace_until +null$/m);
  t.notOk(got.out.includes('whsec_'), 'get shows no secret');

  const updated = await run('endpoint', 'update', id!, '--description', '', '--header', 'X-Api-Key: k2', '--json');
  t.match(JSON.parse(updated.out), { id, description: null, headers: { 'X-Api-Key': 'k2' }, method: 'PUT', body: 'payload', url: HOOK }, "--description '' clears it, --header replaces the headers, the rest is kept");
  const noHeaders = await run('endpoint', 'update', id!, '--no-headers', '--endpoint-url', 'https://hooks.example.com/v2');
  t.equal(noHeaders.out, `updated: ${id} PUT https://hooks.example.com/v2, body payload\n`);
  t.same(JSON.parse((await run('endpoint', 'get', id!, '--json')).out).headers, {}, '--no-headers removes them');

  const rotated = await run('endpoint', 'rotate', id!);
  t.equal(rotated.code, 0, rotated.err);
  const [, newSecret] = rotated.out.match(/^secret: (whsec_\S+)\nThis secret is shown only this once/m) ?? [];
  t.ok(newSecret && newSecret !== secret, 'rotate prints a new secret, shown once');
  const [, until] = rotated.out.match(/^The old secret keeps signing beside it until (\S+): /m) ?? [];
  t.ok(Math.abs(Date.parse(until!) - (Date.now() + 86_400_000)) < 60_000, `until when the old one signs: webhook.secret_grace (24h) from now, ${until}`);

  const webhook = await run('alarm', 'set', '--kind', 'once', '--delay', '1h', '--message', 'deploy', '--target', id!, '--json');
  t.equal(webhook.code, 0, webhook.err);
  const alarm = JSON.parse(webhook.out);
  t.same(alarm.target, { type: 'webhook', endpoint: id }, '--target ep_... is a webhook target');
  const stream = await run('alarm', 'set', '--kind', 'once', '--delay', '1h', '--message', 'mine', '--target', 'stream');
  const [, streamAlarm] = stream.out.match(/^set: (alm_[\w-]{20}) scheduled at .*, target stream\n$/) ?? [];
  t.ok(streamAlarm, `the set line names a target other than the router:\n${stream.out}${stream.err}`);
  t.same(JSON.parse((await run('alarm', 'get', streamAlarm!, '--json')).out).target, { type: 'stream' }, '--target stream');

  const inUse = await spawned('endpoint', 'rm', id!);
  t.equal(inUse.code, 1);
  t.match(inUse.err, /^chronos endpoint rm: endpoint_in_use: 1 alarm\(s\) in .* target this endpoint/, 'refused while an alarm targets it');
  await run('alarm', 'cancel', alarm.id);
  const removed = await run('endpoint', 'rm', id!);
  t.same({ code: removed.code, out: removed.out }, { code: 0, out: `removed: ${id} PUT https://hooks.example.com/v2, body payload\n` });
  const gone = await run('endpoint', 'get', id!);
  t.same({ code: gone.code, err: gone.err }, { code: 1, err: 'chronos endpoint get: not_found: no such endpoint\n' });

  const http = await run('endpoint', 'add', 'http://hooks.example.com/chronos');
  t.same({ code: http.code, out: http.out }, { code: 1, out: '' });
  t.match(http.err, /^chronos endpoint add: destination_not_allowed: url: http:\/\/ is not allowed: use https:\/\/ .*\n$/, "a refused URL: the API's code and message");
  const loopback = await run('endpoint', 'update', otherView.id, '--endpoint-url', 'https://127.0.0.1/hook');
  t.equal(loopback.code, 1);
  t.match(loopback.err, /^chronos endpoint update: destination_not_allowed: --endpoint-url: 127\.0\.0\.1 is a loopback address/, 'the field is named as the flag that filled it');
  const missing = await run('alarm', 'set', '--kind', 'once', '--delay', '1h', '--message', 'x', '--target', 'ep_AAAAAAAAAAAAAAAAAAAA');
  t.equal(missing.code, 1);
  t.match(missing.err, /^chronos alarm set: invalid_request: --target\.endpoint: /, 'a missing endpoint is named as --target');
  t.same(JSON.parse((await run('endpoint', 'list', '--json')).out).endpoints.map((e: { id: string }) => e.id), [otherView.id], 'the refused calls changed nothing');
});

t.test('--help on every endpoint command, every flag listed', async (t) => {
  for (const path of [['endpoint'], ...['add', 'list', 'get', 'update', 'rotate', 'rm'].map((c) => ['endpoint', c])]) {
    const run = await cli([...path, '--help']);
    const name = ['chronos', ...path].join(' ');
    t.same({ code: run.code, err: run.err }, { code: 0, err: '' }, `${name} --help`);
    t.ok(run.out.startsWith(`usage: ${name} `), `${name} --help prints its usage`);
  }
  const update = (await cli(['endpoint', 'update', '--help'])).out;
  t.match(update, /^usage: chronos endpoint update ID \[flags\]$/m);
  for (const flag of ['--endpoint-url', '--description', '--method', '--header', '--no-headers', '--body', '--json', '--url', '--transport-token', '--key', '--key-file']) t.match(update, new RegExp(`^  ${flag} `, 'm'), flag);
  t.match((await cli(['alarm', 'set', '--help'])).out, /^ {2}--target router\|stream\|ep_\.\.\.\s/m);
  t.match((await cli(['--help'])).out, /^ {2}endpoint +add, list, get, update, rotate or remove webhook endpoints/m, 'chronos --help lists the group');
});

t.test("--method and --body offer exactly the API's words", async (t) => {
  t.same(ENDPOINT_ADD_FLAGS.method.value?.split('|'), CreateEndpoint.shape.method.unwrap().options);
  t.same(ENDPOINT_ADD_FLAGS.body.value?.split('|'), CreateEndpoint.shape.body.unwrap().options);
});

t.test('a bad flag is one line naming it, exit 2, before any request', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  // Nothing listens there: a request would end in exit 1, unreachable.
  const connection = ['--url', `http://127.0.0.1:${port}`, '--transport-token', 'x', '--key', 'ab'.repeat(32)];
  const cases: [string[], string][] = [
    [['endpoint', 'add'], 'chronos endpoint add: the endpoint URL (https://, a public address) is missing (see --help)'],
    [['endpoint', 'add', HOOK, '--method', 'GET'], 'chronos endpoint add: --method: "GET" is not one of POST, PUT, PATCH'],
    [['endpoint', 'add', HOOK, '--body', 'json'], 'chronos endpoint add: --body: "json" is not one of wake, payload'],
    [['endpoint', 'add', HOOK, '--header', 'X-Api-Key'], `chronos endpoint add: --header: "X-Api-Key" is not a header: NAME: VALUE, like 'X-Api-Key: k1'`],
    [['endpoint', 'add', HOOK, '--header', ': v'], `chronos endpoint add: --header: ": v" is not a header: NAME: VALUE, like 'X-Api-Key: k1'`],
    [['endpoint', 'add', HOOK, '--header', 'X-Key: a', '--header', 'x-key: b'], 'chronos endpoint add: --header: "x-key" is given twice (header names ignore case)'],
    [['endpoint', 'add', HOOK, '--bogus'], 'chronos endpoint add: unknown flag --bogus (see --help)'],
    [['endpoint', 'list', '--limit', '0'], 'chronos endpoint list: --limit: 0 is out of range: expected 1..2147483647'],
    [['endpoint', 'get'], 'chronos endpoint get: the endpoint id is missing (see --help)'],
    [['endpoint', 'rotate', 'ep_1', 'ep_2'], 'chronos endpoint rotate: unexpected argument "ep_2" (see --help)'],
    [['endpoint', 'update', 'ep_1'], 'chronos endpoint update: nothing to change: give --endpoint-url, --description, --method, --header, --no-headers or --body'],
    [['endpoint', 'update', 'ep_1', '--header', 'X-Key: a', '--no-headers'], 'chronos endpoint update: --header and --no-headers exclude each other'],
    [['endpoint', 'frob'], 'chronos endpoint: unknown command "frob" (commands: add, list, get, update, rotate, rm; see --help)'],
    [['alarm', 'set', '--kind', 'once', '--delay', '1m', '--message', 'x', '--target', 'webhook'], 'chronos alarm set: --target: "webhook" is not router, stream or an endpoint id (ep_..., as chronos endpoint add printed it)'],
  ];
  for (const [argv, line] of cases) {
    const run = await cli([...argv, ...connection]);
    t.same({ code: run.code, err: run.err, out: run.out }, { code: 2, err: `${line}\n`, out: '' }, argv.join(' '));
  }
});
