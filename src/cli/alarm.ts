/** `chronos alarm set|get|list|update|pause|resume|fire|cancel`: the API for people; readable lines by default, --json for scripts. */
import type { Target } from '../api/alarms.js';
import { ChronosClient, type ApiAnswer } from '../client/client.js';
import { loadClientSettings } from '../config/client.js';
import { ConfigError } from '../config/kvx.js';
import { memberTexts, RawJson, stringifyWithRaw } from '../json/raw.js';
import type { Flags, Input } from './args.js';
import type { ALARM_ID_FLAGS, ALARM_LIST_FLAGS, ALARM_SET_FLAGS, ALARM_UPDATE_FLAGS } from './commands.js';
import { clientFlags } from './connection.js';
import { columns, page } from './columns.js';

interface View {
  id: string;
  kind: string;
  status: string;
  cron?: string;
  rrule?: string;
  at?: string;
  tz: string;
  next_fire_at: string | null;
  label: string | null;
  last_error: string | null;
  fire_count: number;
  target: Target;
}

/** Sets an alarm from the flags (each fills its API field) and prints it; the API's refusals are thrown. */
export async function alarmSet(input: Input<typeof ALARM_SET_FLAGS>): Promise<number> {
  const body = apiFields(input);
  // The payload goes as the JSON text given, so it arrives verbatim.
  if (input.flags.payload !== undefined) body.payload = new RawJson(input.flags.payload);
  const answer = await client(input).call<View>('POST', '/v1/alarms', { rawBody: stringifyWithRaw(body) });
  return print(input.flags.json, answer, () => `${answer.status === 201 ? 'set' : 'exists (same idempotency key)'}: ${line(answer.data)}`);
}

/** Prints every field of one alarm and its etag (GET), or cancels it and prints it (DELETE). */
export async function alarmGet(input: Input<typeof ALARM_ID_FLAGS>, method: 'GET' | 'DELETE'): Promise<number> {
  const answer = await client(input).call<View>(method, `/v1/alarms/${encodeURIComponent(input.args[0]!)}`);
  return print(input.flags.json, answer, () => alarmFields(answer));
}

/** Every field of an alarm answer, one a line, its payload as received, and its etag when the answer carries one. */
export function alarmFields(answer: ApiAnswer<object>): string {
  const payload = memberTexts(memberTexts(answer.text).get('data')?.[0] ?? '{}').get('payload')?.[0];
  const etag = answer.headers.get('etag');
  return [...Object.entries(answer.data), ...(etag ? [['etag', etag] as const] : [])]
    .map(([k, v]) => `${k.padEnd(16)} ${k === 'payload' ? payload : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}

/**
 * Changes an alarm: the field flags and the members of --patch (kept as
 * written, so a payload in it arrives verbatim) make one merge patch; a
 * field given both ways is a usage error.
 */
export async function alarmUpdate(input: Input<typeof ALARM_UPDATE_FLAGS>): Promise<number> {
  const patch: Record<string, unknown> = {};
  for (const [name, texts] of memberTexts(input.flags.patch ?? '{}')) {
    if (texts.length > 1) throw new ConfigError(`--patch: "${name}" is given more than once`);
    patch[name] = new RawJson(texts[0]!);
  }
  for (const [name, flag] of Object.entries(input.command.flags)) {
    const value = (input.flags as Record<string, unknown>)[name];
    if (!flag.field || value === undefined) continue;
    if (flag.field in patch) throw new ConfigError(`--${name} and "${flag.field}" in --patch exclude each other: give one`);
    patch[flag.field] = value;
  }
  if (Object.keys(patch).length === 0) throw new ConfigError('nothing to change: give the fields to change as flags or --patch (see --help)');
  const ifMatch = input.flags['if-match'];
  const answer = await client(input).updateAlarm(input.args[0]!, stringifyWithRaw(patch), ifMatch === undefined ? {} : { ifMatch });
  return print(input.flags.json, answer, () => `updated: ${line(answer.data)}\netag ${answer.etag}`);
}

/** Pauses or resumes an alarm and prints it, or fires it now and prints the fire_id. */
export async function alarmControl(input: Input<typeof ALARM_ID_FLAGS>, verb: 'pause' | 'resume' | 'fire'): Promise<number> {
  const [id] = input.args as [string];
  if (verb === 'fire') {
    const answer = await client(input).fireAlarm(id);
    return print(input.flags.json, answer, () => `firing now: ${id} fire_id ${answer.data.fire_id} (manual: true; the schedule is unchanged)`);
  }
  const answer = verb === 'pause' ? await client(input).pauseAlarm(id) : await client(input).resumeAlarm(id);
  return print(input.flags.json, answer, () => `${verb === 'pause' ? 'paused' : 'resumed'}: ${line(answer.data)}`);
}

/** Prints one page of the agent's alarms, and how to get the next. */
export async function alarmList(input: Input<typeof ALARM_LIST_FLAGS>): Promise<number> {
  const query = new URLSearchParams(Object.entries(apiFields(input)).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const answer = await client(input).call<{ alarms: View[]; next_cursor: string | null }>('GET', `/v1/alarms${query ? `?${query}` : ''}`);
  return print(input.flags.json, answer, () => page(table(answer.data.alarms), answer.data.next_cursor));
}

/** A client as the connection flags and the environment say. */
export function client(input: Input<typeof ALARM_ID_FLAGS>): ChronosClient {
  return new ChronosClient(loadClientSettings(clientFlags(input.flags)));
}

/** The API fields (or query parameters) that the given flags fill. */
function apiFields(input: Input<Flags>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(input.command.flags)) {
    const value = (input.flags as Record<string, unknown>)[name];
    if (flag.field && value !== undefined && !(Array.isArray(value) && value.length === 0)) out[flag.field] = value;
  }
  return out;
}

/** Prints the answer's `data` as received (--json), or the readable text. */
export function print(json: boolean | undefined, answer: { text: string }, text: () => string): number {
  console.log(json ? (memberTexts(answer.text).get('data')?.[0] ?? '') : text());
  return 0;
}

/** The schedule as one phrase: `at ...`, `cron ... <tz>` or `rrule ... <tz>`. */
export function schedule(a: View): string {
  return a.kind === 'once' ? `at ${a.at}` : a.kind === 'cron' ? `cron ${a.cron} ${a.tz}` : `rrule ${a.rrule} ${a.tz}`;
}

/** An alarm on one line: id, status, schedule, next fire, label, and its target unless the router. */
export function line(a: View): string {
  // The target as --target spells it, when it is not the default.
  const target = a.target.type === 'webhook' ? a.target.endpoint : a.target.type;
  return `${a.id} ${a.status} ${schedule(a)}, next ${a.next_fire_at ?? '-'}${a.label ? `, ${a.label}` : ''}${target === 'router' ? '' : `, target ${target}`}`;
}

function table(alarms: readonly View[]): string {
  if (alarms.length === 0) return 'no alarms';
  const rows = [['ID', 'STATUS', 'SCHEDULE', 'NEXT FIRE', 'FIRED', 'LABEL'], ...alarms.map((a) => [a.id, a.status, schedule(a), a.next_fire_at ?? '-', String(a.fire_count), a.label ?? ''])];
  return columns(rows).join('\n');
}
