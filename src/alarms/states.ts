/**
 * The alarm's states and the one table of its transitions (SPEC 4.5). Each
 * verb is one service function whose SQL moves only rows in the verb's
 * `from` states (they are bound into its WHERE clause); the CHECK
 * constraints of the migrations back the table in the database, and
 * docs/state-machine.md is drawn from it (alarmStateDiagram).
 */

/** Every status an alarm can have. */
export const STATUSES = ['scheduled', 'firing', 'paused', 'completed', 'failed', 'cancelled'] as const;
/** The states an alarm never leaves. */
export const FINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly AlarmStatus[];
/** An alarm status. */
export type AlarmStatus = (typeof STATUSES)[number];

/** One verb: the states it moves from, and each state it may move to with why (or `keeps`: each stays as it is). */
export interface Transition {
  readonly from: readonly AlarmStatus[];
  readonly to: Readonly<Partial<Record<AlarmStatus, string>>>;
  /** The verb leaves the status as it is, for this reason. */
  readonly keeps?: string;
  /** Who calls it. */
  readonly by: string;
}

/** The transition table: `from -> verb -> to`. */
export const TRANSITIONS = {
  create: { from: [], to: { scheduled: 'created' }, by: 'POST /v1/alarms' },
  update: {
    from: ['scheduled', 'paused'],
    to: {},
    keeps: 'fields changed in place; a changed schedule is due at its first occurrence from now',
    by: 'PATCH /v1/alarms/:id',
  },
  pause: { from: ['scheduled'], to: { paused: 'nothing fires; the pending occurrence is kept for the resume' }, by: 'POST /v1/alarms/:id/pause' },
  resume: {
    from: ['paused'],
    to: {
      scheduled: 'at the occurrence it waited for, or, when that passed while paused, as the misfire policy says',
      completed: 'the schedule ended while paused, and the misfire policy (skip) sends nothing missed',
    },
    by: 'POST /v1/alarms/:id/resume',
  },
  fire: {
    from: ['scheduled', 'paused'],
    to: {},
    keeps: 'one extra occurrence now, as a hidden once alarm of its own (manual: true); the schedule is untouched',
    by: 'POST /v1/alarms/:id/fire',
  },
  claim: { from: ['scheduled'], to: { firing: 'next_fire_at has come, by the database clock' }, by: 'the dispatcher (producer)' },
  settle: {
    from: ['firing'],
    to: {
      scheduled: 'retry along the ladder (same fire_id), at once after an attempt cut off at shutdown (same fire_id), or the next occurrence of a recurring alarm (new fire_id)',
      completed: 'delivered, and no occurrence is left (a once alarm, max_fires, until, the rule ends)',
      failed: 'a once alarm failed for good, or a recurring one failed max_consecutive_failures occurrences in a row',
    },
    by: 'the dispatcher (completer)',
  },
  handBack: { from: ['firing'], to: { scheduled: 'handed back unsent, at shutdown or after waiting too long for a slot (the attempt is not counted)' }, by: 'the dispatcher' },
  reap: { from: ['firing'], to: { scheduled: 'the lease expired (its replica died), the lost attempt counted, sent again at once with the same fire_id' }, by: 'the rescuer' },
  cancel: { from: ['scheduled', 'firing', 'paused'], to: { cancelled: "no further attempt starts after its answer (which waits for the replica holding a firing alarm's claim)" }, by: 'DELETE /v1/alarms/:id' },
  purge: { from: ['completed', 'failed', 'cancelled'], to: {}, by: 'the cleaner, after retention.alarms' },
} as const satisfies Record<string, Transition>;

/** A verb of the table. */
export type Verb = keyof typeof TRANSITIONS;

/** The state a verb with one `to` moves to. */
export function toState(verb: Verb): AlarmStatus {
  const to = Object.keys(TRANSITIONS[verb].to) as AlarmStatus[];
  if (to.length !== 1) throw new Error(`${verb} moves to ${to.length} states, not one`);
  return to[0]!;
}

/** The one move of a verb with one `from` and one `to` (claim, handBack, reap). */
export function singleMove(verb: Verb): { from: AlarmStatus; to: AlarmStatus } {
  const from = fromStates(verb);
  if (from.length !== 1) throw new Error(`${verb} moves from ${from.length} states, not one`);
  return { from: from[0]!, to: toState(verb) };
}

/** The states `verb` moves from, for a WHERE clause. */
export function fromStates(verb: Verb): AlarmStatus[] {
  return [...TRANSITIONS[verb].from];
}

/** True when the table lets `verb` move an alarm in `status`. */
export function allows(verb: Verb, status: AlarmStatus): boolean {
  return (TRANSITIONS[verb].from as readonly AlarmStatus[]).includes(status);
}

/** The state diagram and the verb table of the table, as docs/state-machine.md shows them. */
export function alarmStateDiagram(): string {
  const lines = ['```mermaid', 'stateDiagram-v2'];
  const rows = ['| verb | from | to | by |', '|---|---|---|---|'];
  for (const [verb, t] of Object.entries(TRANSITIONS) as [Verb, Transition][]) {
    const targets = Object.entries(t.to) as [AlarmStatus, string][];
    for (const from of t.from.length === 0 ? ['[*]'] : t.from) {
      if (t.keeps !== undefined) lines.push(`    ${from} --> ${from}: ${verb}: ${t.keeps}`);
      else if (targets.length === 0) lines.push(`    ${from} --> [*]: ${verb}`);
      for (const [to, why] of targets) lines.push(`    ${from} --> ${to}: ${verb}: ${why}`);
    }
    const to = t.keeps !== undefined ? '(unchanged)' : Object.keys(t.to).join(', ') || '(deleted)';
    rows.push(`| ${verb} | ${t.from.join(', ') || '(new)'} | ${to} | ${t.by} |`);
  }
  lines.push('```');
  return [...lines, '', ...rows].join('\n');
}
