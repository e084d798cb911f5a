/** Generated secrets (SPEC 3.3, 8.1): a secrets file from before signing keys gains one, keeps the rest, and is reused. */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { resolveSecrets } from '../../src/auth/secrets.js';

const none = { transportTokens: undefined, tokenSecrets: undefined, signingKeys: undefined };

t.test('a secrets file without signing keys gains one and keeps its tokens; later starts reuse it', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chronos-secrets-'));
  const file = join(dataDir, 'secrets.json');
  writeFileSync(file, JSON.stringify({ transport_tokens: ['ctt_old-token-0123456789abcdefghijklmnop'], token_secrets: ['old-secret-0123456789abcdefghijklmnopqrstu'] }), { mode: 0o644 });
  const first = resolveSecrets({ ...none, dataDir }, true);
  t.same([first.transportTokens, first.tokenSecrets], [['ctt_old-token-0123456789abcdefghijklmnop'], ['old-secret-0123456789abcdefghijklmnopqrstu']]);
  t.equal(first.signingKeys.length, 1);
  t.equal(first.signingKeys[0]!.length, 32, 'a 32-byte seed');
  t.equal(statSync(file).mode & 0o777, 0o600);
  const again = resolveSecrets({ ...none, dataDir }, true);
  t.same(Buffer.from(again.signingKeys[0]!), Buffer.from(first.signingKeys[0]!), 'the same key on the next start');
  t.same(JSON.parse(readFileSync(file, 'utf8')).transport_tokens, ['ctt_old-token-0123456789abcdefghijklmnop']);
});

t.test('configured signing keys win; a malformed stored one is refused with a way out', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chronos-secrets-'));
  const configured = [Buffer.alloc(32, 3)];
  t.same(resolveSecrets({ ...none, signingKeys: configured, dataDir }, true).signingKeys, configured);
  writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify({ transport_tokens: ['a'], token_secrets: ['b'], signing_keys: ['not-a-seed'] }));
  t.throws(() => resolveSecrets({ ...none, dataDir }, true), /signing_keys as a list of 32-byte seeds in base64url; delete it to generate new ones/);
});
