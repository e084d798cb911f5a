/**
 * The POST a peer's job makes: the same POST chronosd makes for the same
 * alarm (the body from chronosd's own wakeBody, the same headers), through
 * the same HTTP client, to the same router stub.
 *
 * Runs in the peers' processes (Node 22): undici resolves to the peers
 * package's, pinned to the version the root's lock gives chronosd (where
 * bench/peers is not installed, the type-check finds the root's: the same
 * version), and `post` below is bench/post.ts's, so that nothing here loads
 * from the root's node_modules. From src only wake-body.ts (no imports) and,
 * via alarm.ts, ids.ts (node:crypto) are loaded.
 */
import { Pool } from 'undici';
import { wakeBody } from '../../src/dispatch/wake-body.js';
import type { WakeJob } from './alarm.js';

// As many connections as chronosd's wake pool in the bench (its concurrency, 64).
const CONNECTIONS = 64;
const pools = new Map<string, Pool>();

/** As bench/post.ts: POSTs `body` to `url`'s path; the status code once the answer was read to its end, or 0 if the request failed. */
async function post(pool: Pool, url: URL, headers: Record<string, string>, body: string): Promise<number> {
  try {
    const res = await pool.request({ path: url.pathname, method: 'POST', headers, body });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  }
}

/** POSTs the wake of `job`'s `attempt` to the stub; throws unless it answered 2xx, so the peer retries. */
export async function postWake(routerUrl: string, job: WakeJob, attempt: number): Promise<void> {
  const url = new URL('/internal/wake', routerUrl);
  let pool = pools.get(routerUrl);
  if (!pool) pools.set(routerUrl, (pool = new Pool(url.origin, { connections: CONNECTIONS })));
  const body = wakeBody(
    {
      manual_of: null,
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
