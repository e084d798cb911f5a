/** The admin routes (SPEC 10.1): every owner's alarms, an owner's controls, the status, the whole audit log. */
import type { Context, Handler } from 'hono';
import { ListAdminAlarmsQuery, SuspendRequest } from '../../api/admin.js';
import { FireView, TargetType } from '../../api/alarms.js';
import { ListFiresQuery } from '../../api/alarms.js';
import { ListAuditQuery } from '../../api/audit.js';
import { AlarmPreviewQuery } from '../../api/schedules.js';
import { alarmPreview } from '../../alarms/preview.js';
import { parseOrThrow } from '../../api/problems.js';
import { ownerView, type AdminService } from '../../admin/service.js';
import { alarmView, fireView } from '../../alarms/rows.js';
import type { AlarmService } from '../../alarms/service.js';
import type { AlarmRow } from '../../store/alarms.js';
import { STATUSES } from '../../alarms/states.js';
import type { ChangeBy } from '../../audit/entry.js';
import { auditEntryView, type AuditLog } from '../../audit/log.js';
import { readJsonBody } from '../body.js';
import { changeBy } from '../change-by.js';
import type { AppEnv } from '../env.js';
import { ok } from '../respond.js';

const UNKNOWN_PARAMETER = 'unknown query parameter';
const OUTCOMES = FireView.shape.outcome.options;

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** The handlers of the admin routes, by route name (api/routes.ts). */
export function adminHandlers(deps: { readonly alarms: AlarmService; readonly admin: AdminService; readonly audit: AuditLog; readonly now: () => number }) {
  const anyAlarm = (c: Context<AppEnv>) => deps.alarms.getAny(c.req.param('id')!);
  // An admin changes an alarm as its owner would, named in the audit log as the admin.
  const asOwner =
    (change: (owner: string, id: string, by: ChangeBy) => Promise<AlarmRow>): Handler<AppEnv> =>
    async (c) => {
      const alarm = await anyAlarm(c);
      return ok(c, alarmView(await change(alarm.owner, alarm.id, changeBy(c))));
    };
  return {
    adminListAlarms: (async (c) => {
      const q = parseOrThrow(ListAdminAlarmsQuery, c.req.query(), UNKNOWN_PARAMETER);
      const page = await deps.alarms.list(q.owner, q);
      return ok(c, { alarms: page.items.map(alarmView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
    adminGetAlarm: (async (c) => ok(c, alarmView(await deps.alarms.getAny(c.req.param('id')!)))) satisfies Handler<AppEnv>,
    adminCancelAlarm: asOwner((owner, id, by) => deps.alarms.cancel(owner, id, by)),
    adminPauseAlarm: asOwner((owner, id, by) => deps.alarms.pause(owner, id, by)),
    adminResumeAlarm: asOwner((owner, id, by) => deps.alarms.resume(owner, id, by)),
    adminFireAlarm: (async (c) => {
      const alarm = await anyAlarm(c);
      return ok(c, { fire_id: await deps.alarms.fire(alarm.owner, alarm.id, changeBy(c)) }, 202);
    }) satisfies Handler<AppEnv>,
    adminListFires: (async (c) => {
      const alarm = await anyAlarm(c);
      const page = await deps.alarms.fires(alarm.owner, alarm.id, parseOrThrow(ListFiresQuery, c.req.query(), UNKNOWN_PARAMETER));
      return ok(c, { fires: page.items.map(fireView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
    adminAlarmPreview: (async (c) => {
      const { count } = parseOrThrow(AlarmPreviewQuery, c.req.query(), UNKNOWN_PARAMETER);
      return ok(c, { occurrences: alarmPreview(await anyAlarm(c), count, new Date(deps.now())) });
    }) satisfies Handler<AppEnv>,
    adminGetOwner: (async (c) => ok(c, ownerView(await deps.admin.owner(c.req.param('did')!)))) satisfies Handler<AppEnv>,
    adminSuspendOwner: (async (c) => {
      const { reason } = parseOrThrow(SuspendRequest, (await readJsonBody(c)).value);
      return ok(c, ownerView(await deps.admin.suspend(c.req.param('did')!, reason, changeBy(c))));
    }) satisfies Handler<AppEnv>,
    adminUnsuspendOwner: (async (c) => ok(c, ownerView(await deps.admin.unsuspend(c.req.param('did')!, changeBy(c))))) satisfies Handler<AppEnv>,
    adminRevokeTokens: (async (c) => ok(c, ownerView(await deps.admin.revokeTokens(c.req.param('did')!, changeBy(c))))) satisfies Handler<AppEnv>,
    adminStatus: (async (c) => {
      const { counts, ...status } = await deps.admin.status();
      const byStatus = zeros(STATUSES);
      const byTarget = zeros(TargetType.options);
      for (const { status: s, target, count: n } of counts.alarms) {
        byStatus[s as keyof typeof byStatus] += n;
        if (s === 'scheduled' || s === 'firing' || s === 'paused') byTarget[target as keyof typeof byTarget] += n;
      }
      const lastMinute = zeros(OUTCOMES);
      const lastHour = zeros(OUTCOMES);
      for (const a of status.attempts) {
        lastMinute[a.outcome] = a.last_minute;
        lastHour[a.outcome] = a.last_hour;
      }
      return ok(c, {
        alarms: { by_status: byStatus, by_target: byTarget },
        due: { backlog: counts.dueBacklog, oldest_lateness_ms: counts.oldestDueLatenessMs },
        attempts: { last_minute: lastMinute, last_hour: lastHour },
        replicas: status.replicas.map((r) => ({ id: r.id, version: r.version, host: r.host, started_at: r.started_at.toISOString(), seen_at: r.seen_at.toISOString(), dispatch: r.dispatch, in_flight: r.in_flight })),
        top_owners: status.top,
        suspended_owners: status.suspended,
      });
    }) satisfies Handler<AppEnv>,
    adminListAudit: (async (c) => {
      const page = await deps.audit.list(undefined, parseOrThrow(ListAuditQuery, c.req.query(), UNKNOWN_PARAMETER));
      return ok(c, { entries: page.items.map(auditEntryView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
  };
}

/** GET /v1/audit: the caller's own entries. */
export function auditHandlers(audit: AuditLog) {
  return {
    listAudit: (async (c) => {
      const page = await audit.list(c.get('did'), parseOrThrow(ListAuditQuery, c.req.query(), UNKNOWN_PARAMETER));
      return ok(c, { entries: page.items.map(auditEntryView), next_cursor: page.nextCursor });
    }) satisfies Handler<AppEnv>,
  };
}
