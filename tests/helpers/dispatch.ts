/** A dispatcher on a test database, and waiting on its events. */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { AlarmService } from '../../src/alarms/service.js';
import { WakeSigner } from '../../src/auth/wake-signer.js';
import { CancelAcks } from '../../src/dispatch/cancels.js';
import { RouterDeliverer, type RouterOptions } from '../../src/dispatch/deliverers/router.js';
import { Dispatcher, type DispatcherOptions, type SettledEvent } from '../../src/dispatch/dispatcher.js';
import type { HoldTimers, Listen } from '../../src/dispatch/producer.js';
import { WebhookDeliverer } from '../../src/dispatch/deliverers/webhook.js';
import type { DestinationPolicy, Resolve } from '../../src/net/destination.js';
import type { Database } from '../../src/db/pool.js';
import type { ClaimedRow } from '../../src/store/claims.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Test settings to override; `target` and `connections` (default: `concurrency`) set up the router deliverer.
 * `deferNotify` may return a promise for a NOTIFY: the producer handles it only once that settles.
 */
export type TestDispatcherOptions = Partial<Omit<DispatcherOptions, 'deliverers'>> & {
  target?: Omit<RouterOptions, 'signer'>;
  /** Also deliver webhook targets, under this destination policy. */
  webhook?: { destinations: DestinationPolicy; resolve?: Resolve };
  connections?: number;
  deferNotify?: (channel: string, payload: string) => Promise<unknown> | undefined;
};

/** The wake signing key of test dispatchers. */
export const TEST_SIGNING_SEED = Buffer.alloc(32, 9);
const signer = new WakeSigner([TEST_SIGNING_SEED]);

/** The alarm service of a test database; with `cancelAcks`, its cancels wait for the replica holding the claim. */
export function alarmService(database: Database, cancelAcks?: CancelAcks): AlarmService {
  return new AlarmService({ db: database.db, maxActiveAlarms: 10_000, pollIntervalMs: 1_000, now: Date.now, ...(cancelAcks ? { cancelAcks } : {}) });
}

/** The cancel acks of a process on `database` (listening), stopped at teardown. */
export async function startCancelAcks(t: Teardown, database: Database): Promise<CancelAcks> {
  const acks = new CancelAcks({ listen: (channel, onNotify) => database.sql.listen(channel, onNotify), log: pino({ level: process.env.TEST_LOG ?? 'silent' }) });
  await acks.start();
  t.teardown(() => acks.stop());
  return acks;
}

// Per dispatcher: an event (channel, payload) once its producer has handled a NOTIFY.
const notices = new WeakMap<Dispatcher, EventEmitter>();

/** Starts a dispatcher against `routerUrl` with fast test settings (overridable). */
export async function startDispatcher(t: Teardown, database: Database, routerUrl: string, overrides: TestDispatcherOptions = {}) {
  const { target = { url: `${routerUrl}/internal/wake`, token: 'wake-token-for-tests', timeoutMs: 2_000 }, connections, deferNotify, webhook: webhookPolicy, ...rest } = overrides;
  const concurrency = rest.concurrency ?? 64;
  const handled = new EventEmitter();
  // postgres.js calls a channel's listeners one after another, so this runs right after the producer's own.
  const listen: Listen = (channel, onNotify) =>
      database.sql.listen(channel, (payload) => {
        const handle = () => {
          onNotify(payload);
          handled.emit(channel, payload);
        };
        const deferred = deferNotify?.(channel, payload);
        if (deferred) void deferred.then(handle);
        else handle();
      });
  let webhook: WebhookDeliverer | undefined;
  if (webhookPolicy) {
    webhook = new WebhookDeliverer({ db: database.db, signer, timeoutMs: target.timeoutMs, connections: 8, listen, ...webhookPolicy });
    await webhook.start();
  }
  const dispatcher = new Dispatcher({
    alarms: alarmService(database),
    listen,
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    replica: `test-${randomBytes(3).toString('hex')}`,
    deliverers: { router: new RouterDeliverer({ ...target, signer }, connections ?? concurrency), ...(webhook ? { webhook } : {}) },
    policy: { retryLadderMs: [50, 50, 50], maxConsecutiveFailures: 2, misfireThresholdMs: 60_000, maxCatchup: 100 },
    batchSize: 100,
    concurrency: 64,
    // No cap of one owner's wakes unless a test asks for one: most tests have one owner.
    ownerConcurrency: concurrency,
    leaseMs: 30_000,
    lookaheadMs: 50,
    pollIntervalMs: 200,
    drainTimeoutMs: 1_000,
    ...rest,
  });
  notices.set(dispatcher, handled);
  await dispatcher.start();
  t.teardown(() => dispatcher.stop());
  return dispatcher;
}

/** Resolves with the settled events once `pred` has matched `n` of them (counting from now). */
export function settledEvents(dispatchers: Dispatcher | Dispatcher[], n: number, pred: (e: SettledEvent) => boolean = () => true, timeoutMs = 20_000): Promise<SettledEvent[]> {
  const list = Array.isArray(dispatchers) ? dispatchers : [dispatchers];
  return new Promise((resolve, reject) => {
    const seen: SettledEvent[] = [];
    const off = () => list.forEach((d) => d.off('settled', on));
    const timer = setTimeout(() => {
      off();
      reject(new Error(`only ${seen.length} of ${n} settled events within ${timeoutMs}ms`));
    }, timeoutMs);
    const on = (e: SettledEvent) => {
      if (!pred(e)) return;
      seen.push(e);
      if (seen.length >= n) {
        clearTimeout(timer);
        off();
        resolve(seen);
      }
    };
    list.forEach((d) => d.on('settled', on));
  });
}

