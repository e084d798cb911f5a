/**
 * Part II's tools (alarm_update, alarm_control, schedule_preview,
 * alarm_history) and the next step of every tool error, driven by the SDK's
 * client over stdio against a real chronosd and a fake router.
 *
 * With CHRONOS_MCP_TRANSCRIPT=<file>, the session's calls and answers are
 * written there as markdown: docs/agents.md shows one such run.
 */
import { writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import t from 'tap';
import { errorCodesOf, STATUS_OF_CODE } from '../../src/api/openapi.js';
import { ROUTES, type RouteSpec } from '../../src/api/routes.js';
import { generateSeed } from '../../src/auth/ed25519.js';
import { ChronosClient } from '../../src/client/client.js';
import { AUTH_ROUTES, NEXT_STEPS, TOOLS, toolScopes } from '../../src/mcp/tools.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { startDaemon, TEST_SECRETS } from '../helpers/daemon.js';
import { fakeRouter } from '../helpers/router.js';
import { waitFor } from '../helpers/wait.js';

const TSX = import.meta.resolve('tsx');
const CHRONOS = new URL('../../src/bin/chronos.ts', import.meta.url).pathname;

type ToolAnswer = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, any> };

const transcript: string[] = [];
t.teardown(() => {
  const file = process.env.CHRONOS_MCP_TRANSCRIPT;
  if (file) writeFileSync(file, transcript.join('\n'));
});

/** A chronosd with a fake router, `chronos mcp` for one agent over stdio, and the same agent's typed client. */
async function session(t: { teardown(fn: () => unknown): void }) {
  const router = await fakeRouter(t);
  const daemon = await startDaemon({ CHRONOS_DATABASE_URL: await freshDatabaseUrl(t), ...TEST_SECRETS, CHRONOS_ROUTER_URL: router.url });
  t.teardown(() => daemon.child.kill('SIGKILL'));
  const seed = generateSeed();
  const env = { PATH: process.env.PATH ?? '', CHRONOS_URL: daemon.url, CHRONOS_TRANSPORT_TOKEN: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, CHRONOS_AGENT_KEY: Buffer.from(seed).toString('hex') };
  const mcp = new Client({ name: 'test-agent', version: '1' });
  await mcp.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', TSX, CHRONOS, 'mcp'], env, stderr: 'pipe' }));
  t.teardown(() => mcp.close());
  const api = new ChronosClient({ url: daemon.url, transportToken: TEST_SECRETS.CHRONOS_TRANSPORT_TOKENS, seed });
  /** Calls a tool, and writes the call and its answer into the transcript. */
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const answer = (await mcp.callTool({ name, arguments: args })) as ToolAnswer;
    transcript.push(`Call \`${name}\` with \`${JSON.stringify(args)}\`:\n\n\`\`\`\n${answer.isError ? '(tool error) ' : ''}${answer.content[0]!.text}\n\`\`\`\n`);
    return answer;
  };
  return { router, mcp, api, call };
}

/** The next `n` weekdays at `hh:mm` UTC after now and before `until`: Berlin's 09:00 is 08:00Z from November to March. */
function weekdaysAt(hh: number, mm: number, until: Date, n: number): Date[] {
  const out: Date[] = [];
  const day = new Date(new Date().toISOString().slice(0, 10));
  for (let i = 0; i < 120 && out.length < n; i++, day.setUTCDate(day.getUTCDate() + 1)) {
    const at = new Date(day.getTime() + (hh * 60 + mm) * 60_000);
    if (at.getUTCDay() % 6 !== 0 && at.getTime() > Date.now() && at < until) out.push(at);
  }
  return out;
}

const nextStep = (code: string) => `\nNext: ${NEXT_STEPS[code]}`;

t.test('the tools: at most 10, exactly those of chronos-tools.json', async (t) => {
  const { mcp } = await session(t);
  t.same(Object.keys(mcp.getServerCapabilities() ?? {}), ['tools'], 'the server offers tools and nothing else');
  const { tools } = await mcp.listTools();
  t.ok(tools.length <= 10, `${tools.length} tools: SPEC part II allows at most 10`);
  t.same(tools.map((x) => x.name).sort(), ['alarm_cancel', 'alarm_control', 'alarm_get', 'alarm_history', 'alarm_list', 'alarm_set', 'alarm_update', 'schedule_preview', 'selftest']);
  const listed = Object.fromEntries(tools.map((x) => [x.name, x]));
  for (const name of ['schedule_preview', 'alarm_history']) t.match(listed[name]!.annotations, { readOnlyHint: true, openWorldHint: false }, `${name} is read-only`);
  t.match(listed.alarm_update!.inputSchema, { required: ['id'], properties: { if_match: { type: 'string' }, cron: {}, misfire: { enum: ['coalesce', 'skip', 'all'] } } }, 'alarm_update: the id, UpdateAlarm\'s fields and if_match');
  t.notOk('idempotency_key' in (listed.alarm_update!.inputSchema.properties ?? {}), 'an update cannot change the idempotency key');
  t.match(listed.alarm_control!.inputSchema, { required: ['id', 'action'], properties: { action: { enum: ['pause', 'resume', 'fire_now'] } } });
  t.match(listed.schedule_preview!.inputSchema, { properties: { kind: {}, cron: {}, tz: {}, until: {}, count: { type: 'integer', maximum: 100 } } });
  t.notOk('wake_message' in (listed.schedule_preview!.inputSchema.properties ?? {}), 'a preview takes the schedule fields only');
});

