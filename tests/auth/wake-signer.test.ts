/** Wake signatures (SPEC 8.1): v1a with the daemon's key, v1 per endpoint secret, as a Standard Webhooks receiver checks them. */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import t from 'tap';
import { publicKeyFromDid } from '../../src/auth/did-key.js';
import { WakeSigner } from '../../src/auth/wake-signer.js';

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** True when `signature` (base64) is the ed25519 signature of `content` by the raw 32-byte `publicKey`. */
function ed25519Verifies(publicKey: Uint8Array, content: string, signature: string): boolean {
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return verify(null, Buffer.from(content), key, Buffer.from(signature, 'base64'));
}

const first = Buffer.alloc(32, 1);
const second = Buffer.alloc(32, 2);
const body = '{"type":"chronos.wake","payload":{"n":1.10}}';
const sentAt = new Date();

t.test('the first key signs (v1a); every key is published, as a did:key and in whpk_ form', async (t) => {
  const signer = new WakeSigner([first, second]);
  const keys = signer.published();
  t.same(keys.map((k) => [k.alg, k.signing]), [['ed25519', true], ['ed25519', false]]);
  for (const k of keys) t.same(Buffer.from(publicKeyFromDid(k.did)), Buffer.from(k.public_key.replace(/^whpk_/, ''), 'base64'), 'the did:key and public_key name the same key');

  const headers = signer.sign('fir_1', sentAt, body);
  t.equal(headers['webhook-id'], 'fir_1');
  t.equal(headers['webhook-timestamp'], String(Math.floor(sentAt.getTime() / 1000)));
  const [scheme, signature, ...more] = headers['webhook-signature'].split(/[ ,]/);
  t.same([scheme, more], ['v1a', []], 'one v1a signature and no v1 without an endpoint secret');
  const content = `fir_1.${headers['webhook-timestamp']}.${body}`;
  t.ok(ed25519Verifies(publicKeyFromDid(keys[0]!.did), content, signature!), 'verifies with the signing key');
  t.notOk(ed25519Verifies(publicKeyFromDid(keys[1]!.did), content, signature!), 'not with the other key');
  t.notOk(ed25519Verifies(publicKeyFromDid(keys[0]!.did), content.replace('1.10', '1.1'), signature!), 'not over another body');
});

t.test('one v1 per endpoint secret, each accepted by the standardwebhooks package; a forged or replayed wake is refused', async (t) => {
  const signer = new WakeSigner([first]);
  const current = randomBytes(32);
  const previous = randomBytes(32);
  const headers = signer.sign('fir_2', sentAt, body, [current, previous]);
  t.equal(headers['webhook-signature'].split(' ').filter((s) => s.startsWith('v1,')).length, 2);
  for (const secret of [current, previous]) {
    const receiver = new Webhook(`whsec_${secret.toString('base64')}`);
    t.same(receiver.verify(body, { ...headers }), JSON.parse(body), 'verified by standardwebhooks');
  }
  const receiver = new Webhook(`whsec_${current.toString('base64')}`);
  t.throws(() => receiver.verify(body.replace('1.10', '2'), { ...headers }), /No matching signature/, 'a changed body is refused');
  t.throws(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(body, { ...headers }), /No matching signature/, 'another secret is refused');
  const old = signer.sign('fir_2', new Date(Date.now() - 6 * 60_000), body, [current]);
  t.throws(() => receiver.verify(body, { ...old }), /too old/, 'a wake signed 6 minutes ago is refused as a replay');
});
