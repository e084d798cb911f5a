/** The wake a peer's job handler sends: the same POST chronosd makes, through the same HTTP client, to the same router stub. */
import { Pool } from 'undici';

// As many connections as chronosd's wake pool in the bench (its concurrency, 64).
const CONNECTIONS = 64;
const pools = new Map<string, Pool>();

/** POSTs `{fire_id, scheduled_for}` to the stub; throws unless it answered 2xx, so the peer retries. */
export async function postWake(routerUrl: string, fireId: string, scheduledFor: string): Promise<void> {
  let pool = pools.get(routerUrl);
  if (!pool) pools.set(routerUrl, (pool = new Pool(new URL(routerUrl).origin, { connections: CONNECTIONS })));
  const res = await pool.request({
    path: '/internal/wake',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': fireId },
    body: JSON.stringify({ type: 'chronos.wake', fire_id: fireId, scheduled_for: scheduledFor, fired_at: new Date().toISOString(), attempt: 1 }),
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`router answered ${res.statusCode}`);
}
