/** The Hono environment every route shares. */
import type { PrincipalVars } from './middleware/principal.js';
import type { RequestIdVars } from './middleware/request-id.js';

/** Who makes a change: the principal's DID, or `admin:<name>` (SPEC 10.3). */
export interface ActorVars {
  actor: string;
}

/** What the middleware put on the context: the request id and its logger, and (on principal routes) the DID, (on principal and admin routes) the actor. */
export type AppEnv = { Variables: RequestIdVars & PrincipalVars & ActorVars };
