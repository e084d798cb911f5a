/**
 * The alarm service: every transition of an alarm (alarms/states.ts) is one
 * of its functions, and nothing else changes an alarm's state. The HTTP
 * routes call it for the API's verbs, the dispatcher for claim, settle and
 * hand-back, the maintenance jobs for reap and purge. It throws domain
 * errors (errors.ts) and knows no transport.
 */
import type { Kysely } from 'kysely';
import { DEFAULT_MISFIRE, TargetType, type Target } from '../api/alarms.js';
import { ownChange, type AuditAction, type AuditEntry, type ChangeBy } from '../audit/entry.js';
import { page, type ListCursor, type Page, type PageQuery } from '../api/cursor.js';
import { GroupCommit } from '../db/group-commit.js';
import { isConnectionError } from '../db/errors.js';
import type { CancelAcks } from '../dispatch/cancels.js';
import { DomainError, InvalidInput, NotFound } from '../errors.js';
import { endpointExists } from '../store/endpoints.js';
import { fireIdFor, isAlarmId, newAlarmId } from '../ids.js';
import { firstOccurrence, nextOccurrence } from '../schedule/next.js';
import {
  createAlarms, finishAlarm, getAlarm, getAnyAlarm, insertManualFire, listAlarms, listFires, lockAlarm, lockOwnerAndCountActive, manualFiresOf, purgeFinished, setActiveBound, writeAlarm,
  type AlarmChange, type AlarmRow, type CreateOutcome, type FireRow, type NewAlarmRow,
} from '../store/alarms.js';
import { insertAudit } from '../store/audit.js';
import { acknowledgeCancels, claimDue, recoverExpiredLeases, releaseClaims, settleMany, type Claim, type OwnerRoom, type RecoveredClaim, type SettleItem } from '../store/claims.js';
import type { Schema } from '../store/schema.js';
import type { CreateRequest } from './create-request.js';
import { alarmVersion, newAlarmRow } from './rows.js';
import { scheduleOf } from './schedule-of.js';
import { allows, fromStates, singleMove, toState, type AlarmStatus, type Verb } from './states.js';
import { parseUpdateRequest } from './update-request.js';

/** What the service needs. */
export interface AlarmServiceOptions {
  readonly db: Kysely<Schema>;
  /** Active alarms per owner at most (limits.max_active_alarms). */
  readonly maxActiveAlarms: number;
  /** Dispatchers sleep at most this long; a create due sooner notifies them. */
  readonly pollIntervalMs: number;
  readonly now: () => number;
  /**
   * A cancel of a firing alarm answers once the replica holding its claim
   * has processed it (dispatch/cancels.ts). Every service that answers
   * cancels has it; without it a cancel answers as soon as it commits.
   */
  readonly cancelAcks?: CancelAcks;
}

/** Which of the owner's alarms to list. */
export interface AlarmQuery {
  readonly status?: readonly AlarmStatus[] | undefined;
  readonly tag?: string | undefined;
  readonly limit?: number | undefined;
  readonly cursor?: ListCursor | undefined;
}

// Alarms due within this horizon of their creation are announced to sleeping dispatchers.
const NOTIFY_HORIZON_MS = 60_000;
// Creates that arrive while a batch is being written go together in the next one (one statement each).
const CREATE_BATCH_MAX = 500;
const CREATE_BATCHES_PARALLEL = 2;
const DEFAULT_PAGE = 50;

const CLAIM = singleMove('claim');
/** Every target type this version knows. */
export const TARGET_TYPES: readonly Target['type'][] = TargetType.options;
const HAND_BACK = singleMove('handBack');
const REAP = singleMove('reap');

/** The audit entry of a change of the owner's alarm or account. */
function entry(by: ChangeBy, action: AuditAction, owner: string, targetId: string, details?: Record<string, unknown>): AuditEntry {
  return { by, action, owner, targetId, ...(details ? { details } : {}) };
}

