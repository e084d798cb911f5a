/** `chronos alarm set|get|list|cancel`: the API for people; a readable table by default, --json for scripts. */
import { ChronosApiError, ChronosClient } from '../client/client.js';
import { loadClientSettings } from '../config/client.js';
import { ConfigError } from '../config/kvx.js';
import { memberTexts, RawJson, stringifyWithRaw } from '../json/raw.js';
import { parseClientFlags } from './identity.js';

const USAGE = `usage: chronos alarm <set|get|list|cancel> [options] [--json]
  set     --kind once|cron|rrule --message TEXT [--delay 15m | --at TIME | --cron EXPR | --rrule RULE]
          [--tz ZONE] [--start TIME] [--until TIME] [--max-fires N] [--payload JSON] [--label L]
          [--conversation-id C] [--idempotency-key K] [--tag T ...]
  get     ID
  list    [--status S[,S]] [--tag T] [--limit N] [--cursor C]
  cancel  ID
Connection: CHRONOS_URL, CHRONOS_TRANSPORT_TOKEN, CHRONOS_AGENT_KEY (or --url, --transport-token, --key).`;

// set's flags and the API fields they fill.
const SET_FIELDS: Record<string, string> = {
  '--kind': 'kind', '--message': 'wake_message', '--delay': 'delay', '--at': 'at', '--cron': 'cron', '--rrule': 'rrule', '--tz': 'tz',
  '--start': 'start', '--until': 'until', '--max-fires': 'max_fires', '--payload': 'payload', '--label': 'label',
  '--conversation-id': 'conversation_id', '--idempotency-key': 'idempotency_key', '--tag': 'tags',
};
const LIST_FIELDS: Record<string, string> = { '--status': 'status', '--tag': 'tag', '--limit': 'limit', '--cursor': 'cursor' };

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
}

/** Returns 0, 1 (the API refused), or throws ConfigError for usage (exit 2). */
export async function alarmCommand(args: readonly string[]): Promise<number> {
  const { flags, rest } = parseClientFlags(args, USAGE);
  const [sub, ...opts] = rest;
  const json = opts.includes('--json');
  const words = opts.filter((o) => o !== '--json');
  const client = (): ChronosClient => new ChronosClient(loadClientSettings(flags));
  try {
    switch (sub) {
      case 'set': {
        const fields = options(words, SET_FIELDS);
        const body: Record<string, unknown> = {};
        for (const [field, values] of Object.entries(fields)) {
          if (field === 'tags') body.tags = values;
          else if (field === 'max_fires') body.max_fires = Number(values[0]);
          // The payload goes as the JSON text given, so it arrives verbatim.
          else if (field === 'payload') body.payload = new RawJson(values[0]!);
          else body[field] = values[0];
        }
        const text = stringifyWithRaw(body);
        const answer = await client().call<View>('POST', '/v1/alarms', { rawBody: text });
        return print(json, answer, () => `${answer.status === 201 ? 'set' : 'exists (same idempotency key)'}: ${line(answer.data)}`);
      }
      case 'get':
      case 'cancel': {
        if (words.length !== 1) throw new ConfigError(`chronos alarm ${sub} takes one alarm id\n${USAGE}`);
        const answer = await client().call<View>(sub === 'get' ? 'GET' : 'DELETE', `/v1/alarms/${encodeURIComponent(words[0]!)}`);
        const payload = memberTexts(memberTexts(answer.text).get('data')?.[0] ?? '{}').get('payload')?.[0];
        return print(json, answer, () =>
          Object.entries(answer.data)
            .map(([k, v]) => `${k.padEnd(16)} ${k === 'payload' ? payload : typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join('\n'),
        );
      }
      case 'list': {
        const fields = options(words, LIST_FIELDS);
        const query = new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, v[0]!])).toString();
        const answer = await client().call<{ alarms: View[]; next_cursor: string | null }>('GET', `/v1/alarms${query ? `?${query}` : ''}`);
        return print(json, answer, () => table(answer.data.alarms) + (answer.data.next_cursor ? `\nmore: --cursor ${answer.data.next_cursor}` : ''));
      }
      default:
        throw new ConfigError(sub === undefined ? USAGE : `unknown alarm command "${sub}"\n${USAGE}`);
    }
  } catch (err) {
    if (!(err instanceof ChronosApiError)) throw err;
    console.error(`chronos alarm: ${err.code}: ${err.message}`);
    return 1;
  }
}

function options(words: readonly string[], known: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < words.length; i++) {
    const field = known[words[i]!];
    const value = words[i + 1];
    if (!field) throw new ConfigError(`unknown option "${words[i]}"\n${USAGE}`);
    if (value === undefined) throw new ConfigError(`${words[i]} needs a value`);
    (out[field] ??= []).push(value);
    i++;
  }
  return out;
}

/** Prints the answer's `data` as received (--json), or the readable text. */
function print(json: boolean, answer: { text: string }, text: () => string): number {
  console.log(json ? (memberTexts(answer.text).get('data')?.[0] ?? '') : text());
  return 0;
}

function schedule(a: View): string {
  return a.kind === 'once' ? `at ${a.at}` : a.kind === 'cron' ? `cron ${a.cron} ${a.tz}` : `rrule ${a.rrule} ${a.tz}`;
}

function line(a: View): string {
  return `${a.id} ${a.status} ${schedule(a)}, next ${a.next_fire_at ?? '-'}${a.label ? `, ${a.label}` : ''}`;
}

function table(alarms: readonly View[]): string {
  if (alarms.length === 0) return 'no alarms';
  const rows = [['ID', 'STATUS', 'SCHEDULE', 'NEXT FIRE', 'FIRED', 'LABEL'], ...alarms.map((a) => [a.id, a.status, schedule(a), a.next_fire_at ?? '-', String(a.fire_count), a.label ?? ''])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
