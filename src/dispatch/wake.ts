/**
 * The wake (SPEC 6): one HTTP POST to the router, with the payload spliced
 * in as its stored JSON text. Sent with undici's connection pool, through
 * its dispatch() API: on the VM of docs/benchmarks.md's fourth round, 11.8
 * us of client CPU per POST against 19.1 us through request(); on an older,
 * slower VM request() cost about 70 us, node:http's request about 170 us
 * and global fetch about 550 us. The client's cost caps the wake rate.
 */
import { Pool, type Dispatcher } from 'undici';
import type { ClaimedRow } from '../store/claims.js';
import { parseRetryAfter, type AttemptResult } from './ladder.js';
import { wakeBody } from './wake-body.js';

/**
 * Ends one wake on the wire early: its timeout, or shutdown. Made for every
 * wake, so lighter than an AbortController, whose construction with one
 * listener added and removed cost 3.5 us a wake (Node 20).
 */
export class WakeAbort {
  /** Why the wake was aborted; undefined until it is. */
  reason: string | undefined;
  private listener: (() => void) | undefined;

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  /** Aborts once; later calls change nothing. */
  abort(reason: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }

  /** Sets the one listener the abort calls (undefined removes it). */
  onAbort(listener: (() => void) | undefined): void {
    this.listener = listener;
  }
}

/** Where wakes go. */
export interface WakeTarget {
  /** `<router_url>/internal/wake`. */
  readonly url: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

/** Sends wakes to one target over a pool of at most `connections` keep-alive connections. */
export class WakeSender {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    private readonly target: WakeTarget,
    connections: number,
  ) {
    const url = new URL(target.url);
    this.pool = new Pool(url.origin, { connections });
    this.path = url.pathname + url.search;
  }

  /**
   * Sends one attempt. Never throws: transport failures and timeouts come
   * back as `{kind: 'error'}`. The attempt's timeout aborts `control` (with
   * its message as the reason); whoever else aborts it (shutdown) ends the
   * attempt early, the reason becoming the attempt's error.
   */
  async send(row: ClaimedRow, firedAt: Date, control: WakeAbort): Promise<AttemptResult> {
    if (control.reason !== undefined) return { kind: 'error', message: control.reason };
    const body = wakeBody(row, firedAt);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': row.fire_id ?? '' };
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    const timer = setTimeout(() => control.abort(`timed out after ${this.target.timeoutMs}ms`), this.target.timeoutMs);
    try {
      return await new Promise<AttemptResult>((resolve) => {
        this.pool.dispatch({ path: this.path, method: 'POST', headers, body }, new AnswerReader(control, firedAt.getTime(), resolve));
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

// Enough of an error body for last_error; the rest is read and dropped, up to a limit.
const BODY_START_BYTES = 300;
// A router answering with more than this is not read to its end: its connection is dropped instead of reused.
const MAX_DRAIN_BYTES = 64 * 1024;

/**
 * Reads one wake's answer through undici's dispatch callbacks: the status,
 * Retry-After, and the start of a non-2xx body; the rest of the body is read
 * and dropped, so the connection can carry the next wake. Cheaper per wake
 * than `request()`, which makes a response stream and a header object for
 * every answer.
 */
class AnswerReader implements Dispatcher.DispatchHandlers {
  private status = 0;
  private retryAfter: string | null = null;
  private readonly start: Buffer[] = [];
  private size = 0;
  private abortRequest: ((err?: Error) => void) | undefined;
  private done = false;
  // Aborted before its connection is up: the attempt ends now, and onConnect aborts the request when it comes,
  // so a router that cannot be reached costs the wake timeout, not undici's longer connect timeout.
  constructor(
    private readonly control: WakeAbort,
    private readonly firedAtMs: number,
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
    // A 2xx status line is the router taking the wake: a body that then breaks off or stalls changes nothing.
    if (this.ok()) return this.answered();
    // Why the request ended early, if it was aborted.
    const why = this.control.reason;
    if (this.status !== 0) return this.finish({ kind: 'error', message: why ?? `the router's answer broke off: ${err.message}` });
    const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    this.finish({ kind: 'error', message: why ?? `could not reach the router: ${e.cause?.code ?? e.code ?? e.message}` });
  }

  private ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  private answered(): void {
    const bodyStart = this.ok() ? '' : Buffer.concat(this.start).toString('utf8');
    this.finish({ kind: 'answered', status: this.status, bodyStart, retryAfterMs: parseRetryAfter(this.retryAfter, this.firedAtMs) });
  }

  private finish(result: AttemptResult): void {
    if (this.done) return;
    this.done = true;
    this.control.onAbort(undefined);
    this.resolve(result);
  }
}

const RETRY_AFTER = 'retry-after';