/** Refuses `verb` on an alarm in `status`: busy while firing (it will not be shortly), not updatable once final. */
function refuse(verb: Verb, status: AlarmStatus): never {
  if (status === 'firing') throw new DomainError('conflict', 'alarm_busy', 'the alarm is firing (a wake is being sent): try again in a few seconds', { status });
  throw new DomainError('conflict', 'not_updatable', `the alarm is ${status}: ${verb} works on ${fromStates(verb).join(' or ')} alarms only; set a new alarm instead`, { status });
}

/** The service. */
export class AlarmService {
  private creates: GroupCommit<{ row: NewAlarmRow; audit: AuditEntry }, CreateOutcome> | undefined;

  constructor(private readonly o: AlarmServiceOptions) {}

  /**
   * create: a new alarm, or the existing one of a replayed idempotency key
   * (`created` false). Creates arriving together are written in one batch.
   */
  async create(owner: string, req: CreateRequest, by = ownChange(owner)): Promise<{ alarm: AlarmRow; created: boolean }> {
    await this.checkTarget(owner, req.fields.target);
    const now = new Date(this.o.now());
    // parseSchedule has already refused schedules without a first occurrence.
    const first = firstOccurrence(req.schedule, now)!;
    const row = newAlarmRow(newAlarmId(), owner, req, first);
    // The entry's target is the new alarm's id, which the batch fills in.
    const outcome = await this.createBatches().submit({ row, audit: entry(by, 'alarm.create', owner, '', { kind: row.kind, target: row.target.type }) });
    if (outcome.kind === 'quota') throw this.quotaExceeded(outcome.active);
    if (outcome.kind === 'existing' && outcome.row.request_fingerprint !== req.fingerprint) {
      throw new DomainError('conflict', 'idempotency_conflict', `idempotency key "${req.idempotencyKey}" was used for a different request (alarm ${outcome.row.id}): use a new key for a new alarm`, {
        alarm_id: outcome.row.id,
      });
    }
    return { alarm: outcome.row, created: outcome.kind === 'created' };
  }

  /**
   * update (PATCH, SPEC 9.1): `patch` (a JSON merge patch; `payloadText` the
   * exact text of its payload) applied to a scheduled or paused alarm and
   * validated as a create (update-request.ts). A changed schedule is due at
   * its first occurrence from now. `ifMatch`: the versions (alarmVersion)
   * the caller's change was made against, or `*`; another is
   * precondition_failed.
   */
  async update(owner: string, id: string, patch: unknown, payloadText: string | undefined, ifMatch?: readonly string[], by = ownChange(owner)): Promise<AlarmRow> {
    return this.changeLocked(owner, id, async (trx, row) => {
      if (ifMatch && !ifMatch.includes('*') && !ifMatch.includes(alarmVersion(row))) {
        throw new DomainError('precondition', 'precondition_failed', 'the alarm has changed since you read it (If-Match): GET it again, then apply your change to what it is now', { etag: `"${alarmVersion(row)}"` });
      }
      if (!allows('update', row.status)) refuse('update', row.status);
      const now = new Date(this.o.now());
      const { req, scheduleChanged } = parseUpdateRequest(row, patch, payloadText, now);
      await this.checkTarget(owner, req.fields.target);
      // parseSchedule has already refused schedules without a first occurrence.
      const first = firstOccurrence(req.schedule, now)!;
      const n = newAlarmRow(row.id, owner, req, first);
      const change: AlarmChange = { label: n.label, conversation_id: n.conversation_id, wake_message: n.wake_message, payload: n.payload, tags: n.tags, target: n.target, misfire: n.misfire };
      if (scheduleChanged) {
        const { kind, at, at_local, cron, rrule, tz, start_at, until, max_fires, occurrence_at, fire_id } = n;
        // A paused alarm keeps no next fire time: the new first occurrence waits for the resume.
        Object.assign(change, { kind, at, at_local, cron, rrule, tz, start_at, until, max_fires, occurrence_at, fire_id, attempt: 0, next_fire_at: row.status === 'paused' ? null : first });
      }
      await insertAudit(trx, [entry(by, 'alarm.update', owner, row.id, { fields: Object.keys(patch as object).sort() })]);
      return writeAlarm(trx, row.id, change, this.notifyHorizon());
    });
  }

