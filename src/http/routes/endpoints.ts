/** The webhook endpoint routes (SPEC 8.2): each parses its input with the route's schema and calls the endpoint service as c.var.did. */
import type { Handler } from 'hono';
import { CreateEndpoint, ListEndpointsQuery, UpdateEndpoint } from '../../api/endpoints.js';
import { parseOrThrow } from '../../api/problems.js';
import type { EndpointService } from '../../endpoints/service.js';
import { endpointView, endpointWithSecret } from '../../endpoints/view.js';
import type { AppEnv } from '../env.js';
import { readJsonBody } from '../body.js';
import { changeBy } from '../change-by.js';
import { ok } from '../respond.js';

/** The handlers of the endpoint routes, by route name (api/routes.ts). */
export function endpointHandlers(service: EndpointService, now: () => number) {
  const at = () => new Date(now());
  return {
    createEndpoint: (async (c) => {
      const req = parseOrThrow(CreateEndpoint, (await readJsonBody(c)).value);
      return ok(c, endpointWithSecret(await service.create(c.get('did'), req, changeBy(c)), at()), 201);
    }) satisfies Handler<AppEnv>,
    listEndpoints: (async (c) => {
      const page = await service.list(c.get('did'), parseOrThrow(ListEndpointsQuery, c.req.query(), 'unknown query parameter'));
      return ok(c, { endpoints: page.items.map((r) => endpointView(r, at())), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
    getEndpoint: (async (c) => ok(c, endpointView(await service.get(c.get('did'), c.req.param('id')!), at()))) satisfies Handler<AppEnv>,
    updateEndpoint: (async (c) => {
      const patch = parseOrThrow(UpdateEndpoint, (await readJsonBody(c)).value);
      return ok(c, endpointView(await service.update(c.get('did'), c.req.param('id')!, patch, changeBy(c)), at()));
    }) satisfies Handler<AppEnv>,
    deleteEndpoint: (async (c) => {
      const view = endpointView(await service.get(c.get('did'), c.req.param('id')!), at());
      await service.remove(c.get('did'), view.id, changeBy(c));
      return ok(c, view);
    }) satisfies Handler<AppEnv>,
    rotateEndpointSecret: (async (c) => ok(c, endpointWithSecret(await service.rotate(c.get('did'), c.req.param('id')!, changeBy(c)), at()))) satisfies Handler<AppEnv>,
  };
}
