import t from 'tap';
import { didFromPublicKey, publicKeyFromDid } from '../../src/auth/did-key.js';
import { generateSeed, keyFromSeed } from '../../src/auth/ed25519.js';
import { tokenService } from '../../src/auth/token.js';
import { challengeMessage } from '../../src/auth/challenge.js';
import { ChronosClient } from '../../src/client/client.js';
import { SECRETS, testApp } from '../helpers/app.js';
import { SMALL_ORDER_CANONICAL, SMALL_ORDER_NON_CANONICAL } from '../helpers/ed25519-vectors.js';

const RFC8032_TEST1_PUBLIC = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
const RFC8032_TEST1_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');

t.test('did:key encodes and decodes the RFC 8032 test key', async (t) => {
  const did = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';
  t.equal(didFromPublicKey(RFC8032_TEST1_PUBLIC), did);
  t.same(Buffer.from(publicKeyFromDid(did)), RFC8032_TEST1_PUBLIC);
  t.same(Buffer.from(keyFromSeed(RFC8032_TEST1_SEED).publicKey), RFC8032_TEST1_PUBLIC, 'seed derives the RFC public key');
  const sig = Buffer.from(keyFromSeed(RFC8032_TEST1_SEED).sign(new Uint8Array())).toString('hex');
  t.equal(sig, 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b', 'RFC 8032 test 1 signature');
});

async function signedVerify(h: Awaited<ReturnType<typeof testApp>>, seed: Uint8Array, overrides: { did?: string; nonce?: string; signWith?: Uint8Array; signature?: string } = {}) {
  const did = didFromPublicKey(keyFromSeed(seed).publicKey);
  const ch = await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did }) });
  const nonce: string = ch.json.data.nonce;
  const message: string = ch.json.data.message;
  const signature = overrides.signature ?? Buffer.from(keyFromSeed(overrides.signWith ?? seed).sign(Buffer.from(message))).toString('base64url');
  const res = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did: overrides.did ?? did, nonce: overrides.nonce ?? nonce, signature }) });
  return { challenge: ch, res, did, nonce, signature };
}

t.test('challenge and verify: the happy path and the exact message', async (t) => {
  const h = await testApp(t);
  const seed = generateSeed();
  const { challenge, res, did, nonce } = await signedVerify(h, seed);
  t.equal(challenge.status, 200);
  t.match(challenge.json.data, { did, nonce: String, expires_at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ });
  t.equal(challenge.json.data.message, challengeMessage(did, nonce, challenge.json.data.expires_at));
  t.equal(challenge.json.data.message, `chronos-auth-v1\n${did}\n${nonce}\n${challenge.json.data.expires_at}`);
  t.equal(res.status, 200);
  t.match(res.json.data, { token: /^[\w-]+\.[\w-]+\.[\w-]+$/, did, expires_at: String });
  t.equal((await h.tokens.verify(res.json.data.token)).did, did);
  const claims = JSON.parse(Buffer.from(res.json.data.token.split('.')[1], 'base64url').toString());
  t.match(claims, { sub: did, aud: 'chronos', iat: Number, exp: Number, jti: String });
  t.equal(claims.exp - claims.iat, 3600, 'token_ttl 1h');
});

t.test('signature as standard base64 with padding is accepted', async (t) => {
  const h = await testApp(t);
  const seed = generateSeed();
  const did = didFromPublicKey(keyFromSeed(seed).publicKey);
  const ch = await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did }) });
  const signature = Buffer.from(keyFromSeed(seed).sign(Buffer.from(ch.json.data.message))).toString('base64');
  const res = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did, nonce: ch.json.data.nonce, signature }) });
  t.equal(res.status, 200);
});

