/** The wake's JSON body (SPEC 6.1), the same for every target that carries it. */

/** What a wake body is made of: the claimed alarm's fields it reads, the payload as its exact JSON text. */
export interface WakeFields {
  readonly owner: string;
  readonly id: string;
  /** A fire-now occurrence: the alarm it was fired for, whose id the wake carries. */
  readonly manual_of: string | null;
  readonly fire_id: string | null;
  readonly occurrence_at: Date | null;
  readonly attempt: number;
  readonly kind: 'once' | 'cron' | 'rrule';
  readonly label: string | null;
  readonly conversation_id: string | null;
  readonly tags: string[];
  readonly wake_message: string;
  readonly payload: string;
}

/**
 * The wake body for the claimed attempt `row.attempt` of the current
 * occurrence. The payload goes last, as its stored text, spliced in before
 * the closing brace: JSON.stringify with a replacer (stringifyWithRaw) calls
 * back for every key, and this runs once per wake.
 */
export function wakeBody(row: WakeFields, firedAt: Date): string {
  const head = JSON.stringify({
    type: 'chronos.wake',
    agent_did: row.owner,
    alarm_id: row.manual_of ?? row.id,
    fire_id: row.fire_id,
    scheduled_for: row.occurrence_at?.toISOString() ?? null,
    fired_at: firedAt.toISOString(),
    attempt: row.attempt,
    kind: row.kind,
    label: row.label,
    conversation_id: row.conversation_id,
    tags: row.tags,
    wake_message: row.wake_message,
    manual: row.manual_of !== null,
  });
  return `${head.slice(0, -1)},"payload":${row.payload}}`;
}