t.test('an agent session: the Berlin example previewed and set, then update, pause, fire now, history, resume', async (t) => {
  const { router, call } = await session(t);

  // The example an agent copies from schedule_preview's description.
  const description = TOOLS.find((x) => x.name === 'schedule_preview')!.description;
  const [, exampleText] = /: (\{[^{}]*"count":\d+\})/.exec(description) ?? [];
  t.ok(exampleText, 'schedule_preview\'s description holds a worked example');
  const example = JSON.parse(exampleText!) as Record<string, unknown>;
  t.match(example, { kind: 'cron', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', until: '2030-03-01T00:00:00+01:00', count: 5 });
  const until = new Date(String(example.until));
  const nine = weekdaysAt(8, 0, until, 5);
  t.equal(nine.length, 5, 'the example\'s until is still ahead with five weekdays to go: when it is not, move the example on in src/mcp/tools.ts');

  await t.test('schedule_preview runs the example: five weekdays at 09:00 in Berlin, 08:00Z, before March 2030', async (t) => {
    const preview = await call('schedule_preview', example);
    t.notOk(preview.isError, preview.content[0]!.text);
    const occurrences = preview.structuredContent!.occurrences as { at: string; local: string }[];
    t.equal(occurrences.length, 5);
    t.same(occurrences.map((o) => o.at), nine.map((d) => d.toISOString()), 'the next five weekdays, 08:00Z');
    for (const o of occurrences) {
      t.match(o.local, /^\d{4}-\d{2}-\d{2}T09:00:00\.000\+01:00$/, `${o.local}: 09:00 local, CET`);
      t.ok([1, 2, 3, 4, 5].includes(new Date(o.at).getUTCDay()), `${o.at} is a weekday`);
      t.ok(new Date(o.at) < until, `${o.at} is before March 2030`);
    }
    t.match(preview.content[0]!.text, /^5 occurrence\(s\):\n(Mon|Tue|Wed|Thu|Fri) \d{4}-\d{2}-\d{2}T09:00:00\.000\+01:00 = \d{4}-\d{2}-\d{2}T08:00:00\.000Z\n/);
  });

  const schedule = Object.fromEntries(Object.entries(example).filter(([k]) => k !== 'count'));
  const set = await call('alarm_set', { ...schedule, wake_message: 'Post the standup summary.', label: 'standup' });
  t.notOk(set.isError, set.content[0]!.text);
  const id: string = set.structuredContent!.alarm.id;
  t.match(set.structuredContent!.alarm, { cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', until: '2030-02-28T23:00:00.000Z', next_fire_at: nine[0]!.toISOString(), misfire: 'coalesce' });
  const got = await call('alarm_get', { id });
  t.match(got.structuredContent, { alarm: { id, status: 'scheduled', cron: '0 9 * * MON-FRI', tz: 'Europe/Berlin', next_fire_at: nine[0]!.toISOString() } });
  const etag: string = got.structuredContent!.etag;
  t.match(etag, /^"[\w-]{22}"$/);
  t.ok(got.content[0]!.text.endsWith(`; etag ${etag}`), 'the text names the etag too');

  const halfPastTen = weekdaysAt(9, 30, until, 1)[0]!;
  const updated = await call('alarm_update', { id, cron: '30 10 * * MON-FRI', label: 'standup, team B', misfire: 'skip', if_match: etag });
  t.notOk(updated.isError, updated.content[0]!.text);
  t.match(updated.structuredContent!.alarm, { cron: '30 10 * * MON-FRI', label: 'standup, team B', misfire: 'skip', until: '2030-02-28T23:00:00.000Z', next_fire_at: halfPastTen.toISOString() });
  const newEtag: string = updated.structuredContent!.etag;
  t.not(newEtag, etag, 'a change is a new version');
  const stale = await call('alarm_update', { id, label: 'lost update', if_match: etag });
  t.equal(stale.isError, true);
  t.match(stale.content[0]!.text, /^precondition_failed: the alarm has changed since you read it/);
  t.ok(stale.content[0]!.text.endsWith(nextStep('precondition_failed')), 'with its next step');
  const unquoted = await call('alarm_update', { id, wake_message: 'Post the standup summary, team B.', if_match: newEtag.slice(1, -1) });
  t.notOk(unquoted.isError, 'an etag without its quotes is taken too');

  const paused = await call('alarm_control', { id, action: 'pause' });
  t.match(paused.structuredContent, { alarm: { status: 'paused', next_fire_at: null }, etag: /^"/ });
  t.match(paused.content[0]!.text, /^Paused: .*: paused, .*no wake until resumed/);
  const fired = await call('alarm_control', { id, action: 'fire_now' });
  t.notOk(fired.isError, fired.content[0]!.text);
  const fireId: string = fired.structuredContent!.fire_id;
  t.match(fireId, /^fir_/);
  await router.waitForCount(1, 15_000);
  t.match(router.received[0]!.body, { alarm_id: id, fire_id: fireId, manual: true, wake_message: 'Post the standup summary, team B.' }, 'a paused alarm fired now wakes the agent once');

  await t.test('alarm_history shows the fire_now attempt, manual, once delivered', async (t) => {
    const history = await waitFor(async () => {
      const answer = await call('alarm_history', { alarm_id: id });
      return (answer.structuredContent?.fires as { fire_id: string; outcome: string }[] | undefined)?.some((f) => f.fire_id === fireId && f.outcome === 'delivered') ? answer : undefined;
    }, 15_000);
    t.match(history.structuredContent!.fires[0], { alarm_id: id, fire_id: fireId, outcome: 'delivered', manual: true, attempt: 1, target_type: 'router' });
    t.match(history.content[0]!.text, new RegExp(`^1 attempt\\(s\\):\\n\\S+ ${id} ${fireId} attempt 1 \\(fire_now\\): delivered \\(204\\)$`));
  });

  const resumed = await call('alarm_control', { id, action: 'resume' });
  t.match(resumed.structuredContent, { alarm: { status: 'scheduled', next_fire_at: halfPastTen.toISOString() } }, 'resumed at its next occurrence, the fire now apart');
  t.equal(resumed.structuredContent!.fire_id, undefined);

  await call('alarm_cancel', { id });
  const finished = await call('alarm_control', { id, action: 'pause' });
  t.equal(finished.isError, true);
  t.match(finished.content[0]!.text, /^not_updatable: the alarm is cancelled/);
  t.ok(finished.content[0]!.text.endsWith(nextStep('not_updatable')));
});

t.test('every error code the tools\' routes can answer has a next step, and nothing else does', async (t) => {
  const client = ['unreachable', 'bad_response', 'internal'];
  const routeNames = new Set([...TOOLS.flatMap((tool) => tool.routes), ...AUTH_ROUTES]);
  const codes = new Set(client);
  for (const name of routeNames) {
    const route = (ROUTES as Record<string, RouteSpec>)[name];
    t.ok(route, `${name} is a route of api/routes.ts`);
    if (!route) continue;
    for (const code of errorCodesOf(route)) codes.add(code);
  }
  for (const code of codes) t.ok(NEXT_STEPS[code], `${code} has a next step`);
  for (const code of Object.keys(NEXT_STEPS)) t.ok(code in STATUS_OF_CODE || client.includes(code), `${code} is a code of the API or the client`);
});

t.test('real tool errors are MCP tool errors whose text ends with the next step', async (t) => {
  const { call } = await session(t);
  const missing = await call('alarm_get', { id: 'alm_AAAAAAAAAAAAAAAAAAAA' });
  t.same(missing, { isError: true, content: [{ type: 'text', text: `not_found: no such alarm${nextStep('not_found')}` }] });
  const set = await call('alarm_set', { kind: 'cron', cron: '0 9 * * *', wake_message: 'standup' });
  const id: string = set.structuredContent!.alarm.id;
  const badCron = await call('alarm_update', { id, cron: '0 0 30 2 *' });
  t.equal(badCron.isError, true);
  t.equal(badCron.content[0]!.text, `invalid_request: cron: never fires: it has no occurrence after now${nextStep('invalid_request')}`, 'the API\'s check, as a create makes it');
  const badAction = await call('alarm_control', { id, action: 'snooze' });
  t.equal(badAction.content[0]!.text, `invalid_request: action: must be "pause", "resume" or "fire_now"${nextStep('invalid_request')}`, 'the tool\'s own input check');
  const misspelled = await call('alarm_update', { id, timezone: 'Europe/Berlin' });
  t.equal(misspelled.content[0]!.text, `invalid_request: timezone: unknown field: did you mean "tz"?${nextStep('invalid_request')}`);
});

t.test('chronos mcp asks for the scopes its tools need and no more', async (t) => {
  t.same(toolScopes(), ['alarms:read', 'alarms:write'], 'no endpoints:write, no stream');
});
