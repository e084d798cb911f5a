/** GET /.well-known/chronos (SPEC 8.1): the wake signing keys as did:keys, without any credential. */
import t from 'tap';
import { didFromPublicKey } from '../../src/auth/did-key.js';
import { keyFromSeed } from '../../src/auth/ed25519.js';
import { SIGNING_SEED, testApp } from '../helpers/app.js';

t.test('publishes the signing key, bare and without auth', async (t) => {
  const h = await testApp(t);
  const res = await h.app.request('http://chronos.test/.well-known/chronos');
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^application\/json/);
  const publicKey = keyFromSeed(SIGNING_SEED).publicKey;
  t.same(await res.json(), { keys: [{ did: didFromPublicKey(publicKey), public_key: `whpk_${Buffer.from(publicKey).toString('base64')}`, alg: 'ed25519', signing: true }] });
});
