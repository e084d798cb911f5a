/**
 * Retry policy (SPEC 4.5, 6.2) as pure functions: how an answer is classified,
 * and when the next attempt is due.
 */

/** What the router's answer means for the occurrence. */
export type Verdict = 'delivered' | 'retry' | 'permanent';

/**
 * The outcome of one attempt: an answer from `peer` (the router, an
 * endpoint), or a failure to get one; such a failure is retried unless it is
 * `permanent` (say, the webhook endpoint no longer exists).
 */
export type AttemptResult = { kind: 'answered'; peer: string; status: number; retryAfterMs?: number; bodyStart: string } | { kind: 'error'; message: string; permanent?: boolean };

/** A router's Retry-After is honoured up to a day: a longer one (or a date centuries ahead) would park the alarm. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** 2xx delivered; 408, 425, 429, 5xx and transport failures retried; any other status, and a permanent failure, permanent (SPEC 6.2). */
export function classify(result: AttemptResult): Verdict {
  if (result.kind === 'error') return result.permanent ? 'permanent' : 'retry';
  const s = result.status;
  if (s >= 200 && s < 300) return 'delivered';
  if (s === 408 || s === 425 || s === 429 || s >= 500) return 'retry';
  return 'permanent';
}

/**
 * When attempt `attempt + 1` is due after attempt `attempt` failed at `nowMs`,
 * or null when the ladder is spent (N steps allow N+1 attempts). The step is
 * spread by ±`jitter` (random in [0, 1) from `random`) so that alarms that
 * failed together do not retry in lockstep; a longer Retry-After wins.
 */
export function nextAttemptAt(nowMs: number, attempt: number, ladderMs: readonly number[], retryAfterMs: number | undefined, random: () => number = Math.random, jitter = 0.1): number | null {
  if (attempt < 1 || attempt > ladderMs.length) return null;
  const step = ladderMs[attempt - 1]!;
  const spread = step * (1 + jitter * (2 * random() - 1));
  return nowMs + Math.round(Math.max(spread, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)));
}

/** Parses a Retry-After header (seconds, or an HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** `last_error` in plain words: the status and the start of the body, or the transport failure. */
export function describeFailure(result: AttemptResult): string {
  if (result.kind === 'error') return result.message;
  // Control characters out: NUL cannot be stored in text, the rest only garbles a log line.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  const body = result.bodyStart.replace(/[\u0000-\u001f\u007f\ufffd]+/g, ' ').replace(/\s+/g, ' ').trim();
  return `${result.peer} answered ${result.status}${body ? `: ${body}` : ''}`;
}
