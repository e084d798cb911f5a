/** The wake a peer's job handler sends: the same POST chronosd makes, through the same HTTP client, to the same router stub. */
import type { Pool } from 'undici';
import { post, postPool } from '../post.js';

// As many connections as chronosd's wake pool in the bench (its concurrency, 64).
const CONNECTIONS = 64;
const pools = new Map<string, Pool>();

/** POSTs `{fire_id, scheduled_for}` to the stub; throws unless it answered 2xx, so the peer retries. */
export async function postWake(routerUrl: string, fireId: string, scheduledFor: string): Promise<void> {
  const url = new URL('/internal/wake', routerUrl);
  let pool = pools.get(routerUrl);
  if (!pool) pools.set(routerUrl, (pool = postPool(url, CONNECTIONS)));
  const body = JSON.stringify({ type: 'chronos.wake', fire_id: fireId, scheduled_for: scheduledFor, fired_at: new Date().toISOString(), attempt: 1 });
  const status = await post(pool, url, { 'content-type': 'application/json', 'idempotency-key': fireId }, body);
  if (status < 200 || status > 299) throw new Error(status === 0 ? 'router unreachable' : `router answered ${status}`);
}
