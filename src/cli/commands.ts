/**
 * Every command of `chronos` and `chronosd`, each declared once (args.ts):
 * parsing, checks, messages and --help all come from these objects. A
 * command's `run` imports its implementation, so that `chronos --version`,
 * any `--help` and the client commands load neither the daemon nor the
 * database driver.
 */
import type { Target } from '../api/alarms.js';
import { AUDIT_ACTIONS } from '../audit/entry.js';
import { KEYS, type KeySpec } from '../config/keys.js';
import type { CliFlags } from '../config/load.js';
import { parseInstant } from '../schedule/time.js';
import { command, field, integer, jsonObjectText, jsonText, many, oneOf, text, toggle, type Flag, type FlagValues, type Group } from './args.js';
import { ADMIN_CONNECTION_FLAGS, CONNECTION_FLAGS } from './connection.js';

type KeyName = keyof typeof KEYS;
const KEY_NAMES = Object.keys(KEYS) as KeyName[];
const spec = (k: KeyName) => KEYS[k] as KeySpec<unknown>;

/**
 * The daemon's flags: --config and one per key of the config table, which
 * describes them. Their values are checked by loadConfig, with the other
 * sources, so a bad one is named the same way wherever it comes from.
 */
const DAEMON_FLAGS: Readonly<Record<string, Flag<string>>> = {
  config: text('PATH', 'config file [CHRONOS_CONFIG; default ./chronos.config.kvx when present]'),
  ...Object.fromEntries(
    KEY_NAMES.map((k) => {
      const s = spec(k);
      return [s.flag, text(s.flag.split('-').at(-1)!.toUpperCase(), `${s.doc} [${s.env.join(', ')}; default: ${s.defaultDoc ?? s.default ?? ''}]`)];
    }),
  ),
};

const DAEMON_NOTES = 'Precedence: flags > environment > chronos.config.kvx > defaults. --version prints the version.';

/** The daemon flags given, for loadConfig. */
export function daemonFlags(values: FlagValues<typeof DAEMON_FLAGS>): CliFlags {
  const byKey = new Map<KeyName, string>();
  for (const k of KEY_NAMES) {
    const value = values[spec(k).flag];
    if (value !== undefined) byKey.set(k, value);
  }
  return { configPath: values.config, values: byKey };
}

const JSON_FLAG = { json: toggle("print the API's answer as received") };

