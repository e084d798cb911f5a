/** chronos mcp, driven by the official SDK client over stdio against a real chronosd. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import t from 'tap';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ChronosClient } from '../../src/client/client.js';
import { MANIFEST_PATH } from '../../src/cli/mcp.js';
import { buildMcpServer, listedTools, manifestDrift } from '../../src/mcp/server.js';
import { selftest } from '../../src/mcp/selftest.js';
import { NEXT_STEPS } from '../../src/mcp/tools.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { spawnCli, startDaemon, TEST_SECRETS } from '../helpers/daemon.js';
import { fakeRouter } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

const TSX = import.meta.resolve('tsx');
const CHRONOS = new URL('../../src/bin/chronos.ts', import.meta.url).pathname;

async function daemonAndAgent(t: { teardown(fn: () => unknown): void }, extraEnv: Record<string, string> = {}) {
  const url = await freshDatabaseUrl(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: url, ...TEST_SECRETS, ...extraEnv });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const seed = Buffer.from(generateSeed()).toString('hex');
  const env = { PATH: process.env.PATH ?? '', CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: seed };
  return { daemon, env, seed };
}

type ToolAnswer = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, any> };

t.test('the SDK client over stdio: tools equal the manifest, each works, errors are tool errors', async (t) => {
  const { env } = await daemonAndAgent(t);
  const client = new Client({ name: 'test-agent', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', TSX, CHRONOS, 'mcp'], env, stderr: 'pipe' }));
  t.teardown(() => client.close());
  const { tools } = await client.listTools();
  const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { tools: { name: string; description: string; inputSchema: unknown }[] };
  t.same(
    tools.map((x) => ({ name: x.name, title: x.title, description: x.description, inputSchema: x.inputSchema, outputSchema: x.outputSchema, annotations: x.annotations })).sort((a, b) => a.name.localeCompare(b.name)),
    manifest.tools,
    'list tools equals chronos-tools.json',
  );
  const listed = Object.fromEntries(tools.map((x) => [x.name, x]));
  for (const name of ['alarm_get', 'alarm_list', 'selftest']) t.match(listed[name]!.annotations, { readOnlyHint: true, openWorldHint: false }, `${name} is read-only`);
  t.match(listed.alarm_cancel!.annotations, { readOnlyHint: false, destructiveHint: true, idempotentHint: true }, 'cancel is destructive and idempotent');
  t.match(listed.alarm_set!.annotations, { readOnlyHint: false, destructiveHint: false, idempotentHint: false });
  for (const tool of tools) t.equal(tool.outputSchema?.type, 'object', `${tool.name} lists an output schema`);
  t.ok(listed.alarm_set!.outputSchema?.properties?.alarm, 'alarm_set answers { alarm: AlarmView }');
  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolAnswer;

  const set = await call('alarm_set', { kind: 'once', delay: '15m', wake_message: 'Check the deploy', payload: { build: '4f2a9c' }, label: 'deploy' });
  t.notOk(set.isError);
  t.match(set.content[0]!.text, /^Alarm set: alm_[\w-]{20} \(deploy\): scheduled, once, next wake /);
  const id: string = set.structuredContent!.alarm.id;
  t.match(set.structuredContent, { alarm: { status: 'scheduled', payload: { build: '4f2a9c' } } });
  t.match((await call('alarm_get', { id })).content[0]!.text, new RegExp(`^${id} \\(deploy\\): scheduled`));
  const list = await call('alarm_list', { status: 'scheduled' });
  t.match(list.content[0]!.text, /^1 alarm\(s\):/);
  t.equal(list.structuredContent!.alarms.length, 1);
  t.match((await call('alarm_cancel', { id })).content[0]!.text, /^Cancelled: .*cancelled/);
  const cron = await call('alarm_set', { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', wake_message: 'standup' });
  t.match(cron.content[0]!.text, /cron "0 9 \* \* MON-FRI" in Europe\/Berlin/);

  const missing = await call('alarm_get', { id: 'alm_AAAAAAAAAAAAAAAAAAAA' });
  t.equal(missing.isError, true);
  t.equal(missing.content[0]!.text, `not_found: no such alarm\nNext: ${NEXT_STEPS.not_found}`, 'the code, the message, and what to do next');
  const invalid = await call('alarm_set', { kind: 'cron', cron: '0 0 30 2 *', wake_message: 'never' });
  t.equal(invalid.isError, true);
  t.match(invalid.content[0]!.text, /^invalid_request: cron: never fires/);
  const local = await call('alarm_set', { kind: 'once', at_local: '2030-03-01T09:00', tz: 'Europe/Berlin', wake_message: 'standup' });
  t.match(local.structuredContent, { alarm: { at: '2030-03-01T08:00:00.000Z', at_local: '2030-03-01T09:00', tz: 'Europe/Berlin' } }, 'a wall time in tz, no offset to work out');
  const misspelled = await call('alarm_set', { kind: 'cron', cron: '0 9 * * *', timezone: 'Europe/Berlin', wake_message: 'standup' });
  t.equal(misspelled.isError, true, 'an unknown field is refused, as the API refuses it, not dropped');
  t.equal(misspelled.content[0]!.text, `invalid_request: timezone: unknown field: did you mean "tz"?\nNext: ${NEXT_STEPS.invalid_request}`);
  const tooMany = await call('alarm_set', { kind: 'once', delay: '1h', wake_message: 'w', tags: Array.from({ length: 17 }, (_, i) => `t${i}`) });
  t.match(tooMany, { isError: true, content: [{ text: 'invalid_request: tags: must have at most 16 tags' }] }, "the API's code and message");
  const tooLong = await call('alarm_set', { kind: 'once', delay: '1h', wake_message: 'x'.repeat(9_000) });
  t.match(tooLong.content[0]!.text, /^payload_too_large: wake_message: /);
  const selftestAnswer = await call('selftest');
  t.notOk(selftestAnswer.isError, 'the server kept running after tool errors');
  t.match(selftestAnswer.content[0]!.text, /^selftest passed/);
});

t.test('the checked-in chronos-tools.json equals what the server registers', async (t) => {
  const server = buildMcpServer(new ChronosClient({ url: 'http://x', transportToken: 'x', seed: generateSeed() }), 'http://x', 'test');
  t.same(manifestDrift(MANIFEST_PATH, await listedTools(server)), [], 'regenerate with: chronos mcp --write-manifest');
});

t.test('manifest drift makes boot fail, naming the tool', async (t) => {
  const { env } = await daemonAndAgent(t);
  const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { tools: { name: string; description: string }[] };
  const dir = mkdtempSync(join(tmpdir(), 'chronos-manifest-'));
  const drifted = join(dir, 'tools.json');
  manifest.tools = manifest.tools.filter((x) => x.name !== 'alarm_cancel');
  manifest.tools.find((x) => x.name === 'alarm_get')!.description = 'old words';
  writeFileSync(drifted, JSON.stringify(manifest));
  const proc = spawnCli('chronos', ['mcp', '--manifest', drifted], env);
  t.equal(await proc.exited, 1);
  t.match(proc.stderr(), /tool "alarm_cancel" is registered but not in /);
  t.match(proc.stderr(), /tool "alarm_get": description differs from /);
  const missing = spawnCli('chronos', ['mcp', '--manifest', join(dir, 'absent.json')], env);
  t.equal(await missing.exited, 1);
  t.match(missing.stderr(), /absent\.json is missing: it ships with chronosd/, 'a missing manifest is called missing, not different');
});

t.test('chronos mcp --selftest: passes, and fails with advice', async (t) => {
  const { daemon, env, seed } = await daemonAndAgent(t);
  const ok = spawnCli('chronos', ['mcp', '--selftest'], env);
  t.equal(await ok.exited, 0);
  t.match(ok.stdout(), /^selftest passed/);
  t.match(ok.stdout(), /ok {3}clock: /);

  const wrongUrl = spawnCli('chronos', ['mcp', '--selftest'], { ...env, CHRONOS_URL: 'http://127.0.0.1:1' });
  t.equal(await wrongUrl.exited, 1);
  t.match(wrongUrl.stdout(), /FAIL reachability: is chronosd running at http:\/\/127\.0\.0\.1:1\? \(bad port\): check CHRONOS_URL/);

  const wrongToken = spawnCli('chronos', ['mcp', '--selftest'], { ...env, CHRONOS_TRANSPORT_TOKEN: 'wrong' });
  t.equal(await wrongToken.exited, 1);
  t.match(wrongToken.stdout(), /FAIL transport token: chronosd refused CHRONOS_TRANSPORT_TOKEN/);

  const badKey = spawnCli('chronos', ['mcp', '--selftest'], { ...env, CHRONOS_AGENT_KEY: 'not-a-key' });
  t.equal(await badKey.exited, 2);
  t.match(badKey.stderr(), /CHRONOS_AGENT_KEY: an agent key is a 32-byte seed: 64 hex digits or 43 base64url characters/);

  const client = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed: Buffer.from(seed, 'hex') });
  const skewed = await selftest(client, daemon.url, () => Date.now() + 3_600_000);
  t.match(skewed.find((c) => c.name === 'clock'), { ok: false, detail: /this clock is 360[01] s ahead of chronosd's: fix the system clock \(NTP\)/ });
});

t.test('end to end as docs/agents.md wires it: the agent sets an alarm through chronos mcp and is woken', async (t) => {
  const router = await fakeRouter(t);
  const { env } = await daemonAndAgent(t, { CHRONOS_ROUTER_URL: router.url });
  const client = new Client({ name: 'agent-runtime', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', TSX, CHRONOS, 'mcp'], env, stderr: 'pipe' }));
  t.teardown(() => client.close());
  const set = (await client.callTool({ name: 'alarm_set', arguments: { kind: 'once', delay: '1s', wake_message: 'Resume the migration at step 3', payload: { step: 3, cursor: 'eyJ2IjoxfQ' }, conversation_id: 'conv_42' } })) as ToolAnswer;
  const alarm = set.structuredContent!.alarm;
  await router.waitForCount(1, 15_000);
  const wake = router.received[0]!;
  t.match(wake.body, { agent_did: alarm.owner, alarm_id: alarm.id, conversation_id: 'conv_42', wake_message: 'Resume the migration at step 3' });
  t.ok(wake.text.endsWith('"payload":{"step":3,"cursor":"eyJ2IjoxfQ"}}'), 'the payload as the tool call gave it');
  // The router has the wake; the settle commits just after its answer.
  const after = await waitFor(async () => {
    const got = (await client.callTool({ name: 'alarm_get', arguments: { id: alarm.id } })) as ToolAnswer;
    return got.structuredContent!.alarm.status === 'completed' ? got : undefined;
  }, 10_000);
  t.match(after.structuredContent, { alarm: { status: 'completed', fire_count: 1 } });
});
