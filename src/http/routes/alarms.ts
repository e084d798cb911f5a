/** The alarm routes (SPEC 4.2): each parses its input with the route's schema and calls the alarm service as c.var.did. */
import type { Handler } from 'hono';
import { ListAlarmsQuery, ListFiresQuery } from '../../api/alarms.js';
import { parseOrThrow } from '../../api/problems.js';
import { parseCreateRequest } from '../../alarms/create-request.js';
import { alarmView, fireView } from '../../alarms/rows.js';
import type { AlarmService } from '../../alarms/service.js';
import { InvalidInput } from '../../errors.js';
import { memberTexts } from '../../json/raw.js';
import type { AppEnv } from '../env.js';
import { readJsonBody } from '../body.js';
import { ok } from '../respond.js';

const UNKNOWN_PARAMETER = 'unknown query parameter';


/** The handlers of the alarm routes, by route name (api/routes.ts). */
export function alarmHandlers(service: AlarmService, now: () => number) {
  return {
    createAlarm: (async (c) => {
      const body = await readJsonBody(c);
      const payload = memberTexts(body.text).get('payload');
      if (payload && payload.length > 1) throw new InvalidInput([{ path: 'payload', message: 'is given more than once' }]);
      const req = parseCreateRequest(body.value, payload?.[0], c.req.header('idempotency-key'), new Date(now()));
      const { alarm, created } = await service.create(c.get('did'), req);
      return ok(c, alarmView(alarm), created ? 201 : 200);
    }) satisfies Handler<AppEnv>,
    listAlarms: (async (c) => {
      const page = await service.list(c.get('did'), parseOrThrow(ListAlarmsQuery, c.req.query(), UNKNOWN_PARAMETER));
      return ok(c, { alarms: page.items.map(alarmView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
    getAlarm: (async (c) => ok(c, alarmView(await service.get(c.get('did'), c.req.param('id')!)))) satisfies Handler<AppEnv>,
    cancelAlarm: (async (c) => ok(c, alarmView(await service.cancel(c.get('did'), c.req.param('id')!)))) satisfies Handler<AppEnv>,
    listFires: (async (c) => {
      const page = await service.fires(c.get('did'), c.req.param('id')!, parseOrThrow(ListFiresQuery, c.req.query(), UNKNOWN_PARAMETER));
      return ok(c, { fires: page.items.map(fireView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
  };
}
