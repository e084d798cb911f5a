/** GET /.well-known/chronos: the keys that sign wakes (SPEC 8.1), bare like /healthz. */
import type { Handler } from 'hono';
import type { z } from 'zod';
import type { WellKnownView } from '../../api/well-known.js';
import type { WakeSigner } from '../../auth/wake-signer.js';
import type { AppEnv } from '../env.js';

/** The handler of /.well-known/chronos. */
export function wellKnownHandlers(signer: WakeSigner) {
  const body: z.output<typeof WellKnownView> = { keys: [...signer.published()] };
  const text = JSON.stringify(body);
  // Receivers may cache it briefly; a rotation publishes the new key beside the old one first.
  const wellKnown: Handler<AppEnv> = (c) => c.body(text, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' });
  return { wellKnown };
}
