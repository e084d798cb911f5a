/** The alarm routes (SPEC 4.2): create, list, get, cancel, fire history. Every query is scoped to c.var.did. */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { GroupCommit } from '../../db/group-commit.js';
import { isConnectionError } from '../../db/errors.js';
import { parseCreateRequest } from '../../alarms/create-request.js';
import { fireIdFor, isAlarmId, newAlarmId } from '../../ids.js';
import { memberTexts } from '../../json/raw.js';
import { InvalidInput, type FieldProblem } from '../../problems.js';
import { firstOccurrence } from '../../schedule/next.js';
import { cancelAlarm, createAlarms, getAlarm, listAlarms, listFires, type AlarmRow, type AlarmStatus, type ListCursor, type NewAlarm } from '../../store/alarms.js';
import type { Schema } from '../../store/schema.js';
import { readJsonBody } from '../body.js';
import { ApiError } from '../errors.js';
import type { PrincipalVars } from '../middleware/principal.js';
import { ok } from '../respond.js';
import { alarmView, decodeCursor, encodeCursor, fireView } from '../views.js';

/** What the alarm routes need. */
export interface AlarmDeps {
  readonly db: Kysely<Schema>;
  readonly maxActiveAlarms: number;
  /** Dispatchers sleep at most this long; a create due sooner notifies them. */
  readonly pollIntervalMs: number;
  readonly now: () => number;
}

// Alarms due within this horizon of their creation are announced to sleeping dispatchers.
const NOTIFY_HORIZON_MS = 60_000;
// Creates that arrive while a batch is being written go together in the next one (one statement each).
const CREATE_BATCH_MAX = 500;
const CREATE_BATCHES_PARALLEL = 2;

const STATUSES: readonly AlarmStatus[] = ['scheduled', 'firing', 'completed', 'failed', 'cancelled'];
const LIST_FIELDS = new Set(['status', 'tag', 'limit', 'cursor']);
const PAGE_FIELDS = new Set(['limit', 'cursor']);

function notFound(): ApiError {
  return new ApiError(404, 'not_found', 'no such alarm');
}

/** Parses `limit` and `cursor` (and refuses unknown query parameters). */
function pageParams(query: Record<string, string>, known: ReadonlySet<string>, problems: FieldProblem[]): { limit: number; after?: ListCursor } {
  for (const key of Object.keys(query)) if (!known.has(key)) problems.push({ path: key, message: 'unknown query parameter' });
  let limit = 50;
  if (query.limit !== undefined) {
    limit = /^\d{1,3}$/.test(query.limit) ? Number(query.limit) : NaN;
    if (!(limit >= 1 && limit <= 200)) problems.push({ path: 'limit', message: 'must be a whole number from 1 to 200' });
  }
  let after: ListCursor | undefined;
  if (query.cursor !== undefined) {
    after = decodeCursor(query.cursor);
    if (!after) problems.push({ path: 'cursor', message: 'is not a cursor from this API: pass next_cursor as it came' });
  }
  return { limit, ...(after ? { after } : {}) };
}

/** The next page's cursor, from the extra row a store list fetched. */
function nextCursor<T>(rows: T[], limit: number, key: (row: T) => [Date, string]): string | null {
  if (rows.length <= limit) return null;
  const [at, id] = key(rows[limit - 1]!);
  return encodeCursor(at, id);
}