t.test('every failure has its own code', async (t) => {
  const h = await testApp(t);
  const seed = generateSeed();

  await t.test('nonce replay', async (t) => {
    const first = await signedVerify(h, seed);
    t.equal(first.res.status, 200);
    const replay = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did: first.did, nonce: first.nonce, signature: first.signature }) });
    t.match(replay, { status: 401, json: { ok: false, error: { code: 'invalid_nonce' } } });
  });
  await t.test('unknown nonce', async (t) => {
    const { res } = await signedVerify(h, seed, { nonce: 'never-issued' });
    t.match(res, { status: 401, json: { error: { code: 'invalid_nonce' } } });
  });
  await t.test('expired nonce (its expiry moved into the past in the database)', async (t) => {
    const did = didFromPublicKey(keyFromSeed(seed).publicKey);
    const ch = await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did }) });
    await h.database.sql`UPDATE auth_nonces SET expires_at = now() - interval '1 second' WHERE nonce = ${ch.json.data.nonce}`;
    const signature = Buffer.from(keyFromSeed(seed).sign(Buffer.from(ch.json.data.message))).toString('base64url');
    const res = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did, nonce: ch.json.data.nonce, signature }) });
    t.match(res, { status: 401, json: { error: { code: 'invalid_nonce', message: /expired/ } } });
  });
  await t.test('signature by another key', async (t) => {
    const { res } = await signedVerify(h, seed, { signWith: generateSeed() });
    t.match(res, { status: 401, json: { error: { code: 'invalid_signature' } } });
  });
  await t.test('signature that is not 64 bytes', async (t) => {
    const { res } = await signedVerify(h, seed, { signature: 'AAAA' });
    t.match(res, { status: 401, json: { error: { code: 'invalid_signature' } } });
  });
  await t.test("a different DID's nonce", async (t) => {
    const other = generateSeed();
    const otherDid = didFromPublicKey(keyFromSeed(other).publicKey);
    const ch = await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did: otherDid }) });
    const did = didFromPublicKey(keyFromSeed(seed).publicKey);
    const message = challengeMessage(did, ch.json.data.nonce, ch.json.data.expires_at);
    const signature = Buffer.from(keyFromSeed(seed).sign(Buffer.from(message))).toString('base64url');
    const res = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did, nonce: ch.json.data.nonce, signature }) });
    t.match(res, { status: 401, json: { error: { code: 'invalid_nonce' } } });
  });
  await t.test('unsupported DIDs, at challenge and at verify', async (t) => {
    for (const did of ['did:web:example.com', 'did:key:abc', 'did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc', 'not a did', 'did:key:z0OIl']) {
      const ch = await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did }) });
      t.match(ch, { status: 400, json: { error: { code: 'unsupported_did' } } }, `challenge ${did}`);
      const v = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did, nonce: 'n', signature: 's' }) });
      t.match(v, { status: 400, json: { error: { code: 'unsupported_did' } } }, `verify ${did}`);
    }
  });
  await t.test('a small-order key, whose trivial signature (R = identity, S = 0) would verify, gets no challenge and no token', async (t) => {
    const forged = Buffer.concat([Buffer.from(SMALL_ORDER_CANONICAL[0]!, 'hex'), Buffer.alloc(32)]).toString('base64url');
    for (const key of [...SMALL_ORDER_CANONICAL, ...SMALL_ORDER_NON_CANONICAL]) {
      const did = didFromPublicKey(Buffer.from(key, 'hex'));
      const ch = await h.request('POST', '/v1/auth/challenge', { body: JSON.stringify({ did }) });
      t.match(ch, { status: 400, json: { error: { code: 'unsupported_did', message: /refused ed25519 public key/ } } }, `challenge ${key}`);
      const nonce: string = ch.json.data?.nonce ?? 'none';
      const v = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did, nonce, signature: forged }) });
      t.match(v, { status: 400, json: { error: { code: 'unsupported_did' } } }, `verify ${key}`);
    }
  });
  await t.test('missing fields name them', async (t) => {
    const res = await h.request('POST', '/v1/auth/verify', { body: JSON.stringify({ did: 'did:key:x' }) });
    t.match(res, { status: 400, json: { error: { code: 'invalid_request', details: [{ path: 'nonce' }, { path: 'signature' }] } } });
  });
});

