/**
 * The alarm service: every transition of an alarm (alarms/states.ts) is one
 * of its functions, and nothing else changes an alarm's state. The HTTP
 * routes call it for the API's verbs, the dispatcher for claim, settle and
 * hand-back, the maintenance jobs for reap and purge. It throws domain
 * errors (errors.ts) and knows no transport.
 */
import type { Kysely } from 'kysely';
import { TargetType, type Target } from '../api/alarms.js';
import { page, type ListCursor, type Page, type PageQuery } from '../api/cursor.js';
import { GroupCommit } from '../db/group-commit.js';
import { isConnectionError } from '../db/errors.js';
import type { CancelAcks } from '../dispatch/cancels.js';
import { DomainError, InvalidInput, NotFound } from '../errors.js';
import { endpointExists } from '../store/endpoints.js';
import { isAlarmId, newAlarmId } from '../ids.js';
import { firstOccurrence } from '../schedule/next.js';
import { createAlarms, finishAlarm, getAlarm, listAlarms, listFires, purgeFinished, type AlarmRow, type CreateOutcome, type FireRow, type NewAlarmRow } from '../store/alarms.js';
import { acknowledgeCancels, claimDue, recoverExpiredLeases, releaseClaims, settleMany, type Claim, type RecoveredClaim, type SettleItem } from '../store/claims.js';
import type { Schema } from '../store/schema.js';
import type { CreateRequest } from './create-request.js';
import { newAlarmRow } from './rows.js';
import { fromStates, singleMove, toState, type AlarmStatus } from './states.js';

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

/** The service. */
export class AlarmService {
  private creates: GroupCommit<NewAlarmRow, CreateOutcome> | undefined;

  constructor(private readonly o: AlarmServiceOptions) {}

  /**
   * create: a new alarm, or the existing one of a replayed idempotency key
   * (`created` false). Creates arriving together are written in one batch.
   */
  async create(owner: string, req: CreateRequest): Promise<{ alarm: AlarmRow; created: boolean }> {
    const target = req.fields.target;
    // A wake goes only to an endpoint its owner registered (SPEC i2, 8.2); another owner's is as missing as a missing one.
    if (target?.type === 'webhook' && !(await endpointExists(this.o.db, owner, target.endpoint))) {
      throw new InvalidInput([{ path: 'target.endpoint', message: `you have no webhook endpoint ${target.endpoint}: register one with POST /v1/endpoints and use its id` }]);
    }
    const now = new Date(this.o.now());
    // parseSchedule has already refused schedules without a first occurrence.
    const first = firstOccurrence(req.schedule, now)!;
    const outcome = await this.createBatches().submit(newAlarmRow(newAlarmId(), owner, req, first));
    if (outcome.kind === 'quota') {
      throw new DomainError('limit', 'quota_exceeded', `this agent already has ${outcome.active} active alarms (scheduled or firing), the most allowed is ${this.o.maxActiveAlarms}: cancel some first`);
    }
    if (outcome.kind === 'existing' && outcome.row.request_fingerprint !== req.fingerprint) {
      throw new DomainError('conflict', 'idempotency_conflict', `idempotency key "${req.idempotencyKey}" was used for a different request (alarm ${outcome.row.id}): use a new key for a new alarm`, {
        alarm_id: outcome.row.id,
      });
    }
    return { alarm: outcome.row, created: outcome.kind === 'created' };
  }

  /** The owner's alarm; NotFound for a missing one and for another owner's. */
  async get(owner: string, id: string): Promise<AlarmRow> {
    const row = isAlarmId(id) ? await getAlarm(this.o.db, owner, id) : undefined;
    if (!row) throw new NotFound('alarm');
    return row;
  }

  /** A page of the owner's alarms, newest first. */
  async list(owner: string, query: AlarmQuery): Promise<Page<AlarmRow>> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await listAlarms(this.o.db, owner, { limit, ...(query.status ? { statuses: query.status } : {}), ...(query.tag !== undefined ? { tag: query.tag } : {}), ...(query.cursor ? { after: query.cursor } : {}) });
    return page(rows, limit, (r) => [r.created_at, r.id]);
  }

  /**
   * cancel: a scheduled or firing alarm becomes cancelled; again on a
   * cancelled one returns it as it is; a completed or failed one is a
   * conflict (`not_cancellable`). A firing one is answered once the replica
   * holding its claim has let it go (bounded: see CancelWatch.until), so no
   * attempt starts after the answer (SPEC 4.5).
   */
  async cancel(owner: string, id: string): Promise<AlarmRow> {
    if (isAlarmId(id)) {
      // Watched before the cancel is written: the holder's ack can come before the cancel's own answer.
      const watch = this.o.cancelAcks?.watch(id);
      try {
        const cancelled = await finishAlarm(this.o.db, owner, id, fromStates('cancel'), toState('cancel'));
        if (cancelled) {
          if (cancelled.claim) await watch?.until(cancelled.claim);
          return cancelled.row;
        }
      } finally {
        watch?.close();
      }
    }
    const current = await this.get(owner, id);
    if (current.status === toState('cancel')) return current;
    throw new DomainError('conflict', 'not_cancellable', `the alarm is ${current.status}: only ${fromStates('cancel').join(' or ')} alarms can be cancelled`, { status: current.status });
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
   * or one a newer replica wrote during a rolling upgrade).
   */
  claim(replica: string, limit: number, leaseMs: number, horizonMs = 0, targets: readonly string[] = TARGET_TYPES): Promise<Claim> {
    return claimDue(this.o.db, CLAIM, targets, replica, limit, leaseMs, horizonMs);
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

  private createBatches(): GroupCommit<NewAlarmRow, CreateOutcome> {
    this.creates ??= new GroupCommit(
      // Other replicas may sleep longer than this one's poll interval; a listener ignores a notify later than its wake-up.
      (rows) => createAlarms(this.o.db, rows, this.o.maxActiveAlarms, new Date(this.o.now() + Math.max(this.o.pollIntervalMs, NOTIFY_HORIZON_MS) + 1)),
      // A batch that fails for another reason than an unreachable database is run again create by create: only the bad one fails.
      { maxGroup: CREATE_BATCH_MAX, maxParallel: CREATE_BATCHES_PARALLEL, isolate: (err) => !isConnectionError(err) },
    );
    return this.creates;
  }
}
