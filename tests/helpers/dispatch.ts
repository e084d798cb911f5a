/** A dispatcher on a test database, and waiting on its events. */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { AlarmService } from '../../src/alarms/service.js';
import { RouterDeliverer, type RouterOptions } from '../../src/dispatch/deliverers/router.js';
import { Dispatcher, type DispatcherOptions, type SettledEvent } from '../../src/dispatch/dispatcher.js';
import type { Database } from '../../src/db/pool.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Test settings to override; `target` sets up the router deliverer. */
export type TestDispatcherOptions = Partial<Omit<DispatcherOptions, 'deliverers'>> & { target?: RouterOptions };

/** The alarm service of a test database. */
export function alarmService(database: Database): AlarmService {
  return new AlarmService({ db: database.db, maxActiveAlarms: 10_000, pollIntervalMs: 1_000, now: Date.now });
}

/** Starts a dispatcher against `routerUrl` with fast test settings (overridable). */
export async function startDispatcher(t: Teardown, database: Database, routerUrl: string, overrides: TestDispatcherOptions = {}) {
  const { target = { url: `${routerUrl}/internal/wake`, token: 'wake-token-for-tests', timeoutMs: 2_000 }, ...rest } = overrides;
  const concurrency = rest.concurrency ?? 64;
  const dispatcher = new Dispatcher({
    alarms: alarmService(database),
    listen: (channel, onNotify) => database.sql.listen(channel, onNotify),
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    replica: `test-${randomBytes(3).toString('hex')}`,
    deliverers: { router: new RouterDeliverer(target, concurrency) },
    policy: { retryLadderMs: [50, 50, 50], maxConsecutiveFailures: 2 },
    batchSize: 100,
    concurrency: 64,
    leaseMs: 30_000,
    lookaheadMs: 50,
    pollIntervalMs: 200,
    drainTimeoutMs: 1_000,
    ...rest,
  });
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