t.test('principal tokens: tampered, expired, retired secret, rotation', async (t) => {
  const h = await testApp(t);
  const client = h.client();
  const { token } = await client.principal();
  const list = (principal: string) => h.request('GET', '/v1/alarms', { principal });
  t.equal((await list(token)).status, 200);

  const [head, body, sig] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
  const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw' })).toString('base64url')}.${sig}`;
  t.match(await list(forged), { status: 401, json: { error: { code: 'invalid_token' } } }, 'tampered claims');
  t.match(await list(`${head}.${body}.${sig.slice(0, -2)}AA`), { status: 401, json: { error: { code: 'invalid_token' } } }, 'tampered signature');
  t.match(await list('garbage'), { status: 401, json: { error: { code: 'invalid_token' } } }, 'malformed');
  t.match(await h.request('GET', '/v1/alarms'), { status: 401, json: { error: { code: 'invalid_token' } } }, 'missing');

  const retired = await tokenService(['a-retired-secret-0123456789abcdefghijk'], 3_600_000, h.now).issue(client.did);
  t.match(await list(retired.token), { status: 401, json: { error: { code: 'invalid_token' } } }, 'signed by a secret no longer configured');

  const bySecond = await tokenService([SECRETS[1]!], 3_600_000, h.now).issue(client.did);
  t.equal((await list(bySecond.token)).status, 200, 'signed by the second configured secret: still verifies (rotation)');

  h.advance(3_600_000);
  t.match(await list(token), { status: 401, json: { error: { code: 'token_expired' } } }, 'expired, though verified (and remembered) before');
  t.match(await list(token), { status: 401, json: { error: { code: 'token_expired' } } }, 'and still expired when sent again');
  const forgedExpired = `${head}.${body}.${sig.slice(0, -2)}AA`;
  t.match(await list(forgedExpired), { status: 401, json: { error: { code: 'invalid_token' } } }, 'a forged token is invalid, not expired');
});

t.test('transport token: missing and wrong', async (t) => {
  const h = await testApp(t);
  const variants: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong' }, { Authorization: 'Basic abc' }, { Authorization: 'Bearer' }];
  for (const headers of variants) {
    const res = await h.app.request('http://chronos.test/v1/auth/challenge', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{"did":"x"}' });
    t.equal(res.status, 401);
    t.match(await res.json(), { ok: false, error: { code: 'unauthorized' } });
  }
  const alarms = await h.app.request('http://chronos.test/v1/alarms', { headers: { Authorization: 'Bearer wrong' } });
  t.equal(alarms.status, 401, 'alarm routes check the transport token too');
  t.equal((await h.app.request('http://chronos.test/healthz')).status, 200, '/healthz needs no token');
});

t.test('the client renews its token before expiry and after a 401', async (t) => {
  const h = await testApp(t, { tokenTtlMs: 120_000 });
  const client = h.client();
  const first = await client.principal();
  h.advance(30_000);
  t.equal((await client.principal()).token, first.token, 'reused while more than 60 s are left');
  h.advance(40_000);
  const renewed = await client.principal();
  t.not(renewed.token, first.token, 'renewed when less than 60 s are left');
  t.equal((await client.call('GET', '/v1/alarms')).status, 200);
  await t.rejects(client.call('GET', '/v1/alarms/alm_00000000000000000000'), { name: 'ChronosApiError', status: 404, code: 'not_found' });

  // A client whose clock runs 10 minutes behind keeps a token the server already finds expired.
  const lagging = h.client(generateSeed(), () => h.now() - 600_000);
  const stale = await lagging.principal();
  h.advance(130_000);
  const answer = await lagging.call<{ alarms: unknown[] }>('GET', '/v1/alarms');
  t.equal(answer.status, 200, 'the 401 token_expired made it authenticate again');
  t.not((await lagging.principal()).token, stale.token);
});

t.test('the client reports an unreachable server', async (t) => {
  const client = new ChronosClient({ url: 'http://127.0.0.1:1', transportToken: 'x', seed: generateSeed() });
  await t.rejects(client.call('GET', '/v1/alarms'), { name: 'ChronosApiError', status: 0, code: 'unreachable' });
});

t.test('the sweeper deletes expired nonces and keeps live ones', async (t) => {
  const { nonceSweeper } = await import('../../src/maintenance/jobs.js');
  const { pino } = await import('pino');
  const h = await testApp(t);
  await h.database.sql`INSERT INTO auth_nonces (nonce, did, expires_at) SELECT 'old' || g, 'did:key:x', now() - interval '1 minute' FROM generate_series(1, 2500) g`;
  await h.database.sql`INSERT INTO auth_nonces (nonce, did, expires_at) VALUES ('live', 'did:key:x', now() + interval '1 minute')`;
  const sweeper = nonceSweeper(h.database.db, pino({ level: 'silent' }));
  t.equal(await sweeper.runOnce(), 2500, 'three batches of at most 1,000');
  const left = await h.database.sql`SELECT nonce FROM auth_nonces`;
  t.same(left.map((r) => r.nonce), ['live']);
  sweeper.start();
  sweeper.start();
  await sweeper.stop();
  await sweeper.stop();
});
