/**
 * Signs wakes the Standard Webhooks way (SPEC 8.1): over
 * `<webhook-id>.<webhook-timestamp>.<body>`, a `v1a` ed25519 signature with
 * the daemon's first signing key, and a `v1` HMAC-SHA256 per endpoint secret
 * given. Every key's public half is published as a did:key, so a receiver
 * can follow a rotation without a restart.
 */
import { createHmac } from 'node:crypto';
import type { PublishedKey } from '../api/well-known.js';
import { didFromPublicKey } from './did-key.js';
import { keyFromSeed, type Ed25519Key } from './ed25519.js';

/** The three signature headers of a wake (for a stream wake, the members of its `signature`). */
export interface SignatureHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** Signs wakes with the first of `seeds`; publishes all of them. */
export class WakeSigner {
  private readonly signing: Ed25519Key;
  private readonly keys: readonly PublishedKey[];

  constructor(seeds: readonly Uint8Array[]) {
    if (seeds.length === 0) throw new Error('at least one signing key is needed');
    const keys = seeds.map(keyFromSeed);
    this.signing = keys[0]!;
    this.keys = keys.map((k, i) => ({ did: didFromPublicKey(k.publicKey), public_key: `whpk_${Buffer.from(k.publicKey).toString('base64')}`, alg: 'ed25519', signing: i === 0 }));
  }

  /** The keys to publish, the signing one first. */
  published(): readonly PublishedKey[] {
    return this.keys;
  }

  /**
   * The headers for `body` sent as message `id` (the fire_id) at `sentAt`
   * (in whole unix seconds); one `v1` signature per HMAC secret (an
   * endpoint's secret, and during a rotation its previous one).
   */
  sign(id: string, sentAt: Date, body: string, hmacSecrets: readonly Uint8Array[] = []): SignatureHeaders {
    const timestampS = Math.floor(sentAt.getTime() / 1000);
    const content = Buffer.from(`${id}.${timestampS}.${body}`, 'utf8');
    let signature = `v1a,${Buffer.from(this.signing.sign(content)).toString('base64')}`;
    for (const secret of hmacSecrets) signature += ` v1,${createHmac('sha256', secret).update(content).digest('base64')}`;
    return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': signature };
  }
}
