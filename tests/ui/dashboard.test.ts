/**
 * The dashboard (SPEC 11) in a real headless Chromium, driven by
 * playwright-core, against a real chronosd: an operator signs in, finds an
 * alarm by its tag, pauses and resumes it, fires it and sees the attempt
 * appear, and cancels it, with the keyboard alone for one action; an agent
 * sees only its own alarms; a bad token is refused on the page. A screenshot
 * of each main view is kept under test-artifacts/ui/.
 *
 * Chromium is Debian's (`apt-get install -y chromium`, which .ci/run does);
 * browser downloads are not possible here. Without it these tests are
 * skipped, saying so, unless CHRONOS_REQUIRE_BROWSER=1 (CI), when they fail.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import t from 'tap';
import { freshDatabaseUrl } from '../helpers/db.js';
import { fakeRouter } from '../helpers/router.js';
import { agent, REPLICA_SECRETS, startReplica } from '../helpers/stream.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_TOKEN = 'dashboard-admin-token-0123456789abcdef';
const ARTIFACTS = new URL('../../test-artifacts/ui/', import.meta.url).pathname;
// The flags Chromium needs as root in a sandbox with a closed network.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
// "A few hundred KB at most" (SPEC 11): everything the page loads, uncompressed.
const PAGE_BUDGET_BYTES = 300 * 1024;

if (!existsSync(CHROMIUM)) {
  const install = 'Install Debian\'s chromium package (apt-get install -y chromium), as .ci/run does, or set CHROMIUM_PATH.';
  if (process.env.CHRONOS_REQUIRE_BROWSER === '1') t.fail(`Chromium not found at ${CHROMIUM}, and CHRONOS_REQUIRE_BROWSER=1 requires the dashboard's browser tests. ${install}`);
  else t.plan(0, `Chromium not found at ${CHROMIUM}: the dashboard's browser tests are skipped. ${install}`);
} else {
  mkdirSync(ARTIFACTS, { recursive: true });
  await run();
}

async function run() {
  const router = await fakeRouter(t);
  const replica = await startReplica(t, await freshDatabaseUrl(t), router.url, { CHRONOS_ADMIN_TOKENS: `ops:${ADMIN_TOKEN}` });
  const owner = agent(replica);
  const other = agent(replica);
  const create = async (client: typeof owner, body: Record<string, unknown>) => (await client.call<{ id: string }>('POST', '/v1/alarms', { body })).data.id;
  const target = await create(owner, { kind: 'cron', cron: '0 9 * * *', tz: 'Europe/Berlin', wake_message: 'Write the standup notes.', label: 'standup notes', tags: ['team'] });
  await create(owner, { kind: 'once', delay: '2h', wake_message: 'Check the deploy.', label: 'deploy check', tags: ['ops'] });
  await create(other, { kind: 'once', delay: '3h', wake_message: 'Someone else\'s.', label: 'other agent\'s alarm', tags: ['team'] });

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.teardown(() => browser.close());

  /** A fresh page that records its problems and the bytes it loads. */
  async function open(viewport = { width: 1280, height: 900 }) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems: string[] = [];
    let bytes = 0;
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname.startsWith('/ui/')) bytes += (await r.body().catch(() => Buffer.alloc(0))).length;
    });
    await page.goto(`${replica.url}/ui`);
    return { page, problems, bytes: () => bytes };
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
  const confirm = async (page: Page, button: string, confirmWith: string) => {
    await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: button }).click();
    await page.getByRole('dialog').getByRole('button', { name: confirmWith }).click();
    // While the modal dialog is open the rest of the page is inert, out of the accessibility tree that roles are found in.
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
  };
  const status = async () => (await owner.call<{ status: string }>('GET', `/v1/alarms/${target}`)).data.status;

  t.test('an operator signs in, finds an alarm, pauses, resumes, fires and cancels it', async (t) => {
    const { page, problems, bytes } = await open();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('heading', { name: /Replicas/ }).waitFor();
    await page.locator('.plot canvas').first().waitFor();
    t.match(await page.locator('main').innerText(), /Due backlog[\s\S]*Alarms by status/, 'the overview shows the counts');
    t.equal(await page.locator('.plot canvas').count(), 2, 'the lateness and backlog plots are drawn');
    await shot(page, 'overview');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alarms' }).click();
    await page.getByRole('search').getByLabel('Tag').fill('team');
    await page.getByRole('search').getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('status').filter({ hasText: '2 alarms' }).waitFor();
    t.ok(await page.getByRole('link', { name: 'other agent\'s alarm' }).isVisible(), 'an operator sees every owner\'s alarms');
    t.notOk(await page.getByRole('link', { name: 'deploy check' }).isVisible(), 'the tag filter leaves out the others');
    await shot(page, 'alarms');

    await page.getByRole('link', { name: 'standup notes' }).click();
    const badge = page.getByTestId('status');
    t.equal(await badge.innerText(), 'scheduled');
    t.match(await page.getByRole('list').filter({ hasText: '09:00:00' }).innerText(), /09:00:00\+01:00/, 'its coming occurrences, in its zone');

    await confirm(page, 'Pause', 'Pause');
    await page.getByRole('status').filter({ hasText: 'Paused.' }).waitFor();
    t.equal(await badge.innerText(), 'paused');
    t.equal(await status(), 'paused', 'the alarm is paused in chronosd');

    await confirm(page, 'Resume', 'Resume');
    await page.getByRole('status').filter({ hasText: 'Resumed.' }).waitFor();
    t.equal(await status(), 'scheduled');

    t.equal(await page.getByTestId('no-attempts').count(), 1, 'no attempt before the fire');
    await confirm(page, 'Fire now', 'Fire now');
    await page.getByRole('status').filter({ hasText: /Fired: attempt 1 delivered/ }).waitFor({ timeout: 20_000 });
    const row = page.locator('table.attempts tbody tr');
    t.equal(await row.count(), 1, 'the attempt appears');
    t.match(await row.innerText(), /delivered[\s\S]*204/);
    t.equal(router.received.length, 1, 'the router got the wake');
    t.equal(await row.getAttribute('data-fire-id'), router.received[0]!.body.fire_id, 'with the fire_id the page shows');
    await shot(page, 'alarm');

    // The keyboard alone: Escape leaves the alarm as it is; Enter on the confirm button cancels it.
    await page.getByRole('button', { name: 'Cancel alarm' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    t.equal(await status(), 'scheduled', 'Escape changed nothing');
    await page.getByRole('button', { name: 'Cancel alarm' }).focus();
    await page.keyboard.press('Enter');
    t.equal(await page.evaluate('document.activeElement?.textContent'), 'Cancel alarm', 'the dialog\'s confirm button has the focus');
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Cancelled.' }).waitFor();
    t.equal(await status(), 'cancelled');
    t.equal(await page.getByRole('group', { name: 'Actions' }).getByRole('button').count(), 0, 'a cancelled alarm offers no action');

    const audit = (await (await fetch(`${replica.url}/v1/admin/audit?target_id=${target}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { data: { entries: { action: string; actor: string }[] } };
    t.same(
      audit.data.entries.map((e) => [e.action, e.actor]).reverse(),
      [['alarm.create', owner.did], ['alarm.pause', 'admin:ops'], ['alarm.resume', 'admin:ops'], ['alarm.fire', 'admin:ops'], ['alarm.cancel', 'admin:ops']],
      'each action is audited, in the operator\'s name',
    );
    t.ok(bytes() < PAGE_BUDGET_BYTES, `the page loaded ${bytes()} bytes, under ${PAGE_BUDGET_BYTES}`);
    t.same(problems, [], 'no script error and no Content-Security-Policy violation');
  });

  t.test('an agent sees its own alarms only, on a phone', async (t) => {
    const { page, problems } = await open({ width: 390, height: 844 });
    await page.getByLabel('Agent').check();
    await page.getByLabel('Transport token').fill(REPLICA_SECRETS.CHRONOS_TRANSPORT_TOKENS);
    await page.getByLabel('Principal token').fill((await owner.principal()).token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    t.match(await page.locator('header').innerText(), /Agent did:key:/, 'the header names the agent');
    await page.locator('.plot canvas').first().waitFor();
    t.equal(await page.locator('.plot canvas').count(), 1, 'its own lateness plot (the backlog over time is the operators\')');
    await shot(page, 'overview-agent-phone');
    await page.getByRole('link', { name: 'Alarms' }).click();
    await page.getByRole('status').filter({ hasText: '2 alarms' }).waitFor();
    t.notOk(await page.getByRole('link', { name: 'other agent\'s alarm' }).isVisible(), 'not another agent\'s');
    t.equal(await page.getByRole('search').getByLabel('Owner').count(), 0, 'no owner filter for an agent');
    await shot(page, 'alarms-agent-phone');
    t.same(problems, []);
  });

  t.test('a wrong token is refused on the page, which says why', async (t) => {
    const { page } = await open();
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    t.match(await alert.innerText(), /unauthorized/);
    t.equal(await page.getByRole('heading', { name: 'Overview' }).count(), 0, 'still on the sign-in');
    await shot(page, 'sign-in-refused');
  });
}
