/** GET /healthz: the bare health object (SPEC 4.2), 503 while the database does not answer. */
import type { Handler } from 'hono';
import type { z } from 'zod';
import type { HealthView } from '../../api/routes.js';
import type { AppEnv } from '../env.js';

/** What /healthz needs from the daemon. */
export interface HealthDeps {
  /** Rejects when the database does not answer. */
  readonly pingDb: () => Promise<void>;
  /** `running`, or `idle: <why>`. */
  readonly dispatchStatus: () => string;
  readonly version: string;
  readonly startedAtMs: number;
  readonly now: () => number;
}

/** The handler of /healthz. */
export function healthHandlers(deps: HealthDeps) {
  const health: Handler<AppEnv> = async (c) => {
    let db: 'ok' | 'down' = 'ok';
    try {
      await deps.pingDb();
    } catch {
      db = 'down';
    }
    const body: z.output<typeof HealthView> = {
      status: db === 'ok' ? 'ok' : 'degraded',
      db,
      dispatch: deps.dispatchStatus(),
      version: deps.version,
      uptime_s: Math.floor((deps.now() - deps.startedAtMs) / 1000),
    };
    c.header('Cache-Control', 'no-store');
    return c.json(body, db === 'ok' ? 200 : 503);
  };
  return { health };
}
