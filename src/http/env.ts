/** The Hono environment every route shares. */
import type { PrincipalVars } from './middleware/principal.js';
import type { RequestIdVars } from './middleware/request-id.js';

/** What the middleware put on the context: the request id and its logger, and (on principal routes) the DID. */
export type AppEnv = { Variables: RequestIdVars & PrincipalVars };