/** The alarm routes (mounted under /v1/alarms, behind the principal check). */
export function alarmRoutes(deps: AlarmDeps) {
  const app = new Hono<{ Variables: PrincipalVars }>();
  const creates = new GroupCommit(
    (alarms: NewAlarm[]) =>
      // Other replicas may sleep longer than this one's poll interval; a listener ignores a notify later than its wake-up.
      createAlarms(deps.db, alarms, deps.maxActiveAlarms, new Date(deps.now() + Math.max(deps.pollIntervalMs, NOTIFY_HORIZON_MS) + 1)),
    // A batch that fails for another reason than an unreachable database is run again create by create: only the bad one fails.
    { maxGroup: CREATE_BATCH_MAX, maxParallel: CREATE_BATCHES_PARALLEL, isolate: (err) => !isConnectionError(err) },
  );

  app.post('/', async (c) => {
    const owner = c.get('did');
    const body = await readJsonBody(c);
    const payload = memberTexts(body.text).get('payload');
    if (payload && payload.length > 1) throw new InvalidInput([{ path: 'payload', message: 'is given more than once' }]);
    const now = new Date(deps.now());
    const req = parseCreateRequest(body.value, payload?.[0], c.req.header('idempotency-key'), now);
    const { schedule } = req;
    const id = newAlarmId();
    // parseSchedule has already refused schedules without a first occurrence.
    const firstFireAt = firstOccurrence(schedule, now)!;
    const outcome = await creates.submit({
      id,
      owner,
      kind: schedule.kind,
      at: schedule.kind === 'once' ? schedule.at : null,
      cron: schedule.kind === 'cron' ? schedule.cron : null,
      rrule: schedule.kind === 'rrule' ? schedule.rrule : null,
      tz: schedule.tz,
      startAt: schedule.kind === 'once' ? null : schedule.start,
      until: schedule.until,
      maxFires: schedule.maxFires,
      label: req.label,
      conversationId: req.conversationId,
      wakeMessage: req.wakeMessage,
      payloadText: req.payloadText,
      tags: req.tags,
      firstFireAt,
      fireId: fireIdFor(id, firstFireAt),
      idempotencyKey: req.idempotencyKey,
      fingerprint: req.fingerprint,
    });
    if (outcome.kind === 'quota') {
      throw new ApiError(429, 'quota_exceeded', `this agent already has ${outcome.active} active alarms (scheduled or firing), the most allowed is ${deps.maxActiveAlarms}: cancel some first`);
    }
    if (outcome.kind === 'existing') {
      if (outcome.row.request_fingerprint !== req.fingerprint) {
        throw new ApiError(409, 'idempotency_conflict', `idempotency key "${req.idempotencyKey}" was used for a different request (alarm ${outcome.row.id}): use a new key for a new alarm`, { alarm_id: outcome.row.id });
      }
      return ok(c, alarmView(outcome.row), 200);
    }
    return ok(c, alarmView(outcome.row), 201);
  });

  app.get('/', async (c) => {
    const query = c.req.query();
    const problems: FieldProblem[] = [];
    const page = pageParams(query, LIST_FIELDS, problems);
    let statuses: AlarmStatus[] | undefined;
    if (query.status !== undefined) {
      statuses = query.status.split(',').map((s) => s.trim()) as AlarmStatus[];
      const bad = statuses.filter((s) => !STATUSES.includes(s));
      if (bad.length > 0 || statuses.length === 0) problems.push({ path: 'status', message: `must be a comma list of ${STATUSES.join(', ')}` });
    }
    if (query.tag !== undefined && (query.tag.length === 0 || query.tag.length > 64 || !query.tag.isWellFormed() || query.tag.includes('\u0000'))) {
      problems.push({ path: 'tag', message: 'must be 1 to 64 characters' });
    }
    if (problems.length > 0) throw new InvalidInput(problems);
    const rows = await listAlarms(deps.db, c.get('did'), { ...page, ...(statuses ? { statuses } : {}), ...(query.tag !== undefined ? { tag: query.tag } : {}) });
    return ok(c, { alarms: rows.slice(0, page.limit).map(alarmView), next_cursor: nextCursor(rows, page.limit, (r: AlarmRow) => [r.created_at, r.id]) });
  });

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const row = isAlarmId(id) ? await getAlarm(deps.db, c.get('did'), id) : undefined;
    if (!row) throw notFound();
    return ok(c, alarmView(row));
  });

  app.delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!isAlarmId(id)) throw notFound();
    const outcome = await cancelAlarm(deps.db, c.get('did'), id);
    if (outcome.kind === 'not_found') throw notFound();
    if (outcome.kind === 'not_cancellable') {
      throw new ApiError(409, 'not_cancellable', `the alarm is ${outcome.row.status}: only scheduled or firing alarms can be cancelled`, { status: outcome.row.status });
    }
    return ok(c, alarmView(outcome.row));
  });

  app.get('/:id/fires', async (c) => {
    const id = c.req.param('id');
    const problems: FieldProblem[] = [];
    const page = pageParams(c.req.query(), PAGE_FIELDS, problems);
    if (problems.length > 0) throw new InvalidInput(problems);
    const alarm = isAlarmId(id) ? await getAlarm(deps.db, c.get('did'), id) : undefined;
    if (!alarm) throw notFound();
    const rows = await listFires(deps.db, id, page);
    return ok(c, { fires: rows.slice(0, page.limit).map(fireView), next_cursor: nextCursor(rows, page.limit, (r) => [r.started_at, r.id]) });
  });

  return app;
}
