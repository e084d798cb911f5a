/**
 * Deadlines on database work. An API request runs inside `withDeadline(ms, fn)`;
 * its clock starts at its first database call (`begin()`), so reading a slow
 * client's body does not count against the database. Once the deadline passes,
 * every wait of that work (for a connection, a statement, a group commit) ends
 * with DatabaseTimeout. The scope travels with the async context, so the
 * store and the services take no extra argument.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseTimeout } from './errors.js';

/** One deadline: `timeoutMs` from the first `begin()`. */
export class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(readonly timeoutMs: number) {}

  /** Starts the clock on the first call; the signal aborts with DatabaseTimeout when time is up. */
  begin(): AbortSignal {
    if (!this.started) {
      this.started = true;
      this.timer = setTimeout(() => this.controller.abort(new DatabaseTimeout(this.timeoutMs)), this.timeoutMs);
    }
    return this.controller.signal;
  }

  /** Stops the clock: the work it bounded is over. */
  end(): void {
    clearTimeout(this.timer);
  }
}

const scope = new AsyncLocalStorage<Deadline | undefined>();

/** Runs `fn` with database work bounded to `timeoutMs` from its first database call. */
export async function withDeadline<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = new Deadline(timeoutMs);
  try {
    return await scope.run(deadline, fn);
  } finally {
    deadline.end();
  }
}

/** Runs `fn` outside any deadline: for work that serves many callers, such as a group commit's batch. */
export function withoutDeadline<T>(fn: () => T): T {
  return scope.run(undefined, fn);
}

/** The deadline of the work running now, if any. */
export function currentDeadline(): Deadline | undefined {
  return scope.getStore();
}

/**
 * `work`, or its rejection with the signal's reason once `signal` aborts
 * first; then `onAbort` runs, to cancel or clean up what `work` still holds.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort?: () => void): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    onAbort?.();
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      reject(signal.reason as Error);
      onAbort?.();
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err as Error);
      },
    );
  });
}
