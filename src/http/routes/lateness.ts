/** The lateness plot's routes (SPEC 11): an agent's own, and every replica's for operators. */
import type { Handler } from 'hono';
import type { Kysely } from 'kysely';
import { LatenessQuery } from '../../api/lateness.js';
import { parseOrThrow } from '../../api/problems.js';
import { LatenessPlot } from '../../metrics/lateness-plot.js';
import type { Schema } from '../../store/schema.js';
import type { AppEnv } from '../env.js';
import { ok } from '../respond.js';

const UNKNOWN_PARAMETER = 'unknown query parameter';

/** The handlers of the lateness routes, by route name (api/routes.ts). */
export function latenessHandlers(db: Kysely<Schema>) {
  const plot = new LatenessPlot(db);
  return {
    lateness: (async (c) => ok(c, await plot.owner(c.get('did'), parseOrThrow(LatenessQuery, c.req.query(), UNKNOWN_PARAMETER).minutes))) satisfies Handler<AppEnv>,
    adminLateness: (async (c) => ok(c, await plot.all(parseOrThrow(LatenessQuery, c.req.query(), UNKNOWN_PARAMETER).minutes))) satisfies Handler<AppEnv>,
  };
}
