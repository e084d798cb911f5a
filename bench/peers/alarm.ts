/**
 * The alarm a peer's job carries: the same alarm chronosd is given
 * (bulkInsertOnceAlarms: a once alarm of BENCH_OWNER, wake message "bench",
 * payload null, no label, conversation or tags), with ids made as chronosd
 * makes them.
 *
 * Shared by the bench (Node 20, the root's node_modules) and the peers'
 * processes (Node 22, bench/peers/node_modules): it imports nothing but
 * src/ids.ts, which imports nothing but node:crypto.
 */
import { fireIdFor, newAlarmId } from '../../src/ids.js';

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

/** One job per instant of `dues[from..to)` (epoch milliseconds). */
export function wakeJobs(dues: readonly number[], from: number, to: number): WakeJob[] {
  const jobs: WakeJob[] = [];
  for (let i = from; i < to; i++) {
    const id = newAlarmId();
    const due = new Date(dues[i]!);
    jobs.push({
      agent_did: BENCH_OWNER,
      alarm_id: id,
      fire_id: fireIdFor(id, due),
      scheduled_for: due.toISOString(),
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
