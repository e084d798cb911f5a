/**
 * `chronos admin ...`: the admin API (SPEC 10.1) for operators; readable
 * text by default, --json for scripts. The admin token comes from
 * --admin-token or CHRONOS_ADMIN_TOKEN and is never printed.
 */
import type { z } from 'zod';
import type { AuditEntryView } from '../api/audit.js';
import { ChronosAdminClient, type AlarmViewData, type OwnerViewData } from '../client/client.js';
import { loadAdminSettings } from '../config/client.js';
import { ConfigError } from '../config/kvx.js';
import { alarmFields, line, print, schedule } from './alarm.js';
import type { Input } from './args.js';
import type { ADMIN_ALARMS_FLAGS, ADMIN_AUDIT_FLAGS, ADMIN_FLAGS, ADMIN_SUSPEND_FLAGS } from './commands.js';
import { adminFlags } from './connection.js';
import { columns, page } from './columns.js';

/** Prints the deployment's status: counts from the database, replicas, busiest owners. */
export async function adminStatus(input: Input<typeof ADMIN_FLAGS>): Promise<number> {
  const answer = await adminClient(input).status();
  const s = answer.data;
  return print(input.flags.json, answer, () =>
    [
      `alarms      ${counts(s.alarms.by_status)}`,
      `by target   ${counts(s.alarms.by_target)} (scheduled, firing, paused)`,
      `due         backlog ${s.due.backlog}, oldest ${s.due.oldest_lateness_ms === null ? '-' : `${s.due.oldest_lateness_ms} ms`} late`,
      `attempts    last minute: ${counts(s.attempts.last_minute)}`,
      `            last hour: ${counts(s.attempts.last_hour)}`,
      `suspended   ${s.suspended_owners} owner(s)`,
      '',
      `replicas seen in the last 30 s: ${s.replicas.length}`,
      ...indent(columns([['ID', 'VERSION', 'HOST', 'DISPATCH', 'IN FLIGHT', 'SEEN'], ...s.replicas.map((r) => [r.id, r.version, r.host, r.dispatch, String(r.in_flight), r.seen_at])])),
      '',
      'owners with most active alarms:',
      ...(s.top_owners.length === 0 ? ['  none'] : indent(columns([['OWNER', 'ACTIVE'], ...s.top_owners.map((o) => [o.owner, String(o.active)])]))),
    ].join('\n'),
  );
}

/** Prints one page of every owner's alarms, and how to get the next. */
export async function adminAlarms(input: Input<typeof ADMIN_ALARMS_FLAGS>): Promise<number> {
  const { flags } = input;
  const answer = await adminClient(input).listAlarms({ owner: flags.owner, status: flags.status, tag: flags.tag, target: flags.target, limit: flags.limit, cursor: flags.cursor });
  const { alarms, next_cursor: next } = answer.data;
  const table = alarms.length === 0 ? 'no alarms' : columns([['ID', 'OWNER', 'STATUS', 'SCHEDULE', 'NEXT FIRE', 'LABEL'], ...alarms.map((a) => [a.id, a.owner, a.status, schedule(a), a.next_fire_at ?? '-', a.label ?? ''])]).join('\n');
  return print(flags.json, answer, () => page(table, next));
}

/** Prints every field of any owner's alarm. */
export async function adminAlarmGet(input: Input<typeof ADMIN_FLAGS>): Promise<number> {
  const answer = await adminClient(input).getAlarm(input.args[0]!);
  return print(input.flags.json, answer, () => alarmFields(answer));
}

const CHANGED = { cancel: 'cancelled', pause: 'paused', resume: 'resumed' } as const;

/** Cancels, pauses or resumes any owner's alarm and prints it. */
export async function adminAlarmChange(input: Input<typeof ADMIN_FLAGS>, verb: keyof typeof CHANGED): Promise<number> {
  const answer = await adminClient(input).changeAlarm(input.args[0]!, verb);
  return print(input.flags.json, answer, () => `${CHANGED[verb]}: ${ownedLine(answer.data)}`);
}

