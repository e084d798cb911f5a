/**
 * The postgres.js client as Kysely uses it, held to the current deadline
 * (deadline.ts). kysely-postgres-js reserves a connection for each query or
 * transaction, runs it with `unsafe()` and releases it. Here:
 *
 * - At most `max` reservations are pending or held at once; further callers
 *   wait in line here, and one whose deadline passes leaves the line.
 *   postgres.js's own queue cannot be left: while the server is away it would
 *   grow with every request, waiting out the reconnect backoff.
 * - A reservation that arrives after its caller gave up is released at once.
 * - A statement still running at the deadline is cancelled, and its
 *   connection goes back to the pool only once the statement has settled, so
 *   no later query waits behind it (on a frozen server: until it thaws), and
 *   once the server has taken the cancel request, which travels on a
 *   connection of its own: arriving late, it would cancel the next user's
 *   statement. A cancel taken while the connection is idle is ignored.
 *
 * Work outside a deadline (the dispatcher, the maintenance jobs) waits as it
 * always did.
 */
import type postgres from 'postgres';
import { currentDeadline, untilAborted } from './deadline.js';

type Reserved = postgres.ReservedSql;

/** A counting semaphore whose waiters leave the line when their signal aborts. */
class Slots {
  private readonly line: (() => void)[] = [];

  constructor(private free: number) {}

  take(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.free > 0 && this.line.length === 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const leave = () => {
        this.line.splice(this.line.indexOf(granted), 1);
        reject(signal!.reason as Error);
      };
      const granted = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      this.line.push(granted);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  give(): void {
    const next = this.line.shift();
    if (next) next();
    else this.free++;
  }

  /** Callers waiting in line. */
  get waiting(): number {
    return this.line.length;
  }

  /** Slots free now. */
  get available(): number {
    return this.free;
  }
}

/**
 * How a pool's connections are used, as this client counts them: postgres.js
 * keeps no statistics of its own. `inUse` counts the reservations held or
 * being made (Kysely's queries and transactions); LISTEN and the migrations
 * use connections of postgres.js's own, outside these counts.
 */
export interface PoolUsage {
  /** Connections the pool may open (db.pool). */
  readonly size: number;
  /** Reserved now, or being connected for a caller. */
  readonly inUse: number;
  /** Callers waiting for one. */
  readonly waiting: number;
}

/**
 * Asks the server to cancel `query`; resolves once the server has taken the
 * request and closed its connection, or the request failed. postgres.js's
 * `query.cancel()` drops the promise of its cancel request, so a cancel that
 * cannot reach the server would be an unhandled rejection, which ends the
 * process; the canceller it calls returns that promise.
 */
function cancelQuietly(query: Promise<unknown>): Promise<void> {
  const pending = query as unknown as { canceller: ((q: unknown) => Promise<void>) | null };
  const cancel = pending.canceller;
  pending.canceller = null;
  return cancel ? cancel(query).catch(() => {}) : Promise.resolve();
}

/** `reserved` with its statements held to `signal`; `released` runs once the connection is back in the pool. */
function boundedConnection(reserved: Reserved, signal: AbortSignal | undefined, released: () => void): Reserved {
  // A statement that outlived the deadline and its cancel request: the connection is busy until both have settled.
  let outliving: Promise<unknown> | undefined;
  const unsafe = (...args: Parameters<Reserved['unsafe']>) => {
    if (!signal) return reserved.unsafe(...args);
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const query = reserved.unsafe(...args);
    return untilAborted(query, signal, () => {
      outliving = Promise.all([query.catch(() => {}), cancelQuietly(query)]);
    });
  };
  const release = () => {
    const back = () => {
      reserved.release();
      released();
    };
    if (!outliving) return back();
    // The statement may have been inside a transaction whose end was never sent: none may reach the next user.
    void outliving
      .then(() => reserved.unsafe('ROLLBACK'))
      .catch(() => {})
      .then(back);
  };
  return new Proxy(reserved, { get: (target, key, receiver) => (key === 'unsafe' ? unsafe : key === 'release' ? release : Reflect.get(target, key, receiver)) });
}

/** `sql` with reservations and their statements held to the current deadline, and its usage; `max` is the pool's size. */
export function deadlineClient(sql: postgres.Sql, max: number): { client: postgres.Sql; usage: () => PoolUsage } {
  const slots = new Slots(max);
  const reserve = async (): Promise<Reserved> => {
    const signal = currentDeadline()?.begin();
    await slots.take(signal);
    const reserving = sql.reserve();
    let abandoned = false;
    try {
      const reserved = await untilAborted(reserving, signal, () => {
        abandoned = true;
        reserving.then(
          (late) => {
            late.release();
            slots.give();
          },
          () => slots.give(),
        );
      });
      return boundedConnection(reserved, signal, () => slots.give());
    } catch (err) {
      if (!abandoned) slots.give();
      throw err;
    }
  };
  return {
    client: new Proxy(sql, { get: (target, key, receiver) => (key === 'reserve' ? reserve : Reflect.get(target, key, receiver)) }),
    usage: () => ({ size: max, inUse: max - slots.available, waiting: slots.waiting }),
  };
}
