/** The wake (SPEC 6): one HTTP POST to the router, with the payload spliced in as its stored JSON text. */
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

/**
 * Sends one attempt. Never throws: transport failures and timeouts come
 * back as `{kind: 'error'}`. `abort` ends the attempt early (shutdown).
 */
export async function sendWake(target: WakeTarget, row: AlarmRow, firedAt: Date, abort: AbortSignal): Promise<AttemptResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'Idempotency-Key': row.fire_id ?? '' };
  if (target.token) headers.Authorization = `Bearer ${target.token}`;
  // One plain controller and a timer: AbortSignal.timeout and .any cost far more per wake (profiled).
  const ended = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ended.abort();
  }, target.timeoutMs);
  const onAbort = () => ended.abort();
  abort.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetch(target.url, { method: 'POST', headers, body: wakeBody(row, firedAt), signal: ended.signal });
    const bodyStart = await readStart(res);
    return { kind: 'answered', status: res.status, bodyStart, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), firedAt.getTime()) };
  } catch (err) {
    if (timedOut) return { kind: 'error', message: `timed out after ${target.timeoutMs}ms` };
    if (abort.aborted) return { kind: 'error', message: 'aborted: chronosd was shutting down' };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'error', message: `could not reach the router: ${cause?.code ?? cause?.message ?? (err as Error).message}` };
  } finally {
    clearTimeout(timer);
    abort.removeEventListener('abort', onAbort);
  }
}

async function readStart(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < BODY_START_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Drop the rest, keeping the connection for the next wake when the body was read to its end.
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, BODY_START_BYTES).toString('utf8');
}
