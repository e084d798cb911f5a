/** `GET /.well-known/chronos` (SPEC 8.1): the public halves of the keys that sign wakes. */
import { z } from 'zod';

/** One key that signs (or, during a rotation, signed) wakes. */
export const PublishedKey = z
  .strictObject({
    did: z.string().describe('The key as a did:key.'),
    public_key: z.string().describe('"whpk_" and the base64 of the 32 public key bytes: the Standard Webhooks spelling.'),
    alg: z.literal('ed25519'),
    signing: z.boolean().describe('True for the key that signs now; the others are still to be trusted.'),
  })
  .meta({ id: 'PublishedKey' });
/** A published key. */
export type PublishedKey = z.infer<typeof PublishedKey>;

/** The well-known document (bare, like /healthz: no envelope). */
export const WellKnownView = z.strictObject({ keys: z.array(PublishedKey).describe('The signing key first.') }).meta({ id: 'WellKnown' });
