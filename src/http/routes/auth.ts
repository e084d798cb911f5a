/** POST /v1/auth/challenge and /v1/auth/verify (SPEC 4.1). */
import type { Handler } from 'hono';
import type { Kysely } from 'kysely';
import { ChallengeRequest, VerifyRequest } from '../../api/auth.js';
import { parseOrThrow } from '../../api/problems.js';
import { createChallenge, verifyChallenge } from '../../auth/challenge.js';
import type { TokenService } from '../../auth/token.js';
import type { Schema } from '../../store/schema.js';
import { readJsonBody } from '../body.js';
import type { AppEnv } from '../env.js';
import { ok } from '../respond.js';

/** What the auth routes need. */
export interface AuthDeps {
  readonly db: Kysely<Schema>;
  readonly tokens: TokenService;
  readonly challengeTtlMs: number;
}

/** The handlers of the auth routes, by route name (api/routes.ts). */
export function authHandlers(deps: AuthDeps) {
  return {
    challenge: (async (c) => {
      const { did } = parseOrThrow(ChallengeRequest, (await readJsonBody(c)).value);
      return ok(c, await createChallenge(deps.db, did, deps.challengeTtlMs));
    }) satisfies Handler<AppEnv>,
    verify: (async (c) => {
      const { did, nonce, signature, scopes } = parseOrThrow(VerifyRequest, (await readJsonBody(c)).value);
      await verifyChallenge(deps.db, did, nonce, signature);
      return ok(c, await deps.tokens.issue(did, scopes));
    }) satisfies Handler<AppEnv>,
  };
}