  /** pause (SPEC 9.2): a scheduled alarm stops firing, keeping the occurrence it waited for; again on a paused one returns it as it is. */
  async pause(owner: string, id: string, by = ownChange(owner)): Promise<AlarmRow> {
    return this.changeLocked(owner, id, async (trx, row) => {
      if (row.status === toState('pause')) return row;
      if (!allows('pause', row.status)) refuse('pause', row.status);
      await insertAudit(trx, [entry(by, 'alarm.pause', owner, row.id)]);
      return writeAlarm(trx, row.id, { status: toState('pause'), next_fire_at: null }, this.notifyHorizon());
    });
  }

  /**
   * resume (SPEC 9.2): a paused alarm is scheduled again at the occurrence it
   * waited for, or, when that passed while it was paused, as its misfire
   * policy says: coalesce and all send it at once (all then each later one
   * missed, misfire.ts), skip moves on to the next occurrence from now (or
   * completes the alarm, when the schedule ended meanwhile). The attempts
   * start again from the first. Counted against the owner's quota; again on
   * a scheduled or firing alarm returns it as it is.
   */
  async resume(owner: string, id: string, by = ownChange(owner)): Promise<AlarmRow> {
    return this.changeLocked(
      owner,
      id,
      async (trx, row, active) => {
        if (!allows('resume', row.status)) {
          if (row.status === 'scheduled' || row.status === 'firing') return row;
          refuse('resume', row.status);
        }
        if (active >= this.o.maxActiveAlarms) throw this.quotaExceeded(active);
        const now = new Date(this.o.now());
        const pending = row.occurrence_at!;
        let change: AlarmChange = { status: 'scheduled', next_fire_at: pending > now ? pending : now, attempt: 0 };
        if (pending < now && row.kind !== 'once' && row.misfire === 'skip') {
          const next = nextOccurrence(scheduleOf(row), now);
          change = next
            ? { status: 'scheduled', next_fire_at: next, occurrence_at: next, fire_id: fireIdFor(row.id, next), attempt: 0 }
            : { status: 'completed', next_fire_at: null, finished_at: now, last_error: 'the schedule ended while the alarm was paused (misfire skip: nothing missed is sent)' };
        }
        if (change.next_fire_at) await setActiveBound(trx, owner, active + 1);
        await insertAudit(trx, [entry(by, 'alarm.resume', owner, row.id, { status: change.status })]);
        return writeAlarm(trx, row.id, change, this.notifyHorizon());
      },
      true,
    );
  }

  /**
   * fire (SPEC 9.2): one extra occurrence now, beside the schedule, which it
   * leaves as it is: a hidden once alarm of its own (migration 011), due at
   * once, with its own fire_id, whose wakes and attempts carry this alarm's
   * id and `manual: true`. Returns its fire_id.
   */
  async fire(owner: string, id: string, by = ownChange(owner)): Promise<string> {
    return this.changeLocked(
      owner,
      id,
      async (trx, row, active) => {
        if (!allows('fire', row.status)) refuse('fire', row.status);
        // Under the owner's create lock, the creates' bound of active alarms counts it while it is due (setActiveBound).
        const now = new Date(this.o.now());
        const manualId = newAlarmId();
        const fireId = fireIdFor(manualId, now);
        await insertManualFire(trx, {
          id: manualId, owner, kind: 'once', at: now, at_local: null, cron: null, rrule: null, tz: row.tz, start_at: null, until: null, max_fires: null,
          label: row.label, conversation_id: row.conversation_id, wake_message: row.wake_message, payload: row.payload, tags: row.tags, target: row.target,
          misfire: DEFAULT_MISFIRE, status: toState('create'), next_fire_at: now, occurrence_at: now, fire_id: fireId, idempotency_key: null, request_fingerprint: null,
          manual_of: row.id,
        });
        await setActiveBound(trx, owner, active + 1);
        await insertAudit(trx, [entry(by, 'alarm.fire', owner, row.id, { fire_id: fireId })]);
        return fireId;
      },
      true,
    );
  }

