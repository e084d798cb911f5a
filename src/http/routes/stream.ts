/**
 * GET /v1/stream (SPEC 8.3): reached after the transport and principal
 * checks, like every principal route. A WebSocket upgrade (stream/upgrade.ts)
 * is admitted here under the per-owner cap and answered 204, which the
 * upgrade turns into the handshake; an ordinary GET is answered 426.
 */
import type { Handler } from 'hono';
import { parseOrThrow } from '../../api/problems.js';
import { StreamQuery } from '../../api/stream.js';
import { streamUpgradeOf } from '../../stream/upgrade.js';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

/** The handler of the stream route, by route name (api/routes.ts). */
export function streamHandlers() {
  return {
    stream: (async (c) => {
      const upgrade = streamUpgradeOf(c.env);
      if (!upgrade) throw new ApiError(426, 'upgrade_required', 'GET /v1/stream is a WebSocket: connect with a WebSocket client (Upgrade: websocket)', undefined, { Upgrade: 'websocket' });
      if (!upgrade.available) {
        throw new ApiError(503, 'stream_unavailable', 'this chronosd serves no stream: it fires no wakes (no router_url) or is shutting down; connect to a replica that dispatches', undefined, { 'Retry-After': '1' });
      }
      const query = parseOrThrow(StreamQuery, c.req.query(), 'unknown query parameter');
      await upgrade.admit(c.get('did'), query.tags ?? null);
      return c.body(null, 204);
    }) satisfies Handler<AppEnv>,
  };
}
