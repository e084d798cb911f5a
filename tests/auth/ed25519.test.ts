import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import t from 'tap';
import { didFromPublicKey, publicKeyFromDid } from '../../src/auth/did-key.js';
import { checkPublicKey, generateSeed, keyFromSeed, RefusedPublicKey, verifySignature } from '../../src/auth/ed25519.js';
import { SMALL_ORDER_CANONICAL, SMALL_ORDER_NON_CANONICAL } from '../helpers/ed25519-vectors.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

// The public keys of RFC 8032's tests 1 to 3.
const RFC8032_PUBLIC_KEYS = [
  'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
];

t.test('small-order public keys are refused, in every encoding', async (t) => {
  for (const key of SMALL_ORDER_CANONICAL) {
    t.throws(() => checkPublicKey(hex(key)), new RefusedPublicKey('a point of small order, for which anyone can make a signature'), key);
  }
  for (const key of SMALL_ORDER_NON_CANONICAL) {
    t.throws(() => checkPublicKey(hex(key)), new RefusedPublicKey('not the canonical encoding of a point of ed25519'), key);
  }
});

t.test('non-canonical encodings and bytes off the curve are refused', async (t) => {
  const threeIsAPoint = hex('0300000000000000000000000000000000000000000000000000000000000000');
  t.equal(checkPublicKey(threeIsAPoint), threeIsAPoint, 'y = 3 is a point, not of small order');
  t.throws(() => checkPublicKey(hex('f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')), RefusedPublicKey, 'y = p + 3 encodes it too, non-canonically');
  t.throws(() => checkPublicKey(hex('0200000000000000000000000000000000000000000000000000000000000000')), RefusedPublicKey, 'y = 2 is no point');
  t.throws(() => checkPublicKey(new Uint8Array(31)), RefusedPublicKey, '31 bytes');
});

t.test('keys made from seeds pass', async (t) => {
  for (const key of RFC8032_PUBLIC_KEYS) t.same(checkPublicKey(hex(key)), hex(key), key);
  for (let i = 0; i < 50; i++) {
    const { publicKey } = keyFromSeed(generateSeed());
    t.equal(checkPublicKey(publicKey), publicKey);
  }
});

t.test('a did:key with a refused key is an UnsupportedDid that says why', async (t) => {
  for (const key of [...SMALL_ORDER_CANONICAL, ...SMALL_ORDER_NON_CANONICAL]) {
    const did = didFromPublicKey(hex(key));
    t.throws(() => publicKeyFromDid(did), { name: 'UnsupportedDid', message: /^did:key holds a refused ed25519 public key: (a point of small order|not the canonical encoding)/ }, did);
  }
  const { publicKey } = keyFromSeed(generateSeed());
  t.same(publicKeyFromDid(didFromPublicKey(publicKey)), publicKey);
});

t.test('verification is strict: canonical S and R, cofactorless equation', async (t) => {
  const seed = generateSeed();
  const key = keyFromSeed(seed);
  const publicKey = checkPublicKey(key.publicKey);
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed);
  const message = Buffer.from('chronos-auth-v1\ndid:key:z6Mk...\nnonce\n2026-11-23T12:02:00.000Z');
  // A signature made by hand from the secret scalar: S = r + h·a with h = SHA-512(R || A || M) mod L.
  const signWithR = (R: Uint8Array, r: bigint) => {
    const h = littleEndian(createHash('sha512').update(R).update(publicKey).update(message).digest()) % L;
    return Buffer.concat([R, scalarBytes((r + h * scalar) % L)]);
  };

  const signature = key.sign(message);
  t.ok(verifySignature(publicKey, message, signature), 'a signature by node:crypto');
  const sPlusL = Buffer.concat([signature.subarray(0, 32), scalarBytes(littleEndian(signature.subarray(32)) + L)]);
  t.notOk(verifySignature(publicKey, message, sPlusL), 'the same with S + L (S not below L)');

  t.ok(verifySignature(publicKey, message, signWithR(hex(SMALL_ORDER_CANONICAL[0]!), 0n)), 'R = identity, canonically encoded, S = h·a: holds the equation');
  for (const R of [SMALL_ORDER_NON_CANONICAL[0]!, SMALL_ORDER_NON_CANONICAL[4]!]) {
    t.notOk(verifySignature(publicKey, message, signWithR(hex(R), 0n)), `R = identity encoded as ${R}: non-canonical R`);
  }

  const r = 0x1234567890abcdefn;
  const rPlusTorsion = ed25519.Point.BASE.multiply(r).add(ed25519.Point.fromBytes(hex(SMALL_ORDER_CANONICAL[4]!))).toBytes();
  const cofactoredOnly = signWithR(rPlusTorsion, r);
  t.ok(ed25519.verify(cofactoredOnly, message, publicKey, { zip215: false }), 'R = rB + T8 holds the cofactored equation (noble checks that one)');
  t.notOk(verifySignature(publicKey, message, cofactoredOnly), 'and not the cofactorless one');
});

function littleEndian(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`);
}

function scalarBytes(n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse();
}
