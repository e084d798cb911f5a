/** POST /v1/auth/challenge and /v1/auth/verify (SPEC 4.1). */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { createChallenge, verifyChallenge } from '../../auth/challenge.js';
import type { TokenService } from '../../auth/token.js';
import { InvalidInput, type FieldProblem } from '../../problems.js';
import type { Schema } from '../../store/schema.js';
import { readJsonBody } from '../body.js';
import { ok } from '../respond.js';

/** What the auth routes need. */
export interface AuthDeps {
  readonly db: Kysely<Schema>;
  readonly tokens: TokenService;
  readonly challengeTtlMs: number;
}

/** Reads the named string fields of an object body, naming every missing or mistyped one. */
function stringFields<K extends string>(body: unknown, names: readonly K[]): Record<K, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInput([{ path: '', message: 'the body must be a JSON object' }]);
  const b = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const name of names) {
    if (typeof b[name] !== 'string' || b[name] === '') problems.push({ path: name, message: 'required: a non-empty string' });
    else if ((b[name] as string).length > 1024) problems.push({ path: name, message: 'must be at most 1024 characters' });
  }
  for (const key of Object.keys(b)) if (!(names as readonly string[]).includes(key)) problems.push({ path: key, message: 'unknown field' });
  if (problems.length > 0) throw new InvalidInput(problems);
  return b as Record<K, string>;
}

/** The auth routes (mounted under /v1/auth). */
export function authRoutes(deps: AuthDeps) {
  return new Hono()
    .post('/challenge', async (c) => {
      const { did } = stringFields((await readJsonBody(c)).value, ['did']);
      return ok(c, await createChallenge(deps.db, did, deps.challengeTtlMs));
    })
    .post('/verify', async (c) => {
      const { did, nonce, signature } = stringFields((await readJsonBody(c)).value, ['did', 'nonce', 'signature']);
      await verifyChallenge(deps.db, did, nonce, signature);
      return ok(c, await deps.tokens.issue(did));
    });
}
