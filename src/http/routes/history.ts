/** The delivery history route (SPEC 9.4): the query parsed with the route's schema, the search run as c.var.did. */
import type { Handler } from 'hono';
import { SearchFiresQuery } from '../../api/history.js';
import { parseOrThrow } from '../../api/problems.js';
import type { FireHistory } from '../../alarms/history.js';
import { fireView } from '../../alarms/rows.js';
import type { AppEnv } from '../env.js';
import { ok } from '../respond.js';

/** The handler of the history route, by route name (api/routes.ts). */
export function historyHandlers(history: FireHistory) {
  return {
    searchFires: (async (c) => {
      const page = await history.search(c.get('did'), parseOrThrow(SearchFiresQuery, c.req.query(), 'unknown query parameter'));
      return ok(c, { fires: page.items.map(fireView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
  };
}