/** Fires any owner's alarm once now and prints the fire_id its attempts will carry. */
export async function adminAlarmFire(input: Input<typeof ADMIN_FLAGS>): Promise<number> {
  const answer = await adminClient(input).fireAlarm(input.args[0]!);
  return print(input.flags.json, answer, () => `fired: ${input.args[0]} now as ${answer.data.fire_id}`);
}

/** Prints what applies to an owner. */
export async function adminOwner(input: Input<typeof ADMIN_FLAGS>): Promise<number> {
  const answer = await adminClient(input).owner(input.args[0]!);
  return print(input.flags.json, answer, () => ownerFields(answer.data));
}

/** Suspends an owner with the reason given and prints what applies to it now. */
export async function adminSuspend(input: Input<typeof ADMIN_SUSPEND_FLAGS>): Promise<number> {
  const { reason } = input.flags;
  if (reason === undefined) throw new ConfigError('--reason is required: why, in 1 to 500 characters (the owner sees it in its 403 answers)');
  const answer = await adminClient(input).suspend(input.args[0]!, { reason });
  return print(input.flags.json, answer, () => `suspended: ${answer.data.did} since ${answer.data.suspended_at}: ${answer.data.suspended_reason}`);
}

/** Unsuspends an owner, or revokes its principal tokens, and prints what applies to it now. */
export async function adminOwnerControl(input: Input<typeof ADMIN_FLAGS>, verb: 'unsuspend' | 'revoke-tokens'): Promise<number> {
  const admin = adminClient(input);
  const did = input.args[0]!;
  if (verb === 'unsuspend') {
    const answer = await admin.unsuspend(did);
    return print(input.flags.json, answer, () => `unsuspended: ${answer.data.did}; its requests are served and its alarms fire again`);
  }
  const answer = await admin.revokeTokens(did);
  return print(input.flags.json, answer, () => `revoked: principal tokens of ${answer.data.did} issued at or before ${answer.data.tokens_revoked_before} are refused (401 token_revoked)`);
}

/** Prints one page of the whole audit log, one line per entry, and how to get the next. */
export async function adminAudit(input: Input<typeof ADMIN_AUDIT_FLAGS>): Promise<number> {
  const { flags } = input;
  const answer = await adminClient(input).listAudit({ actor: flags.actor, action: flags.action, target_id: flags['target-id'], since: flags.since, until: flags.until, limit: flags.limit, cursor: flags.cursor });
  const { entries, next_cursor: next } = answer.data;
  return print(flags.json, answer, () => page(auditTable(entries), next));
}

/** An admin client as the flags and the environment say; no admin token is a usage error, before any request. */
function adminClient(input: Input<typeof ADMIN_FLAGS>): ChronosAdminClient {
  return new ChronosAdminClient(loadAdminSettings(adminFlags(input.flags)));
}

function ownedLine(a: AlarmViewData): string {
  return `${line(a)}, owner ${a.owner}`;
}

function ownerFields(o: OwnerViewData): string {
  return Object.entries(o)
    .map(([k, v]) => `${k.padEnd(21)} ${v === null ? '-' : String(v)}`)
    .join('\n');
}

// Details are kept on their entry's line, as compact JSON.
function auditTable(entries: readonly z.output<typeof AuditEntryView>[]): string {
  if (entries.length === 0) return 'no entries';
  return columns([['AT', 'ACTOR', 'ACTION', 'TARGET', 'REQUEST', 'DETAILS'], ...entries.map((e) => [e.at, e.actor, e.action, e.target_id ?? '-', e.request_id ?? '-', JSON.stringify(e.details)])]).join('\n');
}

/** `name n, name n, ...` in the API's order. */
function counts(byName: Readonly<Record<string, number>>): string {
  return Object.entries(byName)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

function indent(lines: readonly string[]): string[] {
  return lines.map((l) => `  ${l}`);
}
