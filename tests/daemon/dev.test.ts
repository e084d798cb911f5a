/** chronos dev from nothing: a newcomer's first wake. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { spawnCli, stop } from '../helpers/daemon.js';

t.test('chronos dev prints a working example, and the wake it causes', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'chronos-dev-'));
  // As root the embedded server runs as postgres, which must be able to enter the working directory.
  chmodSync(cwd, 0o755);
  const dev = spawnCli('chronos', ['dev', '--port', '0'], {}, cwd);
  t.teardown(() => dev.child.kill('SIGKILL'));
  await dev.waitForText(/Waiting for wakes/, 60_000);
  const [, url] = dev.stdout().match(/^curl -s -X POST (\S+)\/v1\/alarms/m)!;
  const [, transport] = dev.stdout().match(/-H 'Authorization: Bearer (\S+)'/)!;
  const [, principal] = dev.stdout().match(/-H 'X-Chronos-Principal: (\S+)'/)!;
  const res = await fetch(`${url}/v1/alarms`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${transport}`, 'X-Chronos-Principal': principal!, 'Content-Type': 'application/json' },
    body: '{"kind":"once","delay":"1s","wake_message":"Hello from Chronos","payload":{"step":1}}',
  });
  t.equal(res.status, 201);
  const { data } = (await res.json()) as { data: { id: string } };
  const [wake] = await dev.waitForText(new RegExp(`=== wake received[^=]*alarm_id:\\s+${data.id}[^=]*payload:\\s+\\{"step":1\\}`), 15_000);
  t.match(wake, /wake_message: {2}"Hello from Chronos"/);
  const [, dashboard] = dev.stdout().match(/^See them in the dashboard: (\S+)/m)!;
  t.equal(dashboard, `${url}/ui`);
  t.equal((await fetch(dashboard!)).status, 200, 'the dashboard the banner names is served');

  // The banner's command line, run as printed, from the same directory: it finds the dev agent's key (issue 17 #9).
  const [, line] = dev.stdout().match(/^ {2}((?:\w+=\S+ )*npx chronos alarm set .*)$/m)!;
  const words = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' }).split('\0').slice(0, -1);
  const assignments = words.filter((w) => /^\w+=/.test(w));
  const [npx, program, ...args] = words.slice(assignments.length);
  t.same([npx, program], ['npx', 'chronos']);
  const env = Object.fromEntries(assignments.map((w) => w.split(/=(.*)/s, 2) as [string, string]));
  const set = spawnCli('chronos', args, env, cwd);
  t.equal(await set.exited, 0, set.stderr());
  const [, id] = set.stdout().match(/^set: (alm_\S+) /)!;
  const [, did] = dev.stdout().match(/^Your dev agent is (\S+)$/m)!;
  await dev.waitForText(new RegExp(`=== wake received[^=]*agent_did:\\s+${did}\\s+alarm_id:\\s+${id}[^=]*payload:\\s+\\{"step":1\\}`), 15_000);
  t.equal(await stop(dev), 0);
});

t.test('as root, a data directory the postgres user cannot reach is one clear line, exit 1', { skip: process.getuid?.() !== 0 && 'only as root' }, async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'chronos-private-'));
  const dev = spawnCli('chronosd', ['--port', '0'], {}, cwd);
  t.equal(await dev.exited, 1);
  t.match(dev.stderr(), /^chronosd: running as root, the embedded PostgreSQL runs as the postgres user, which cannot enter .*chronos-private-\w+ \(mode 700\): set CHRONOS_DATA_DIR/m);
});
