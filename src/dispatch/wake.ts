/**
 * The wake (SPEC 6): one HTTP POST to the router, with the payload spliced
 * in as its stored JSON text. Sent with node:http(s) over a keep-alive
 * agent: global fetch cost about 4x the CPU per request (profiled: ~550 us
 * vs ~140 us), which capped the dispatcher's wake rate.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { RawJson, stringifyWithRaw } from '../json/raw.js';
import type { AlarmRow } from '../store/alarms.js';
import { parseRetryAfter, type AttemptResult } from './ladder.js';

/** Where wakes go. */
export interface WakeTarget {
  /** `<router_url>/internal/wake`. */
  readonly url: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

// Enough of an error body for last_error; the rest is not read.
const BODY_START_BYTES = 300;

/** The wake body for the claimed attempt `row.attempt` of the current occurrence. */
export function wakeBody(row: AlarmRow, firedAt: Date): string {
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

/** Sends wakes to one target over a pool of at most `maxSockets` keep-alive connections. */
export class WakeSender {
  private readonly agent: HttpAgent;
  private readonly url: URL;
  private readonly request: typeof httpRequest;

  constructor(
    private readonly target: WakeTarget,
    maxSockets: number,
  ) {
    this.url = new URL(target.url);
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
    this.request = https ? httpsRequest : httpRequest;
  }

  /**
   * Sends one attempt. Never throws: transport failures and timeouts come
   * back as `{kind: 'error'}`. `abort` ends the attempt early (shutdown).
   */
  send(row: AlarmRow, firedAt: Date, abort: AbortSignal): Promise<AttemptResult> {
    const body = wakeBody(row, firedAt);
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Idempotency-Key': row.fire_id ?? '' };
    if (this.target.token) headers.Authorization = `Bearer ${this.target.token}`;
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const fail = (message: string) => {
        finish({ kind: 'error', message });
        req.destroy();
      };
      const req = this.request(this.url, { method: 'POST', agent: this.agent, headers }, (res) => readAnswer(res, firedAt, finish, fail));
      req.on('error', (err: NodeJS.ErrnoException) => finish({ kind: 'error', message: `could not reach the router: ${err.code ?? err.message}` }));
      const timer = setTimeout(() => fail(`timed out after ${this.target.timeoutMs}ms`), this.target.timeoutMs);
      const onAbort = () => fail('aborted: chronosd was shutting down');
      if (abort.aborted) return onAbort();
      abort.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  /** Closes the idle connections. */
  close(): void {
    this.agent.destroy();
  }
}

// A router answering with more than this is not read to its end: its connection is dropped instead of reused.
const MAX_DRAIN_BYTES = 64 * 1024;

/** Keeps the start of the answer's body and reads the rest to its end, so the connection can carry the next wake. */
function readAnswer(res: IncomingMessage, firedAt: Date, finish: (r: AttemptResult) => void, fail: (message: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const answered = (): AttemptResult => ({
    kind: 'answered',
    status: res.statusCode ?? 0,
    bodyStart: Buffer.concat(chunks).subarray(0, BODY_START_BYTES).toString('utf8'),
    retryAfterMs: parseRetryAfter(res.headers['retry-after'] ?? null, firedAt.getTime()),
  });
  res.on('data', (chunk: Buffer) => {
    if (size < BODY_START_BYTES) chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_DRAIN_BYTES) {
      finish(answered());
      res.destroy();
    }
  });
  res.on('end', () => finish(answered()));
  res.on('error', (err) => fail(`the router's answer broke off: ${err.message}`));
}