/** `chronos alarm set`: each flag fills the API field it names (docs/api.md). */
export const ALARM_SET_FLAGS = {
  kind: field('kind', text('once|cron|rrule', 'the kind of schedule')),
  message: field('wake_message', text('TEXT', 'the text the agent wakes up to')),
  delay: field('delay', text('DURATION', 'once: fire this long from now, like 15m or 1h30m')),
  at: field('at', text('TIME', 'once: fire at this RFC 3339 time with an offset')),
  'at-local': field('at_local', text('TIME', 'once: fire at this wall time, like 2027-03-01T09:00, read in --tz')),
  cron: field('cron', text('EXPR', 'cron: a cron expression, 5 or 6 fields')),
  rrule: field('rrule', text('RULE', 'rrule: an RFC 5545 rule')),
  tz: field('tz', text('ZONE', 'cron, rrule, --at-local: the IANA time zone of the schedule [default UTC]')),
  start: field('start', text('TIME', 'cron, rrule: no occurrence before this time')),
  until: field('until', text('TIME', 'cron, rrule: no occurrence after this time')),
  'max-fires': field('max_fires', integer('N', 'cron, rrule: stop after N delivered wakes', 1, 2_147_483_647)),
  payload: field('payload', jsonText('JSON', 'any JSON, handed back verbatim with the wake')),
  label: field('label', text('LABEL', 'a label for people')),
  'conversation-id': field('conversation_id', text('ID', 'the conversation to resume')),
  'idempotency-key': field('idempotency_key', text('KEY', 'a retried set with the same key returns the first alarm')),
  tag: many(field('tags', text('TAG', 'a tag to filter on'))),
  target: field('target', { ...text('router|stream|ep_...', "where the wakes go: the router [default], the agent's stream (GET /v1/stream), or a webhook endpoint by its id (chronos endpoint add)"), parse: target }),
  misfire: field('misfire', oneOf(['coalesce', 'skip', 'all'], 'cron, rrule: occurrences missed while chronosd was down or the alarm paused fire once for all [coalesce, default], not at all (skip), or each (all)')),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

/** `chronos alarm list`: each flag fills the query parameter it names. */
export const ALARM_LIST_FLAGS = {
  status: field('status', text('S[,S]', 'only alarms in these statuses')),
  tag: field('tag', text('TAG', 'only alarms with this tag')),
  target: field('target', oneOf(['router', 'webhook', 'stream'], 'only alarms with this target type')),
  limit: field('limit', integer('N', 'at most N alarms', 1, 2_147_483_647)),
  cursor: field('cursor', text('CURSOR', 'the next page, as printed after the previous one')),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

/** `chronos alarm history`: each flag fills the query parameter it names. */
export const ALARM_HISTORY_FLAGS = {
  alarm: field('alarm_id', text('ID', 'only attempts of this alarm')),
  tag: field('tag', text('TAG', 'only attempts of alarms with this tag')),
  outcome: field('outcome', oneOf(['delivered', 'retrying', 'failed'], 'only attempts with this outcome')),
  since: field('since', { ...text('TIME', 'only attempts that started at or after this RFC 3339 time with an offset'), parse: instantText }),
  until: field('until', { ...text('TIME', 'only attempts that started before this RFC 3339 time with an offset'), parse: instantText }),
  limit: field('limit', integer('N', 'at most N attempts [default 50]', 1, 200)),
  cursor: field('cursor', text('CURSOR', 'the next page, as printed after the previous one')),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

/** `chronos schedule '<json>'`. */
export const SCHEDULE_FLAGS = {
  count: field('count', integer('N', 'how many occurrences at most [default 10]', 1, 100)),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

/** `chronos alarm get|cancel ID`. */
export const ALARM_ID_FLAGS = { ...JSON_FLAG, ...CONNECTION_FLAGS };

const ALARM_ID = [{ value: 'ID', doc: 'the alarm id' }];

const { message, label, delay, at, cron, rrule, until, misfire } = ALARM_SET_FLAGS;
/** `chronos alarm update ID`: each flag fills the API field it names; --patch gives any field as a JSON merge patch. */
export const ALARM_UPDATE_FLAGS = {
  message,
  label,
  delay,
  at,
  cron,
  rrule,
  tz: field('tz', text('ZONE', 'the IANA time zone the schedule is read in')),
  until,
  misfire: { ...misfire, doc: 'cron, rrule: what happens to occurrences missed while chronosd was down or the alarm paused: one wake for all (coalesce), none (skip), or each (all)' },
  patch: jsonObjectText('JSON', 'any fields to change, as a JSON merge patch: null removes one, like \'{"until":null,"tags":["ops"]}\''),
  'if-match': text('ETAG', 'change it only if it is still this version (the etag chronos alarm get prints), else precondition_failed'),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

const ENDPOINT_METHOD = oneOf(['POST', 'PUT', 'PATCH'], 'the HTTP method of the wakes [default POST]');
const ENDPOINT_BODY = oneOf(['wake', 'payload'], "what a wake sends: the wake JSON (docs/wake.md), or the alarm's payload alone, verbatim, for calling any API [default wake]");
const ENDPOINT_HEADER: Flag<readonly [string, string]> = { ...text("'NAME: VALUE'", "a static header sent with every wake, like 'X-Api-Key: k1'"), parse: header };

/** `chronos endpoint add URL`: each flag fills the API field it names (docs/api.md). */
export const ENDPOINT_ADD_FLAGS = {
  description: field('description', text('TEXT', 'for people: what this endpoint is')),
  method: field('method', ENDPOINT_METHOD),
  header: many(field('headers', ENDPOINT_HEADER)),
  body: field('body', ENDPOINT_BODY),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

/** `chronos endpoint update ID`: only the fields given change. The new URL is --endpoint-url, as --url is chronosd's. */
export const ENDPOINT_UPDATE_FLAGS = {
  'endpoint-url': field('url', text('URL', 'send the wakes to this URL instead (checked as at add)')),
  description: field('description', text('TEXT', "a new description; '' clears it")),
  method: field('method', { ...ENDPOINT_METHOD, doc: 'the HTTP method of the wakes' }),
  header: many(field('headers', { ...ENDPOINT_HEADER, doc: "the endpoint's static headers become exactly those given, like 'X-Api-Key: k2'" })),
  'no-headers': toggle('remove every static header'),
  body: field('body', { ...ENDPOINT_BODY, doc: "what a wake sends: the wake JSON, or the alarm's payload alone" }),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

/** `chronos endpoint list`: each flag fills the query parameter it names. */
export const ENDPOINT_LIST_FLAGS = {
  limit: field('limit', integer('N', 'at most N endpoints', 1, 2_147_483_647)),
  cursor: field('cursor', text('CURSOR', 'the next page, as printed after the previous one')),
  ...JSON_FLAG,
  ...CONNECTION_FLAGS,
};

/** `chronos endpoint get|rotate|rm ID`. */
export const ENDPOINT_ID_FLAGS = { ...JSON_FLAG, ...CONNECTION_FLAGS };

const ENDPOINT_ID = [{ value: 'ID', doc: 'the endpoint id' }];

/** `chronos admin status|owner|unsuspend|revoke-tokens` and `chronos admin alarm get|cancel`. */
export const ADMIN_FLAGS = { ...JSON_FLAG, ...ADMIN_CONNECTION_FLAGS };

const PAGE_CURSOR = field('cursor', text('CURSOR', 'the next page, as printed after the previous one'));

/** `chronos admin alarms`: each flag fills the query parameter of GET /v1/admin/alarms it names. */
export const ADMIN_ALARMS_FLAGS = {
  owner: field('owner', text('DID', 'only alarms of this owner')),
  status: ALARM_LIST_FLAGS.status,
  tag: ALARM_LIST_FLAGS.tag,
  target: ALARM_LIST_FLAGS.target,
  limit: field('limit', integer('N', 'at most N alarms [default 50]', 1, 200)),
  cursor: PAGE_CURSOR,
  ...ADMIN_FLAGS,
};

/** `chronos admin suspend DID`: --reason fills the body's field. */
export const ADMIN_SUSPEND_FLAGS = {
  reason: field('reason', text('TEXT', 'required: why, 1 to 500 characters; recorded in the audit log and told to the owner in its 403 owner_suspended answers')),
  ...ADMIN_FLAGS,
};

/** `chronos admin audit`: each flag fills the query parameter of GET /v1/admin/audit it names. */
export const ADMIN_AUDIT_FLAGS = {
  actor: field('actor', text('ACTOR', 'only changes by this actor: a DID, or admin:<name> for an admin token')),
  action: field('action', { ...oneOf(AUDIT_ACTIONS, `only this action: ${AUDIT_ACTIONS.join(', ')}`), value: 'ACTION' }),
  'target-id': field('target_id', text('ID', 'only changes of this alarm, endpoint or DID')),
  since: field('since', { ...text('TIME', 'only entries at or after this RFC 3339 time with an offset'), parse: instantText }),
  until: field('until', { ...text('TIME', 'only entries before this RFC 3339 time with an offset'), parse: instantText }),
  limit: field('limit', integer('N', 'at most N entries [default 50]', 1, 200)),
  cursor: PAGE_CURSOR,
  ...ADMIN_FLAGS,
};

const OWNER_DID = [{ value: 'DID', doc: "the owner's DID, like did:key:z6Mk..." }];

/** `chronos mcp`. */
export const MCP_FLAGS = {
  selftest: toggle('check reachability, auth and the clock once, print what to fix, exit 0 or 1'),
  'write-manifest': toggle('write the registered tools to the manifest and exit'),
  manifest: text('PATH', 'the tool manifest [default: chronos-tools.json of the package]'),
  ...CONNECTION_FLAGS,
};

const alarm: Group = {
  summary: 'set, get, list, update, pause, resume, fire or cancel alarms, and list their delivery history: the API for people',
  notes: 'Exit status: 0; 1 when chronosd refused or cannot be reached (its code and message on stderr); 2 for a usage error.',
  commands: {
    set: command({
      summary: 'set an alarm and print it',
      flags: ALARM_SET_FLAGS,
      notes: `Examples:
  chronos alarm set --kind once --delay 15m --message "Check the deploy" --payload '{"build":"4f2a9c"}' --tag ci
  chronos alarm set --kind cron --cron "0 9 * * MON-FRI" --tz Europe/Berlin --message Standup
  chronos alarm set --kind cron --cron "*/15 * * * *" --message "Poll the queue" --target ep_2XVW0VrjxyzEbf1m6Iv0
  chronos alarm set --kind cron --cron "0 * * * *" --message "Hourly check" --misfire skip`,
      run: async (input) => (await import('./alarm.js')).alarmSet(input),
    }),
    get: command({ summary: 'print every field of an alarm, and its etag', args: ALARM_ID, flags: ALARM_ID_FLAGS, run: async (input) => (await import('./alarm.js')).alarmGet(input, 'GET') }),
    list: command({ summary: "list the agent's alarms, newest first", flags: ALARM_LIST_FLAGS, run: async (input) => (await import('./alarm.js')).alarmList(input) }),
    cancel: command({ summary: 'cancel an alarm and print it', args: ALARM_ID, flags: ALARM_ID_FLAGS, run: async (input) => (await import('./alarm.js')).alarmGet(input, 'DELETE') }),
    update: command({
      summary: 'change a scheduled or paused alarm in place and print it',
      args: ALARM_ID,
      flags: ALARM_UPDATE_FLAGS,
      notes: `Only the fields given change; a new time (--delay, --at, --cron, --rrule) replaces the old one and counts from now. Examples:
  chronos alarm update alm_2XVW0VrjxyzEbf1m6Iv0 --cron "30 10 * * MON-FRI" --label "standup, team B"
  chronos alarm update alm_2XVW0VrjxyzEbf1m6Iv0 --patch '{"until":null,"payload":{"step":4}}' --if-match '"rwkJQBRQx9pfdU63lvjG1i"'`,
      run: async (input) => (await import('./alarm.js')).alarmUpdate(input),
    }),
    pause: command({ summary: 'pause an alarm (nothing fires until it is resumed) and print it', args: ALARM_ID, flags: ALARM_ID_FLAGS, run: async (input) => (await import('./alarm.js')).alarmControl(input, 'pause') }),
    resume: command({
      summary: 'resume a paused alarm at its next occurrence and print it',
      args: ALARM_ID,
      flags: ALARM_ID_FLAGS,
      notes: 'The occurrences missed while paused follow the alarm\'s misfire policy (--misfire of chronos alarm set).',
      run: async (input) => (await import('./alarm.js')).alarmControl(input, 'resume'),
    }),
    fire: command({
      summary: 'fire an alarm once now, beside its schedule, and print the fire_id',
      args: ALARM_ID,
      flags: ALARM_ID_FLAGS,
      notes: 'The wake carries "manual": true and a fire_id of its own; the schedule is unchanged. On scheduled or paused alarms.',
      run: async (input) => (await import('./alarm.js')).alarmControl(input, 'fire'),
    }),
    history: command({
      summary: "list the delivery attempts of the agent's alarms, newest first",
      flags: ALARM_HISTORY_FLAGS,
      notes: `One line per attempt; --since and --until bound its start (since inclusive, until exclusive). Examples:
  chronos alarm history --outcome failed --since 2026-12-01T00:00:00Z
  chronos alarm history --alarm alm_2XVW0VrjxyzEbf1m6Iv0 --limit 10`,
      run: async (input) => (await import('./history.js')).alarmHistory(input),
    }),
  },
};

const endpoint: Group = {
  summary: 'add, list, get, update, rotate or remove webhook endpoints: where --target ep_... sends wakes',
  notes: 'Exit status: 0; 1 when chronosd refused or cannot be reached (its code and message on stderr); 2 for a usage error.',
  commands: {
    add: command({
      summary: 'register a webhook endpoint and print it with its signing secret, shown this once',
      args: [{ value: 'URL', doc: 'the endpoint URL (https://, a public address)' }],
      flags: ENDPOINT_ADD_FLAGS,
      notes: `Examples:
  chronos endpoint add https://hooks.example.com/chronos --description "deploy bot"
  chronos endpoint add https://api.example.com/jobs --method PUT --header 'Authorization: Bearer ...' --body payload`,
      run: async (input) => (await import('./endpoint.js')).endpointAdd(input),
    }),
    list: command({ summary: "list the agent's webhook endpoints, newest first", flags: ENDPOINT_LIST_FLAGS, run: async (input) => (await import('./endpoint.js')).endpointList(input) }),
    get: command({ summary: 'print every field of an endpoint (not its secret)', args: ENDPOINT_ID, flags: ENDPOINT_ID_FLAGS, run: async (input) => (await import('./endpoint.js')).endpointGet(input) }),
    update: command({
      summary: 'change an endpoint and print it',
      args: ENDPOINT_ID,
      flags: ENDPOINT_UPDATE_FLAGS,
      notes: `Only the fields given change; the secret stays. Examples:
  chronos endpoint update ep_2XVW0VrjxyzEbf1m6Iv0 --endpoint-url https://hooks.example.com/v2 --description ''
  chronos endpoint update ep_2XVW0VrjxyzEbf1m6Iv0 --header 'X-Api-Key: k2'`,
      run: async (input) => (await import('./endpoint.js')).endpointUpdate(input),
    }),
    rotate: command({
      summary: 'give an endpoint a new signing secret, print it (shown this once) and until when the old one still signs',
      args: ENDPOINT_ID,
      flags: ENDPOINT_ID_FLAGS,
      run: async (input) => (await import('./endpoint.js')).endpointRotate(input),
    }),
    rm: command({
      summary: 'remove an endpoint (refused while an alarm that may still fire targets it)',
      args: ENDPOINT_ID,
      flags: ENDPOINT_ID_FLAGS,
      run: async (input) => (await import('./endpoint.js')).endpointRemove(input),
    }),
  },
};

const admin: Group = {
  summary: "operate chronosd through the admin API: its status, every owner's alarms, an owner's suspension and tokens, the audit log",
  notes: `Every command needs an admin token: --admin-token or CHRONOS_ADMIN_TOKEN (never printed). Examples:
  CHRONOS_ADMIN_TOKEN=... chronos admin status
  chronos admin alarms --owner did:key:z6Mk... --status scheduled,paused
  chronos admin suspend did:key:z6Mk... --reason "runaway loop, ticket 4711"
Exit status: 0; 1 when chronosd refused or cannot be reached (its code and message on stderr); 2 for a usage error or no admin token.`,
  commands: {
    status: command({
      summary: "print the deployment's status: alarms by status and target, due backlog, recent attempts, replicas, busiest owners",
      flags: ADMIN_FLAGS,
      run: async (input) => (await import('./admin.js')).adminStatus(input),
    }),
    alarms: command({ summary: "list every owner's alarms, newest first", flags: ADMIN_ALARMS_FLAGS, run: async (input) => (await import('./admin.js')).adminAlarms(input) }),
    alarm: {
      summary: "get, pause, resume, fire or cancel any owner's alarm",
      commands: {
        get: command({ summary: "print every field of any owner's alarm", args: ALARM_ID, flags: ADMIN_FLAGS, run: async (input) => (await import('./admin.js')).adminAlarmGet(input) }),
        pause: command({ summary: "pause any owner's alarm and print it; the audit log names the admin", args: ALARM_ID, flags: ADMIN_FLAGS, run: async (input) => (await import('./admin.js')).adminAlarmChange(input, 'pause') }),
        resume: command({ summary: "resume any owner's paused alarm and print it; the audit log names the admin", args: ALARM_ID, flags: ADMIN_FLAGS, run: async (input) => (await import('./admin.js')).adminAlarmChange(input, 'resume') }),
        fire: command({ summary: "fire any owner's alarm once now, beside its schedule; the audit log names the admin", args: ALARM_ID, flags: ADMIN_FLAGS, run: async (input) => (await import('./admin.js')).adminAlarmFire(input) }),
        cancel: command({
          summary: "cancel any owner's alarm and print it; the audit log names the admin",
          args: ALARM_ID,
          flags: ADMIN_FLAGS,
          run: async (input) => (await import('./admin.js')).adminAlarmChange(input, 'cancel'),
        }),
      },
    },
    owner: command({ summary: "print what applies to an owner: its suspension and when its tokens were revoked", args: OWNER_DID, flags: ADMIN_FLAGS, run: async (input) => (await import('./admin.js')).adminOwner(input) }),
    suspend: command({
      summary: 'suspend an owner: its requests answer 403 owner_suspended, its alarms wait',
      args: OWNER_DID,
      flags: ADMIN_SUSPEND_FLAGS,
      notes: "On unsuspend, the occurrences missed meanwhile follow each alarm's misfire policy.",
      run: async (input) => (await import('./admin.js')).adminSuspend(input),
    }),
    unsuspend: command({ summary: "unsuspend an owner: its requests are served and its alarms fire again", args: OWNER_DID, flags: ADMIN_FLAGS, run: async (input) => (await import('./admin.js')).adminOwnerControl(input, 'unsuspend') }),
    'revoke-tokens': command({
      summary: "refuse every principal token of an owner issued until now (401 token_revoked); the agent proves its key again for a new one",
      args: OWNER_DID,
      flags: ADMIN_FLAGS,
      run: async (input) => (await import('./admin.js')).adminOwnerControl(input, 'revoke-tokens'),
    }),
    audit: command({
      summary: 'list the whole audit log, newest first: who changed what, when, through which request',
      flags: ADMIN_AUDIT_FLAGS,
      notes: `--since and --until bound the entry's time (since inclusive, until exclusive). Examples:
  chronos admin audit --actor admin:ops --since 2026-12-01T00:00:00Z
  chronos admin audit --target-id did:key:z6Mk... --action owner.suspend`,
      run: async (input) => (await import('./admin.js')).adminAudit(input),
    }),
  },
};

/** `chronos`: every command. */
export const CHRONOS: Group = {
  summary: 'The command line of chronosd, a durable scheduler that wakes AI agents',
  notes: '--version prints the version.',
  commands: {
    serve: command({
      summary: 'run the daemon, chronosd',
      flags: DAEMON_FLAGS,
      notes: DAEMON_NOTES,
      async run({ flags }) {
        const [{ loadConfig }, { serveCommand }] = await Promise.all([import('../config/load.js'), import('./serve.js')]);
        const { config, configFile } = loadConfig(daemonFlags(flags));
        return serveCommand(config, configFile);
      },
    }),
    migrate: command({
      summary: 'apply database migrations and exit',
      flags: DAEMON_FLAGS,
      notes: DAEMON_NOTES,
      async run({ flags }) {
        const [{ loadConfig }, { migrateCommand }] = await Promise.all([import('../config/load.js'), import('./migrate.js')]);
        return migrateCommand(loadConfig(daemonFlags(flags)).config);
      },
    }),
    dev: command({
      summary: 'daemon + embedded PostgreSQL + a local router that prints each wake',
      flags: DAEMON_FLAGS,
      notes: DAEMON_NOTES,
      async run({ flags }) {
        const [{ loadConfig }, { devCommand }] = await Promise.all([import('../config/load.js'), import('./dev.js')]);
        const cli = daemonFlags(flags);
        return devCommand(loadConfig(cli).config, cli);
      },
    }),
    schedule: command({
      summary: "preview a schedule's next occurrences, as chronosd computes them",
      args: [{ value: "'<json>'", doc: 'the schedule fields of an alarm (kind, delay, at, at_local, cron, rrule, tz, start, until, max_fires), as JSON' }],
      flags: SCHEDULE_FLAGS,
      notes: `Asks chronosd (POST /v1/schedules/preview), which validates the fields exactly as
alarm set would, and prints the occurrences from now, oldest first: UTC, then the same
instant as local time in tz with its offset. until and max_fires end the list early.
  chronos schedule '{"kind":"cron","cron":"0 9 * * MON-FRI","tz":"Europe/Berlin"}' --count 3
  chronos schedule '{"kind":"rrule","rrule":"FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0;COUNT=3","tz":"Europe/London"}'
Exit status: 0; 1 when chronosd refused or cannot be reached (its code and message on stderr); 2 for a usage error.`,
      run: async (input) => (await import('./schedule.js')).scheduleCommand(input),
    }),
    keygen: command({
      summary: 'print a new ed25519 did:key and its seed',
      flags: { json: toggle('print one JSON object: {"did", "seed"}') },
      run: async ({ flags }) => (await import('./identity.js')).keygenCommand(flags.json ?? false),
    }),
    token: command({
      summary: 'print a principal token for the agent key (for curl)',
      flags: CONNECTION_FLAGS,
      run: async ({ flags }) => (await import('./identity.js')).tokenCommand(flags),
    }),
    mcp: command({
      summary: 'MCP server over stdio for one agent',
      flags: MCP_FLAGS,
      run: async ({ flags }) => (await import('./mcp.js')).mcpCommand(flags),
    }),
    alarm,
    endpoint,
    admin,
  },
};

/** `--target`: router, stream, or an endpoint id, which is a webhook target. */
function target(text: string): Target {
  if (text === 'router' || text === 'stream') return { type: text };
  if (text.startsWith('ep_')) return { type: 'webhook', endpoint: text };
  throw new Error(`"${text}" is not router, stream or an endpoint id (ep_..., as chronos endpoint add printed it)`);
}

/** `--header 'NAME: VALUE'`: the name and the value, without the blanks around them. */
function header(text: string): readonly [string, string] {
  const colon = text.indexOf(':');
  const name = text.slice(0, Math.max(colon, 0)).trim();
  if (!name) throw new Error(`"${text}" is not a header: NAME: VALUE, like 'X-Api-Key: k1'`);
  return [name, text.slice(colon + 1).trim()];
}

/** An RFC 3339 time with an offset, checked and sent as written. */
function instantText(text: string): string {
  if (!parseInstant(text)) throw new Error(`"${text}" is not an RFC 3339 time with an offset, like 2026-12-01T09:00:00Z`);
  return text;
}