  /** The owner's alarm; NotFound for a missing one and for another owner's. */
  async get(owner: string, id: string): Promise<AlarmRow> {
    const row = isAlarmId(id) ? await getAlarm(this.o.db, owner, id) : undefined;
    if (!row) throw new NotFound('alarm');
    return row;
  }

  /** A page of alarms of `owner`, or of every owner when undefined (the admin's view), newest first. */
  async list(owner: string | undefined, query: AlarmQuery & { readonly target?: string | undefined }): Promise<Page<AlarmRow>> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await listAlarms(this.o.db, owner, { limit, statuses: query.status, tag: query.tag, target: query.target, after: query.cursor });
    return page(rows, limit, (r) => [r.created_at, r.id]);
  }

  /** Any owner's alarm (the admin's view); NotFound for a missing one. */
  async getAny(id: string): Promise<AlarmRow> {
    const row = isAlarmId(id) ? await getAnyAlarm(this.o.db, id) : undefined;
    if (!row) throw new NotFound('alarm');
    return row;
  }

  /**
   * cancel: a scheduled or firing alarm becomes cancelled; again on a
   * cancelled one returns it as it is; a completed or failed one is a
   * conflict (`not_cancellable`). A firing one is answered once the replica
   * holding its claim has let it go (bounded: see CancelWatch.until), so no
   * attempt starts after the answer (SPEC 4.5).
   */
  async cancel(owner: string, id: string, by = ownChange(owner)): Promise<AlarmRow> {
    const cancelled = isAlarmId(id) ? await this.cancelOne(owner, id, entry(by, 'alarm.cancel', owner, id)) : undefined;
    if (cancelled) {
      // Its fire-now occurrences go with it: no attempt of the alarm starts after the answer.
      for (const manual of await manualFiresOf(this.o.db, id, fromStates('cancel'))) await this.cancelOne(owner, manual);
      return cancelled;
    }
    const current = await this.get(owner, id);
    if (current.status === toState('cancel')) return current;
    throw new DomainError('conflict', 'not_cancellable', `the alarm is ${current.status}: only ${fromStates('cancel').join(' or ')} alarms can be cancelled`, { status: current.status });
  }

  /**
   * Cancels one alarm, with its audit entry, or (without one) a fire-now
   * occurrence of it, waiting for the replica holding its claim; undefined
   * when it is in no state cancel moves from.
   */
  private async cancelOne(owner: string, id: string, audit?: AuditEntry): Promise<AlarmRow | undefined> {
    // Watched before the cancel is written: the holder's ack can come before the cancel's own answer.
    const watch = this.o.cancelAcks?.watch(id);
    try {
      const cancelled = await finishAlarm(this.o.db, owner, id, fromStates('cancel'), toState('cancel'), !audit, audit);
      if (cancelled?.claim) await watch?.until(cancelled.claim);
      return cancelled?.row;
    } finally {
      watch?.close();
    }
  }

  /**
   * Runs `change` on the owner's alarm `id`, locked, in one transaction;
   * NotFound for a missing one and for another owner's. `countActive`: under
   * the owner's create lock too, taken first as a create takes it (before it
   * locks an alarm an idempotency key names), so the two never wait on each
   * other in a cycle; `change` gets the owner's active alarms.
   */
  private async changeLocked<T>(owner: string, id: string, change: (trx: Kysely<Schema>, row: AlarmRow, active: number) => Promise<T>, countActive = false): Promise<T> {
    if (!isAlarmId(id)) throw new NotFound('alarm');
    return this.o.db.transaction().execute(async (trx) => {
      const active = countActive ? await lockOwnerAndCountActive(trx, owner) : 0;
      const row = await lockAlarm(trx, owner, id);
      if (!row) throw new NotFound('alarm');
      return change(trx, row, active);
    });
  }

  /** A webhook target names an endpoint of the owner's (SPEC i2, 8.2); another owner's is as missing as a missing one. */
  private async checkTarget(owner: string, target: Target | undefined): Promise<void> {
    if (target?.type === 'webhook' && !(await endpointExists(this.o.db, owner, target.endpoint))) {
      throw new InvalidInput([{ path: 'target.endpoint', message: `you have no webhook endpoint ${target.endpoint}: register one with POST /v1/endpoints and use its id` }]);
    }
  }

  private quotaExceeded(active: number): DomainError {
    return new DomainError('limit', 'quota_exceeded', `this agent already has ${active} active alarms (scheduled or firing), the most allowed is ${this.o.maxActiveAlarms}: cancel some first`);
  }

  /** Alarms due before this are announced to sleeping dispatchers (other replicas may sleep longer than this one's poll interval). */
  private notifyHorizon(): Date {
    return new Date(this.o.now() + Math.max(this.o.pollIntervalMs, NOTIFY_HORIZON_MS) + 1);
  }

  /** A page of the delivery attempts of the owner's alarm, newest first. */
  async fires(owner: string, id: string, query: PageQuery): Promise<Page<FireRow>> {
    await this.get(owner, id);
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await listFires(this.o.db, id, { limit, ...(query.cursor ? { after: query.cursor } : {}) });
    return page(rows, limit, (r) => [r.started_at, r.id]);
  }

  /**
   * claim: up to `limit` alarms due within `horizonMs`, for `replica`, with a
   * lease; only alarms whose target type is in `targets`: a replica never
   * claims an alarm it could not deliver (a target it has no deliverer for,
   * or one a newer replica wrote during a rolling upgrade); each owner at
   * most its `room` (claimDue).
   */
  claim(replica: string, limit: number, leaseMs: number, horizonMs = 0, targets: readonly string[] = TARGET_TYPES, room?: OwnerRoom): Promise<Claim> {
    return claimDue(this.o.db, CLAIM, targets, replica, limit, leaseMs, horizonMs, room);
  }

  /** settle: finished attempts recorded, each claim still held moved on (see settleMany); returns the held claims' keys. */
  settle(replica: string, items: readonly SettleItem[]): Promise<Set<string>> {
    return settleMany(this.o.db, replica, items);
  }

  /** handBack: claims `replica` will not finish go back to scheduled, the attempt not counted. */
  handBack(replica: string, ids: readonly string[]): Promise<number> {
    return releaseClaims(this.o.db, HAND_BACK, replica, ids);
  }

  /** Tells the cancellers that `replica` has processed the cancels of `alarmIds` (dispatch/cancels.ts). */
  acknowledgeCancels(replica: string, alarmIds: readonly string[]): Promise<void> {
    return acknowledgeCancels(this.o.db, replica, alarmIds);
  }

  /** reap: up to `limit` claims whose lease expired go back to scheduled, due at once, the lost attempt counted. */
  reap(limit: number, attemptIds: () => string): Promise<RecoveredClaim[]> {
    return recoverExpiredLeases(this.o.db, REAP, limit, attemptIds);
  }

  /** purge: up to `limit` final alarms older than `retentionMs` deleted with their fires. */
  purge(retentionMs: number, limit: number): Promise<number> {
    return purgeFinished(this.o.db, fromStates('purge'), retentionMs, limit);
  }

  private createBatches(): GroupCommit<{ row: NewAlarmRow; audit: AuditEntry }, CreateOutcome> {
    this.creates ??= new GroupCommit(
      // A listener ignores a notify later than its wake-up.
      (items) => createAlarms(this.o.db, items.map((i) => i.row), this.o.maxActiveAlarms, this.notifyHorizon(), items.map((i) => i.audit)),
      // A batch that fails for another reason than an unreachable database is run again create by create: only the bad one fails.
      { maxGroup: CREATE_BATCH_MAX, maxParallel: CREATE_BATCHES_PARALLEL, isolate: (err) => !isConnectionError(err) },
    );
    return this.creates;
  }
}
