-- Chronos schema v12: what operators see and decide (SPEC 10): the owners an admin acted on
-- (suspended, tokens revoked), the audit log, and the replicas that announce themselves.
-- Applied once under an advisory lock; never edit after release, add 013_... instead.

-- One row per owner an admin suspended or whose tokens were revoked; every replica reads the whole
-- table every second or two (auth/owner-controls.ts), so it stays small: owners nobody acted on
-- have no row.
CREATE TABLE owners (
  did text PRIMARY KEY,
  -- While set, the owner's alarms are not claimed and its requests answer 403 owner_suspended.
  suspended_at timestamptz,
  suspended_reason text,
  -- Principal tokens of this DID issued at or before this instant are refused (401 token_revoked).
  tokens_revoked_before timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per change, written in the transaction of the change (SPEC 10.3); never updated.
-- `owner` is the DID whose alarm, endpoint or account the change touched: an owner's own view
-- (GET /v1/audit) reads by it; the admin's view reads every row.
CREATE TABLE audit_log (
  id text PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  actor text NOT NULL,
  owner text,
  action text NOT NULL,
  target_id text,
  request_id text,
  client_ip text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_owner ON audit_log (owner, at DESC, id DESC) WHERE owner IS NOT NULL;
CREATE INDEX audit_log_target ON audit_log (target_id, at DESC, id DESC) WHERE target_id IS NOT NULL;

-- Each running chronosd upserts its row every few seconds (GET /v1/admin/status lists the ones seen
-- in the last 30 s); rows not seen for a day are deleted.
CREATE TABLE replicas (
  id text PRIMARY KEY,
  version text NOT NULL,
  host text NOT NULL,
  started_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL DEFAULT now(),
  dispatch text NOT NULL,
  in_flight integer NOT NULL DEFAULT 0
);
