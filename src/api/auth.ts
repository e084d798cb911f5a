/** The shapes of the DID challenge (SPEC 4.1): its requests and answers. */
import { z } from 'zod';
import { bodyObject, storedText, Timestamp } from './fields.js';

const required = (what: string) => storedText({ min: 1, max: 1024, message: 'required: a non-empty string', tooLong: 'must be at most 1024 characters' }).describe(what);
const DID = 'The agent\'s DID: did:key with an ed25519 key, like "did:key:z6Mk...".';

/** The body of `POST /v1/auth/challenge`. */
export const ChallengeRequest = bodyObject({ did: required(DID) });

/** The answer of `POST /v1/auth/challenge`. */
export const ChallengeView = z
  .strictObject({
    did: z.string(),
    nonce: z.string().describe('Single use, across every replica.'),
    message: z.string().describe('Sign its UTF-8 bytes: exactly "chronos-auth-v1\\n<did>\\n<nonce>\\n<expires_at>".'),
    expires_at: Timestamp,
  })
  .meta({ id: 'Challenge' });

/** What a principal token allows (SPEC 10.2); each route needs one of them (api/routes.ts). */
export const SCOPES = ['alarms:read', 'alarms:write', 'endpoints:write', 'stream'] as const;
export const Scope = z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` });
export type Scope = z.infer<typeof Scope>;

/** The body of `POST /v1/auth/verify`. */
export const VerifyRequest = bodyObject({
  did: required(DID),
  nonce: required('The nonce of the challenge.'),
  signature: required('The 64-byte ed25519 signature of message, base64url or base64.'),
  scopes: z
    .array(Scope, { error: 'must be a list of scopes' })
    .min(1, 'must name at least one scope (leave it out for all of them)')
    .optional()
    .describe(`What the token may do; all of them when left out: ${SCOPES.join(', ')}. A route outside them answers 403 insufficient_scope.`),
});

/** The answer of `POST /v1/auth/verify`: a principal token. */
export const TokenView = z
  .strictObject({
    token: z.string().describe('Send it as X-Chronos-Principal on alarm routes.'),
    did: z.string(),
    scopes: z.array(Scope).describe('What the token may do.'),
    expires_at: Timestamp,
  })
  .meta({ id: 'PrincipalToken' });
