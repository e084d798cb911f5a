/**
 * One HTTP attempt through undici's dispatch() API, read by a small answer
 * reader: on the VM of docs/benchmarks.md's fourth round, 11.8 us of client
 * CPU per POST against 19.1 us through request(); on an older, slower VM
 * request() cost about 70 us, node:http's request about 170 us and global
 * fetch about 550 us. The client's cost caps the wake rate.
 */
import type { Dispatcher } from 'undici';
import type { WakeAbort } from './abort.js';
import { parseRetryAfter, type AttemptResult } from './ladder.js';

/** One request of an attempt. */
export interface HttpAttempt {
  /** Where to, when the dispatcher serves many origins (an Agent); a Pool knows its own. */
  readonly origin?: string;
  readonly path: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly timeoutMs: number;
  /** Who answers, for `last_error`: "router answered 503". */
  readonly peer: string;
}

/**
 * Sends `attempt` through `pool` and reads its answer. Never throws:
 * transport failures and timeouts come back as `{kind: 'error'}`. The
 * timeout aborts `control` (its message the reason); whoever else aborts it
 * (shutdown) ends the attempt early, the reason becoming its error.
 */
export async function sendHttpAttempt(pool: Dispatcher, attempt: HttpAttempt, firedAt: Date, control: WakeAbort): Promise<AttemptResult> {
  if (control.reason !== undefined) return { kind: 'error', message: control.reason };
  const timer = setTimeout(() => control.abort(`timed out after ${attempt.timeoutMs}ms`), attempt.timeoutMs);
  try {
    return await new Promise<AttemptResult>((resolve) => {
      pool.dispatch({ origin: attempt.origin, path: attempt.path, method: attempt.method, headers: attempt.headers, body: attempt.body }, new AnswerReader(control, firedAt.getTime(), attempt.peer, resolve));
    });
  } finally {
    clearTimeout(timer);
  }
}

// Enough of an error body for last_error; the rest is read and dropped, up to a limit.
const BODY_START_BYTES = 300;
// A peer answering with more than this is not read to its end: its connection is dropped instead of reused.
const MAX_DRAIN_BYTES = 64 * 1024;
const RETRY_AFTER = 'retry-after';
const DESTINATION_REFUSED = 'EDESTINATION';

/**
 * Reads one answer through undici's dispatch callbacks: the status,
 * Retry-After, and the start of a non-2xx body; the rest of the body is read
 * and dropped, so the connection can carry the next request. Cheaper per
 * attempt than `request()`, which makes a response stream and a header
 * object for every answer.
 */
class AnswerReader implements Dispatcher.DispatchHandlers {
  private status = 0;
  private retryAfter: string | null = null;
  private readonly start: Buffer[] = [];
  private size = 0;
  private abortRequest: ((err?: Error) => void) | undefined;
  private done = false;
  // Aborted before its connection is up: the attempt ends now, and onConnect aborts the request when it comes,
  // so a peer that cannot be reached costs the attempt's timeout, not undici's longer connect timeout.
  constructor(
    private readonly control: WakeAbort,
    private readonly firedAtMs: number,
    private readonly peer: string,
    private readonly resolve: (result: AttemptResult) => void,
  ) {
    control.onAbort(() => (this.abortRequest ? this.abortRequest(new Error('aborted')) : this.onError(new Error('aborted'))));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.control.aborted) abort(new Error('aborted'));
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    if (statusCode < 200) return true; // informational: the answer is still to come
    this.status = statusCode;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (this.retryAfter === null && headers[i]!.length === RETRY_AFTER.length && headers[i]!.toString('latin1').toLowerCase() === RETRY_AFTER) {
        this.retryAfter = headers[i + 1]!.toString('latin1');
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    // A 2xx body is never shown: counted, not kept. Chunks are views of undici's read buffer: the start is copied.
    if (!this.ok() && this.size < BODY_START_BYTES) this.start.push(Buffer.from(chunk.subarray(0, BODY_START_BYTES - this.size)));
    this.size += chunk.length;
    if (this.size > MAX_DRAIN_BYTES) {
      this.answered();
      this.abortRequest?.(new Error('answer too long to drain'));
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.answered();
  }

  onError(err: Error): void {
    // A 2xx status line is the peer taking the wake: a body that then breaks off or stalls changes nothing.
    if (this.ok()) return this.answered();
    // Why the request ended early, if it was aborted.
    const why = this.control.reason;
    if (this.status !== 0) return this.finish({ kind: 'error', message: why ?? `the ${this.peer}'s answer broke off: ${err.message}` });
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    // A destination the SSRF guard refused (src/net/destination.ts) says which address and why; retrying cannot help.
    if (e.code === DESTINATION_REFUSED) return this.finish({ kind: 'error', message: `${this.peer}: ${e.message}`, permanent: true });
    this.finish({ kind: 'error', message: why ?? `could not reach the ${this.peer}: ${e.cause?.code ?? e.code ?? e.message}` });
  }

  private ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  private answered(): void {
    const bodyStart = this.ok() ? '' : Buffer.concat(this.start).toString('utf8');
    this.finish({ kind: 'answered', peer: this.peer, status: this.status, bodyStart, retryAfterMs: parseRetryAfter(this.retryAfter, this.firedAtMs) });
  }

  private finish(result: AttemptResult): void {
    if (this.done) return;
    this.done = true;
    this.control.onAbort(undefined);
    this.resolve(result);
  }
}
