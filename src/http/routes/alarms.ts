/** The alarm routes (SPEC 4.2): each parses its input with the route's schema and calls the alarm service as c.var.did. */
import type { Context, Handler } from 'hono';
import { ListAlarmsQuery, ListFiresQuery } from '../../api/alarms.js';
import { AlarmPreviewQuery } from '../../api/schedules.js';
import { alarmPreview } from '../../alarms/preview.js';
import { parseOrThrow } from '../../api/problems.js';
import { parseCreateRequest } from '../../alarms/create-request.js';
import { alarmVersion, alarmView, fireView } from '../../alarms/rows.js';
import type { AlarmService } from '../../alarms/service.js';
import type { AlarmRow } from '../../store/alarms.js';
import { InvalidInput } from '../../errors.js';
import { memberTexts } from '../../json/raw.js';
import type { AppEnv } from '../env.js';
import { readJsonBody } from '../body.js';
import { changeBy } from '../change-by.js';
import { ok } from '../respond.js';

const UNKNOWN_PARAMETER = 'unknown query parameter';


/** The alarm's view, with its version as a strong ETag (SPEC 9.1). */
function withETag(c: Context<AppEnv>, row: AlarmRow): Response {
  c.header('ETag', `"${alarmVersion(row)}"`);
  return ok(c, alarmView(row));
}

/** The versions an If-Match header names (`*` for any), or undefined without one; a weak tag never matches (RFC 9110 13.1.1). */
function ifMatch(header: string | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  return header.split(',').map((tag) => tag.trim()).map((tag) => (tag === '*' ? '*' : /^"([^"]*)"$/.exec(tag)?.[1] ?? ''));
}

/** The handlers of the alarm routes, by route name (api/routes.ts). */
export function alarmHandlers(service: AlarmService, now: () => number) {
  return {
    createAlarm: (async (c) => {
      const body = await readJsonBody(c);
      const payload = memberTexts(body.text).get('payload');
      if (payload && payload.length > 1) throw new InvalidInput([{ path: 'payload', message: 'is given more than once' }]);
      const req = parseCreateRequest(body.value, payload?.[0], c.req.header('idempotency-key'), new Date(now()));
      const { alarm, created } = await service.create(c.get('did'), req, changeBy(c));
      return ok(c, alarmView(alarm), created ? 201 : 200);
    }) satisfies Handler<AppEnv>,
    listAlarms: (async (c) => {
      const page = await service.list(c.get('did'), parseOrThrow(ListAlarmsQuery, c.req.query(), UNKNOWN_PARAMETER));
      return ok(c, { alarms: page.items.map(alarmView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
    getAlarm: (async (c) => withETag(c, await service.get(c.get('did'), c.req.param('id')!))) satisfies Handler<AppEnv>,
    updateAlarm: (async (c) => {
      const body = await readJsonBody(c);
      const payload = memberTexts(body.text).get('payload');
      if (payload && payload.length > 1) throw new InvalidInput([{ path: 'payload', message: 'is given more than once' }]);
      return withETag(c, await service.update(c.get('did'), c.req.param('id')!, body.value, payload?.[0], ifMatch(c.req.header('if-match')), changeBy(c)));
    }) satisfies Handler<AppEnv>,
    pauseAlarm: (async (c) => withETag(c, await service.pause(c.get('did'), c.req.param('id')!, changeBy(c)))) satisfies Handler<AppEnv>,
    resumeAlarm: (async (c) => withETag(c, await service.resume(c.get('did'), c.req.param('id')!, changeBy(c)))) satisfies Handler<AppEnv>,
    fireAlarm: (async (c) => ok(c, { fire_id: await service.fire(c.get('did'), c.req.param('id')!, changeBy(c)) }, 202)) satisfies Handler<AppEnv>,
    cancelAlarm: (async (c) => ok(c, alarmView(await service.cancel(c.get('did'), c.req.param('id')!, changeBy(c))))) satisfies Handler<AppEnv>,
    listFires: (async (c) => {
      const page = await service.fires(c.get('did'), c.req.param('id')!, parseOrThrow(ListFiresQuery, c.req.query(), UNKNOWN_PARAMETER));
      return ok(c, { fires: page.items.map(fireView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
    alarmPreview: (async (c) => {
      const { count } = parseOrThrow(AlarmPreviewQuery, c.req.query(), UNKNOWN_PARAMETER);
      return ok(c, { occurrences: alarmPreview(await service.get(c.get('did'), c.req.param('id')!), count, new Date(now())) });
    }) satisfies Handler<AppEnv>,
  };
}
