/** The alarm column list, in a module of its own so that alarms.ts and claims.ts can share it without an import cycle. */

/** Every alarm column but payload, once: the store's select list and the claim's RETURNING are made from it. */
export const ALARM_PLAIN_COLUMNS = [
  'id', 'owner', 'kind', 'at', 'cron', 'rrule', 'tz', 'start_at', 'until', 'max_fires', 'label', 'conversation_id', 'wake_message',
  'tags', 'status', 'next_fire_at', 'occurrence_at', 'fire_id', 'attempt', 'fire_count', 'consecutive_failures', 'last_fired_at',
  'last_error', 'claimed_by', 'claimed_at', 'lease_until', 'idempotency_key', 'request_fingerprint', 'created_at', 'updated_at',
] as const;
