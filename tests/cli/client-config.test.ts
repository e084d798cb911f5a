/** The client's settings (issue 17 #9, #10): where chronosd is, and which agent key is used; chronos admin's: the URL and an admin token. */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadAdminSettings, loadClientSettings } from '../../src/config/client.js';

const SEED_A = 'aa'.repeat(32);
const SEED_B = 'bb'.repeat(32);
const hex = (seed: Uint8Array) => Buffer.from(seed).toString('hex');

/** A data directory as `chronos dev` leaves it: generated secrets and the dev agent's key. */
function devDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'chronos-client-'));
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ transport_tokens: ['local-transport-token'] }));
  writeFileSync(join(dir, 'dev-agent.key'), `${SEED_A}\n`);
  return dir;
}

t.test('in a dev data directory, the dev agent key and the local transport token are used', async (t) => {
  const dir = devDataDir();
  const settings = loadClientSettings({}, { CHRONOS_DATA_DIR: dir });
  t.equal(hex(settings.seed), SEED_A);
  t.equal(settings.transportToken, 'local-transport-token');
  t.equal(settings.url, 'http://127.0.0.1:8080');
});

t.test('a given key wins over the dev agent key; flags win over the environment', async (t) => {
  const dir = devDataDir();
  const keyFile = join(dir, 'other.key');
  writeFileSync(keyFile, SEED_B);
  t.equal(hex(loadClientSettings({}, { CHRONOS_DATA_DIR: dir, CHRONOS_AGENT_KEY: SEED_B }).seed), SEED_B);
  t.equal(hex(loadClientSettings({}, { CHRONOS_DATA_DIR: dir, CHRONOS_AGENT_KEY_FILE: keyFile }).seed), SEED_B);
  t.equal(hex(loadClientSettings({ keyFile }, { CHRONOS_DATA_DIR: dir, CHRONOS_AGENT_KEY: SEED_A }).seed), SEED_B, '--key-file over CHRONOS_AGENT_KEY');
  t.equal(hex(loadClientSettings({ key: SEED_B }, { CHRONOS_DATA_DIR: dir }).seed), SEED_B);
  t.throws(() => loadClientSettings({ key: 'nope' }, { CHRONOS_DATA_DIR: dir }), { name: 'ConfigError', message: /^--key: / });
});

t.test('without a key and outside a dev data directory: say how to get one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chronos-client-'));
  t.throws(() => loadClientSettings({}, { CHRONOS_DATA_DIR: dir, CHRONOS_TRANSPORT_TOKEN: 'x' }), { name: 'ConfigError', message: /^set CHRONOS_AGENT_KEY .*chronos keygen/ });
});

t.test('the URL must be http or https, named by where it came from', async (t) => {
  const env = { CHRONOS_TRANSPORT_TOKEN: 'x', CHRONOS_AGENT_KEY: SEED_A };
  t.throws(() => loadClientSettings({}, { ...env, CHRONOS_URL: 'localhost:18431' }), {
    name: 'ConfigError',
    message: 'CHRONOS_URL: "localhost:18431" is not an http:// or https:// URL, like http://localhost:18431',
  });
  t.throws(() => loadClientSettings({ url: 'not a url' }, env), { name: 'ConfigError', message: '--url: "not a url" is not a URL, like http://127.0.0.1:8080' });
  t.equal(loadClientSettings({}, { ...env, CHRONOS_URL: 'https://chronos.example:8443' }).url, 'https://chronos.example:8443');
});

t.test('chronos mcp never reads ./.chronos: what it uses does not depend on where the host started it', async (t) => {
  const cwd = process.cwd();
  const here = mkdtempSync(join(tmpdir(), 'chronos-cwd-'));
  const dir = devDataDir();
  renameSync(dir, join(here, '.chronos'));
  process.chdir(here);
  t.teardown(() => process.chdir(cwd));
  t.equal(loadClientSettings({}, {}).transportToken, 'local-transport-token', 'a person in a shell gets ./.chronos');
  t.throws(() => loadClientSettings({}, {}, { workingDirectory: false }), { name: 'ConfigError', message: /set CHRONOS_TRANSPORT_TOKEN .*or set CHRONOS_DATA_DIR/ });
  t.throws(() => loadClientSettings({}, { CHRONOS_TRANSPORT_TOKEN: 't'.repeat(32) }, { workingDirectory: false }), { name: 'ConfigError', message: /set CHRONOS_AGENT_KEY/ }, 'nor its dev agent key');
  const settings = loadClientSettings({}, { CHRONOS_DATA_DIR: join(here, '.chronos') }, { workingDirectory: false });
  t.equal(settings.transportToken, 'local-transport-token', 'CHRONOS_DATA_DIR names it from anywhere');
});

t.test("chronos admin: the URL as the client's, the admin token from --admin-token or CHRONOS_ADMIN_TOKEN, nothing of the agent's", async (t) => {
  const token = 'admin-token-0123456789abcdefghijklmnop';
  t.same(loadAdminSettings({}, { CHRONOS_ADMIN_TOKEN: token }), { url: 'http://127.0.0.1:8080', adminToken: token }, 'no agent key nor transport token needed');
  t.same(loadAdminSettings({ url: 'http://chronos:9000', adminToken: 'from-the-flag' }, { CHRONOS_URL: 'http://other:1', CHRONOS_ADMIN_TOKEN: token }), { url: 'http://chronos:9000', adminToken: 'from-the-flag' }, 'flags win');
  t.equal(loadAdminSettings({}, { CHRONOS_URL: 'http://chronos:9000', CHRONOS_ADMIN_TOKEN: token }).url, 'http://chronos:9000');
  t.throws(() => loadAdminSettings({}, { CHRONOS_ADMIN_TOKEN: '' }), { message: /^set CHRONOS_ADMIN_TOKEN or give --admin-token/ }, 'an empty variable is none');
  t.throws(() => loadAdminSettings({}, { CHRONOS_ADMIN_TOKEN: ' ' }), { message: 'CHRONOS_ADMIN_TOKEN: an admin token has no blanks or control characters' });
  t.throws(() => loadAdminSettings({ adminToken: 'a\tb' }, {}), { message: '--admin-token: an admin token has no blanks or control characters' });
  t.throws(() => loadAdminSettings({ url: 'localhost:8080' }, { CHRONOS_ADMIN_TOKEN: token }), { message: /^--url: "localhost:8080" is not an http/ });
});
