/**
 * The wake a peer's job carries and POSTs: the same alarm chronosd is given
 * (bulkInsertOnceAlarms: a once alarm of BENCH_OWNER, wake message "bench",
 * payload null, no label, conversation or tags), and the same POST chronosd
 * makes for it (the body from chronosd's own wakeBody, the same headers),
 * through the same HTTP client, to the same router stub.
 */
import type { Pool } from 'undici';
import { wakeBody } from '../../src/dispatch/wake-body.js';
import { fireIdFor, newAlarmId } from '../../src/ids.js';
import { post, postPool } from '../post.js';

/** The owner of every bench alarm (RFC 8032 test-1 key). */
export const BENCH_OWNER = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';

/** A peer's job data: the alarm's part of the wake, as JSON. */
export interface WakeJob {
  readonly agent_did: string;
  readonly alarm_id: string;
  readonly fire_id: string;
  readonly scheduled_for: string;
  readonly kind: 'once';
  readonly label: string | null;
  readonly conversation_id: string | null;
  readonly tags: string[];
  readonly wake_message: string;
  readonly payload: unknown;
}

/** One job per instant, with ids made as chronosd makes them. */
export function wakeJobs(dues: readonly Date[], from: number, to: number): WakeJob[] {
  const jobs: WakeJob[] = [];
  for (let i = from; i < to; i++) {
    const id = newAlarmId();
    jobs.push({
      agent_did: BENCH_OWNER,
      alarm_id: id,
      fire_id: fireIdFor(id, dues[i]!),
      scheduled_for: dues[i]!.toISOString(),
      kind: 'once',
      label: null,
      conversation_id: null,
      tags: [],
      wake_message: 'bench',
      payload: null,
    });
  }
  return jobs;
}

// As many connections as chronosd's wake pool in the bench (its concurrency, 64).
const CONNECTIONS = 64;
const pools = new Map<string, Pool>();

/** POSTs the wake of `job`'s `attempt` to the stub; throws unless it answered 2xx, so the peer retries. */
export async function postWake(routerUrl: string, job: WakeJob, attempt: number): Promise<void> {
  const url = new URL('/internal/wake', routerUrl);
  let pool = pools.get(routerUrl);
  if (!pool) pools.set(routerUrl, (pool = postPool(url, CONNECTIONS)));
  const body = wakeBody(
    {
      owner: job.agent_did,
      id: job.alarm_id,
      fire_id: job.fire_id,
      occurrence_at: new Date(job.scheduled_for),
      attempt,
      kind: job.kind,
      label: job.label,
      conversation_id: job.conversation_id,
      tags: job.tags,
      wake_message: job.wake_message,
      payload: JSON.stringify(job.payload),
    },
    new Date(),
  );
  const status = await post(pool, url, { 'content-type': 'application/json', 'idempotency-key': job.fire_id }, body);
  if (status < 200 || status > 299) throw new Error(status === 0 ? 'router unreachable' : `router answered ${status}`);
}
