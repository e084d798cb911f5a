-- Chronos schema v1: alarms, the fire (attempt) ledger, auth nonces.
-- Applied once under an advisory lock; never edit after release, add 002_... instead.

CREATE TABLE alarms (
  id                   text PRIMARY KEY,                 -- alm_...
  owner                text NOT NULL,                    -- verified DID
  kind                 text NOT NULL CHECK (kind IN ('once', 'cron', 'rrule')),
  at                   timestamptz,                      -- once
  cron                 text,                             -- cron expression, descriptor or @every
  rrule                text,                             -- RFC 5545 RRULE value
  tz                   text NOT NULL DEFAULT 'UTC',      -- IANA zone
  start_at             timestamptz,                      -- rrule DTSTART; @every anchor
  until                timestamptz,
  max_fires            integer CHECK (max_fires > 0),
  label                text,
  conversation_id      text,
  wake_message         text NOT NULL,
  payload              json NOT NULL DEFAULT 'null',     -- json, not jsonb: kept byte for byte
  tags                 text[] NOT NULL DEFAULT '{}',
  status               text NOT NULL DEFAULT 'scheduled'
                       CHECK (status IN ('scheduled', 'firing', 'completed', 'failed', 'cancelled')),
  next_fire_at         timestamptz,                      -- when the next attempt is due
  occurrence_at        timestamptz,                      -- scheduled_for of the current occurrence
  fire_id              text,                             -- fir_..., shared by every attempt at the occurrence
  attempt              integer NOT NULL DEFAULT 0,       -- attempts made at the current occurrence
  fire_count           integer NOT NULL DEFAULT 0,       -- delivered occurrences
  consecutive_failures integer NOT NULL DEFAULT 0,       -- failed occurrences in a row
  last_fired_at        timestamptz,
  last_error           text,
  claimed_by           text,                             -- replica id holding the claim
  claimed_at           timestamptz,                      -- when the claim (and its attempt) began
  lease_until          timestamptz,
  idempotency_key      text,
  request_fingerprint  text,                             -- sha256 of the canonical create request
  created_at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),  -- ms: the API's precision, so list cursors are exact
  updated_at           timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  CHECK ((kind = 'once') = (at IS NOT NULL)),
  CHECK ((kind = 'cron') = (cron IS NOT NULL)),
  CHECK ((kind = 'rrule') = (rrule IS NOT NULL)),
  CHECK (status <> 'scheduled' OR next_fire_at IS NOT NULL),
  CHECK (status <> 'firing' OR (claimed_by IS NOT NULL AND lease_until IS NOT NULL))
);

-- The claim: due scheduled rows in time order.
CREATE INDEX alarms_due ON alarms (next_fire_at, id) WHERE status = 'scheduled';
-- The reaper: claims whose lease ran out.
CREATE INDEX alarms_lease ON alarms (lease_until) WHERE status = 'firing';
-- Listing an owner's alarms newest first, with a (created_at, id) cursor.
CREATE INDEX alarms_owner ON alarms (owner, created_at DESC, id DESC);
-- The per-owner quota counts only active alarms.
CREATE INDEX alarms_owner_active ON alarms (owner) WHERE status IN ('scheduled', 'firing');
CREATE UNIQUE INDEX alarms_idempotency ON alarms (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One row per delivery attempt.
CREATE TABLE fires (
  id            text PRIMARY KEY,                        -- att_...
  fire_id       text NOT NULL,                           -- fir_...
  alarm_id      text NOT NULL REFERENCES alarms (id),
  scheduled_for timestamptz NOT NULL,
  attempt       integer NOT NULL CHECK (attempt > 0),
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  outcome       text NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
  status_code   integer,
  error         text,
  duration_ms   integer
);

CREATE INDEX fires_alarm ON fires (alarm_id, started_at DESC, id DESC);
-- Retention prunes by age in small batches.
CREATE INDEX fires_started ON fires (started_at);

-- DID challenges: single-use across replicas, consumed by DELETE ... RETURNING.
CREATE TABLE auth_nonces (
  nonce      text PRIMARY KEY,
  did        text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX auth_nonces_expires ON auth_nonces (expires_at);
