/**
 * The wake (SPEC 6): one HTTP POST to the router, with the payload spliced
 * in as its stored JSON text. Sent with undici's connection pool: measured
 * here against a bare node:http server, about 70 us of client CPU per POST,
 * where node:http's request cost about 170 us and global fetch about 550 us;
 * the client's cost caps the dispatcher's wake rate.
 */
import { Pool, type Dispatcher } from 'undici';
import { RawJson, stringifyWithRaw } from '../json/raw.js';
import type { ClaimedRow } from '../store/claims.js';
import { parseRetryAfter, type AttemptResult } from './ladder.js';

/** Where wakes go. */
export interface WakeTarget {
  /** `<router_url>/internal/wake`. */
  readonly url: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

/** The wake body for the claimed attempt `row.attempt` of the current occurrence. */
export function wakeBody(row: ClaimedRow, firedAt: Date): string {
  return stringifyWithRaw({
    type: 'chronos.wake',
    agent_did: row.owner,
    alarm_id: row.id,
    fire_id: row.fire_id,
    scheduled_for: row.occurrence_at?.toISOString() ?? null,
    fired_at: firedAt.toISOString(),
    attempt: row.attempt,
    kind: row.kind,
    label: row.label,
    conversation_id: row.conversation_id,
    tags: row.tags,
    wake_message: row.wake_message,
    payload: new RawJson(row.payload),
  });
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
   * attempt early.
   */
  async send(row: ClaimedRow, firedAt: Date, control: AbortController): Promise<AttemptResult> {
    if (control.signal.aborted) return { kind: 'error', message: ABORTED };
    const body = wakeBody(row, firedAt);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': row.fire_id ?? '' };
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    const timer = setTimeout(() => control.abort(`timed out after ${this.target.timeoutMs}ms`), this.target.timeoutMs);
    try {
      return await this.post(body, headers, control.signal, firedAt);
    } finally {
      clearTimeout(timer);
    }
  }

  private async post(body: string, headers: Record<string, string>, signal: AbortSignal, firedAt: Date): Promise<AttemptResult> {
    // Why the request ended early, if it was aborted.
    const why = () => (signal.aborted ? (typeof signal.reason === 'string' ? signal.reason : ABORTED) : undefined);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({ path: this.path, method: 'POST', headers, body, signal });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
      return { kind: 'error', message: why() ?? `could not reach the router: ${e.cause?.code ?? e.code ?? e.message}` };
    }
    let bodyStart: string;
    try {
      // A 2xx body is never shown: drained unread. Any other answer's start goes into last_error.
      bodyStart = res.statusCode >= 200 && res.statusCode < 300 ? (await res.body.dump({ limit: MAX_DRAIN_BYTES }), '') : await readStart(res.body);
    } catch (err) {
      return { kind: 'error', message: why() ?? `the router's answer broke off: ${(err as Error).message}` };
    }
    const retryAfter = res.headers['retry-after'];
    return { kind: 'answered', status: res.statusCode, bodyStart, retryAfterMs: parseRetryAfter((Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null, firedAt.getTime()) };
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

const ABORTED = 'aborted: chronosd was shutting down';

// Enough of an error body for last_error; the rest is read and dropped, up to a limit.
const BODY_START_BYTES = 300;
// A router answering with more than this is not read to its end: its connection is dropped instead of reused.
const MAX_DRAIN_BYTES = 64 * 1024;

/** Keeps the start of the answer's body and reads the rest to its end, so the connection can carry the next wake. */
async function readStart(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < BODY_START_BYTES) chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_DRAIN_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, BODY_START_BYTES).toString('utf8');
}
