/** The wake a peer's job handler sends: the same POST chronosd makes, to the same router stub. */

/** POSTs `{fire_id, scheduled_for}` to the stub; throws unless it answered 2xx, so the peer retries. */
export async function postWake(routerUrl: string, fireId: string, scheduledFor: string): Promise<void> {
  const res = await fetch(`${routerUrl}/internal/wake`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': fireId },
    body: JSON.stringify({ type: 'chronos.wake', fire_id: fireId, scheduled_for: scheduledFor, fired_at: new Date().toISOString(), attempt: 1 }),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`router answered ${res.status}`);
}
