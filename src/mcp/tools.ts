/**
 * The agent's tools (SPEC 5), defined once: name, description with
 * examples, input schema and what each does with the typed client. Input
 * schemas are the API's own (api/alarms.ts), so a tool takes exactly what its
 * route takes. The MCP server registers exactly these, and
 * chronos-tools.json is written from what that server lists (i8).
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AlarmId, AlarmPage, AlarmView as AlarmViewSchema, CreateAlarm, ListAlarmsQuery } from '../api/alarms.js';
import { ChronosApiError, type ChronosClient } from '../client/client.js';
import { DomainError } from '../errors.js';

/** What a tool returns: a short text an agent reads well, and the structured view. */
export interface ToolResult {
  readonly text: string;
  readonly structured: Record<string, unknown>;
}

/** One tool. */
export interface ToolDef {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** The API's schema of the tool's input: validated before `run`, and listed to clients. */
  readonly input: z.ZodObject;
  /** The schema of `structured`, from the API's views: listed to clients, and checked by the SDK. */
  readonly output: z.ZodObject;
  /** What calling it does, for clients that ask before a call with effects. */
  readonly annotations: ToolAnnotations;
  readonly run: (client: ChronosClient, args: Record<string, unknown>) => Promise<ToolResult>;
}

interface AlarmView {
  id: string;
  kind: string;
  status: string;
  next_fire_at: string | null;
  label: string | null;
  cron?: string;
  rrule?: string;
  tz: string;
  last_error: string | null;
  fire_count: number;
}

function describeAlarm(a: AlarmView): string {
  const what = a.kind === 'once' ? 'once' : a.kind === 'cron' ? `cron "${a.cron}" in ${a.tz}` : `rrule "${a.rrule}" in ${a.tz}`;
  const next = a.next_fire_at ? `next wake ${a.next_fire_at}` : 'no further wake';
  const error = a.last_error ? `; last error: ${a.last_error}` : '';
  return `${a.id}${a.label ? ` (${a.label})` : ''}: ${a.status}, ${what}, ${next}, ${a.fire_count} delivered${error}`;
}

const byId = z.strictObject({ id: AlarmId });
const oneAlarm = z.strictObject({ alarm: AlarmViewSchema });
// Chronos is the only system a tool touches: no tool reaches an open world.
const CLOSED = { openWorldHint: false } as const;

/** The registry. */
export const TOOLS: readonly ToolDef[] = [
  {
    name: 'alarm_set',
    title: 'Set an alarm',
    description: [
      'Schedule a wake-up for yourself. When it is due, Chronos wakes you with wake_message and payload exactly as given, so write down what you need to continue.',
      'Examples: in 15 minutes: {"kind":"once","delay":"15m","wake_message":"Check the deploy of build 4f2a9c"}.',
      'At a local time: {"kind":"once","at_local":"2027-03-01T09:00","tz":"Europe/Berlin",...} (no offset: Chronos resolves it in tz, DST included); or an exact instant: {"kind":"once","at":"2026-12-01T09:00:00+01:00",...} (an offset is required in at, start and until).',
      'Every weekday at 9 in Berlin: {"kind":"cron","cron":"0 9 * * MON-FRI","tz":"Europe/Berlin",...}.',
      'Every Monday and Friday at 9 in New York: {"kind":"rrule","rrule":"FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=9;BYMINUTE=0","tz":"America/New_York",...}.',
      'Give an idempotency_key to make retries of this call safe.',
    ].join(' '),
    input: CreateAlarm,
    output: oneAlarm,
    // Idempotent only with an idempotency_key; the hint describes every call.
    annotations: { ...CLOSED, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    run: async (client, args) => {
      const answer = await client.call<AlarmView>('POST', '/v1/alarms', { body: args });
      const verb = answer.status === 201 ? 'Alarm set' : 'Alarm already existed (same idempotency key)';
      return { text: `${verb}: ${describeAlarm(answer.data)}`, structured: { alarm: answer.data } };
    },
  },
  {
    name: 'alarm_get',
    title: 'Get an alarm',
    description: 'Show one of your alarms: its schedule, status (scheduled, firing, completed, failed, cancelled), next wake and last error.',
    input: byId,
    output: oneAlarm,
    annotations: { ...CLOSED, readOnlyHint: true },
    run: async (client, args) => {
      const answer = await client.call<AlarmView>('GET', `/v1/alarms/${encodeURIComponent(String(args.id))}`);
      return { text: describeAlarm(answer.data), structured: { alarm: answer.data } };
    },
  },
  {
    name: 'alarm_list',
    title: 'List alarms',
    description: 'List your alarms, newest first. Example: only active ones: {"status":"scheduled,firing"}; by tag: {"tag":"deploy"}. Pass next_cursor back as cursor for more.',
    input: ListAlarmsQuery,
    output: AlarmPage,
    annotations: { ...CLOSED, readOnlyHint: true },
    run: async (client, args) => {
      const params: [string, string][] = Object.entries(args)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]);
      const query = new URLSearchParams(params).toString();
      const answer = await client.call<{ alarms: AlarmView[]; next_cursor: string | null }>('GET', `/v1/alarms${query ? `?${query}` : ''}`);
      const lines = answer.data.alarms.map(describeAlarm);
      const more = answer.data.next_cursor ? `\nMore: call again with cursor "${answer.data.next_cursor}".` : '';
      return { text: `${lines.length} alarm(s)${lines.length ? `:\n${lines.join('\n')}` : '.'}${more}`, structured: answer.data };
    },
  },
  {
    name: 'alarm_cancel',
    title: 'Cancel an alarm',
    description: 'Cancel one of your scheduled or firing alarms: no further wake starts. Cancelling again is fine; completed or failed alarms cannot be cancelled.',
    input: byId,
    output: oneAlarm,
    // Cancelling again answers the same: idempotent.
    annotations: { ...CLOSED, readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    run: async (client, args) => {
      const answer = await client.call<AlarmView>('DELETE', `/v1/alarms/${encodeURIComponent(String(args.id))}`);
      return { text: `Cancelled: ${describeAlarm(answer.data)}`, structured: { alarm: answer.data } };
    },
  },
];

/** A tool error an agent can act on: the API's code and message. */
export function toolErrorText(err: unknown): string {
  // The API's messages already name every offending field; the code says what kind of problem it is.
  if (err instanceof ChronosApiError || err instanceof DomainError) return `${err.code}: ${err.message}`;
  return `internal: ${(err as Error).message}`;
}
