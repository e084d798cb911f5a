/** Kysely table types, mirroring migrations/. */
import type { ColumnType, Generated } from 'kysely';
import type { Misfire, Target } from '../api/alarms.js';
import type { AlarmStatus } from '../alarms/states.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** `alarms`: one row per alarm. */
export interface AlarmsTable {
  id: string;
  owner: string;
  kind: 'once' | 'cron' | 'rrule';
  at: NullableTimestamp;
  /** once, set by wall time: that time as given (`at` is the instant it was resolved to in `tz`). */
  at_local: string | null;
  cron: string | null;
  rrule: string | null;
  tz: Generated<string>;
  start_at: NullableTimestamp;
  until: NullableTimestamp;
  max_fires: number | null;
  label: string | null;
  conversation_id: string | null;
  wake_message: string;
  /** JSON text exactly as the client sent it (the pool reads json columns as text: db/pool.ts). */
  payload: Generated<string>;
  tags: Generated<string[]>;
  status: Generated<AlarmStatus>;
  target: ColumnType<Target, string | undefined, string>;
  misfire: Generated<Misfire>;
  next_fire_at: NullableTimestamp;
  occurrence_at: NullableTimestamp;
  fire_id: string | null;
  attempt: Generated<number>;
  fire_count: Generated<number>;
  consecutive_failures: Generated<number>;
  last_fired_at: NullableTimestamp;
  last_error: string | null;
  claimed_by: string | null;
  claimed_at: NullableTimestamp;
  lease_until: NullableTimestamp;
  idempotency_key: string | null;
  request_fingerprint: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  /** When it reached a final state; set exactly while final (migrations 006, 011). */
  finished_at: NullableTimestamp;
  /** A fire-now occurrence: the alarm it was fired for (migration 011); null for every alarm an owner sees. */
  manual_of: string | null;
}

/** `fires`: one row per delivery attempt. */
export interface FiresTable {
  id: string;
  fire_id: string;
  alarm_id: string;
  scheduled_for: Timestamp;
  attempt: number;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  outcome: 'delivered' | 'retrying' | 'failed';
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
  target_type: Generated<Target['type']>;
  /** The attempt was of a fire-now occurrence (SPEC 9.2). */
  manual: Generated<boolean>;
}

/** `auth_nonces`: outstanding DID challenges. */
export interface AuthNoncesTable {
  nonce: string;
  did: string;
  expires_at: Timestamp;
  created_at: GeneratedTimestamp;
}

/** `endpoints`: webhook endpoints an owner registered (SPEC 8.2). */
export interface EndpointsTable {
  id: string;
  owner: string;
  url: string;
  description: string | null;
  method: Generated<'POST' | 'PUT' | 'PATCH'>;
  headers: ColumnType<Record<string, string>, string | undefined, string>;
  body: Generated<'wake' | 'payload'>;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: NullableTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** `stream_listeners`: one row per open GET /v1/stream connection, on whichever replica (SPEC 8.3, migration 009). */
export interface StreamListenersTable {
  id: string;
  replica: string;
  owner: string;
  tags: string[] | null;
  connected_at: NullableTimestamp;
  seen_at: GeneratedTimestamp;
}

/** `owners`: the owners an admin suspended or whose tokens were revoked (migration 012). */
export interface OwnersTable {
  did: string;
  suspended_at: NullableTimestamp;
  suspended_reason: string | null;
  tokens_revoked_before: NullableTimestamp;
  updated_at: GeneratedTimestamp;
}

/** `audit_log`: one row per change, never updated (SPEC 10.3, migration 012). */
export interface AuditLogTable {
  id: string;
  at: GeneratedTimestamp;
  actor: string;
  owner: string | null;
  action: string;
  target_id: string | null;
  request_id: string | null;
  client_ip: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
}

/** `replicas`: each running chronosd's heartbeat (migration 012). */
export interface ReplicasTable {
  id: string;
  version: string;
  host: string;
  started_at: Timestamp;
  seen_at: GeneratedTimestamp;
  dispatch: string;
  in_flight: Generated<number>;
}

/** `rate_limits`: the GCRA state of each rate-limit key, shared by the replicas (migration 013, unlogged). */
export interface RateLimitsTable {
  key: string;
  /** The theoretical arrival time; past: as good as no row (a full bucket). */
  tat: Timestamp;
  /** How many requests the last decision of this key admitted. */
  admitted: number;
}

/** `lateness_samples`: each replica's lateness bucket counts per heartbeat (migration 015). */
export interface LatenessSamplesTable {
  replica_id: string;
  at: GeneratedTimestamp;
  buckets: string[];
  backlog: number | null;
}

/** The whole database as Kysely sees it. */
export interface Schema {
  owners: OwnersTable;
  audit_log: AuditLogTable;
  replicas: ReplicasTable;
  alarms: AlarmsTable;
  fires: FiresTable;
  auth_nonces: AuthNoncesTable;
  stream_listeners: StreamListenersTable;
  endpoints: EndpointsTable;
  rate_limits: RateLimitsTable;
  lateness_samples: LatenessSamplesTable;
}