/** Resolves with the argument of the next `name` event that `pred` accepts (counting from now); rejects after `timeoutMs`. */
export function nextEvent<T>(emitter: EventEmitter, name: string, timeoutMs = 10_000, pred: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, on);
      reject(new Error(`no ${name} event within ${timeoutMs}ms`));
    }, timeoutMs);
    const on = (value: T) => {
      if (!pred(value)) return;
      clearTimeout(timer);
      emitter.off(name, on);
      resolve(value);
    };
    emitter.on(name, on);
  });
}

/** Resolves once the dispatcher's producer has handled a NOTIFY on `channel` (with `payload`, when given), counting from now. */
export function notifyHandled(dispatcher: Dispatcher, channel: string, payload?: string, timeoutMs = 10_000): Promise<string> {
  const handled = notices.get(dispatcher);
  if (!handled) throw new Error('not a dispatcher from startDispatcher');
  return nextEvent<string>(handled, channel, timeoutMs, (p) => payload === undefined || p === payload).catch(() => {
    throw new Error(`the producer handled no NOTIFY on ${channel}${payload === undefined ? '' : ` (${payload})`} within ${timeoutMs}ms`);
  });
}

/** One claim round of the producer: the rows it claimed, whether it went idle (claimed nothing and holds nothing), and the sleep it planned. */
export interface Round {
  readonly claimed: ClaimedRow[];
  readonly idle: boolean;
  readonly sleepMs: number;
}

/**
 * Resolves with `n` consecutive claim rounds that all start after this call.
 * A round ends with the `sleep` it plans, so the round under way when this
 * is called ends at the first `sleep` and is left out. (A round that claims
 * again at once, after a full batch or a wake-up that came while it was
 * claiming, has no `sleep` in between: those count as one round.)
 */
export function rounds(dispatcher: Dispatcher, n: number, timeoutMs = 10_000): Promise<Round[]> {
  return new Promise((resolve, reject) => {
    const done: Round[] = [];
    let started = false;
    let claimed: ClaimedRow[] = [];
    let idle = false;
    const onClaimed = (rows: ClaimedRow[]) => {
      claimed = [...claimed, ...rows];
    };
    const onIdle = () => {
      idle = true;
    };
    const onSleep = (ms: number) => {
      if (started) done.push({ claimed, idle, sleepMs: ms });
      started = true;
      claimed = [];
      idle = false;
      if (done.length < n) return;
      off();
      resolve(done);
    };
    const off = () => {
      clearTimeout(timer);
      dispatcher.off('claimed', onClaimed).off('idle', onIdle).off('sleep', onSleep);
    };
    const timer = setTimeout(() => {
      off();
      reject(new Error(`only ${done.length} of ${n} claim rounds within ${timeoutMs}ms (this one so far: ${claimed.length} claimed, idle ${idle})`));
    }, timeoutMs);
    dispatcher.on('claimed', onClaimed).on('idle', onIdle).on('sleep', onSleep);
  });
}

/** The first claim round that starts after this call (see {@link rounds}). */
export async function nextRound(dispatcher: Dispatcher, timeoutMs?: number): Promise<Round> {
  const [round] = await rounds(dispatcher, 1, timeoutMs);
  return round!;
}

/** A hold timer as the test sees it. */
export interface SeenTimer {
  /** The delay the producer asked for. */
  readonly ms: number;
  /** Our clock when it asked. */
  readonly setAt: number;
  readonly cleared: boolean;
  readonly fired: boolean;
  /** Runs the timer now, as if its time had come; nothing if it was cleared or has run. */
  fire(): void;
}

/**
 * Hold timers for a test dispatcher ({@link DispatcherOptions.holdTimers}):
 * each timer is recorded. `clock` timers also run when their time comes;
 * `manual` ones only when the test fires them, so a test sees a claim's
 * instant come without waiting for it.
 */
export function testHoldTimers(mode: 'clock' | 'manual') {
  const timers: SeenTimer[] = [];
  const reals = new Map<SeenTimer, NodeJS.Timeout>();
  const holdTimers: HoldTimers = {
    set(fn, ms) {
      const timer = {
        ms,
        setAt: Date.now(),
        cleared: false,
        fired: false,
        fire() {
          if (timer.cleared || timer.fired) return;
          timer.fired = true;
          clearTimeout(reals.get(timer));
          fn();
        },
      };
      if (mode === 'clock') reals.set(timer, setTimeout(() => timer.fire(), ms));
      timers.push(timer);
      return timer;
    },
    clear(handle) {
      const timer = handle as { cleared: boolean } & SeenTimer;
      timer.cleared = true;
      clearTimeout(reals.get(timer));
    },
  };
  return {
    holdTimers,
    timers: timers as readonly SeenTimer[],
    /** Fires every timer not cleared nor run yet: the instants they wait for have come. */
    fireAll() {
      for (const timer of [...timers]) timer.fire();
    },
  };
}
