-- Chronos schema v5: a claim is a heap-only (HOT) update.
-- Applied once under an advisory lock; never edit after release, add 006_... instead.

-- A claim sets status, claimed_by, claimed_at, lease_until, attempt and
-- updated_at. While an index covered status (in the predicates of
-- alarms_due and alarms_owner_active) or lease_until (alarms_lease), every
-- claim wrote a new entry into each of the table's indexes; now no index
-- covers a column a claim writes, so PostgreSQL can keep the new row version
-- on the same page with no index entry at all (about a third less
-- PostgreSQL CPU per claimed row, docs/benchmarks.md). The settle after it
-- still moves next_fire_at, so it stays an ordinary update.
--
-- An alarm is active (scheduled or firing) exactly when it has a next fire
-- time, so the partial indexes now say so by next_fire_at:
-- * alarms_due holds firing rows too; the claim tests status on the row.
-- * The lease reaper finds expired claims through alarms_due: an expired
--   claim is overdue, since a lease outlasts the claim's lookahead (the
--   configuration checks that).
-- * The per-owner quota counts through alarms_owner_active.
ALTER TABLE alarms ADD CONSTRAINT alarms_next_fire_only_while_active
  CHECK ((status IN ('scheduled', 'firing')) = (next_fire_at IS NOT NULL));

DROP INDEX alarms_lease;
DROP INDEX alarms_due;
CREATE INDEX alarms_due ON alarms (next_fire_at, id) WHERE next_fire_at IS NOT NULL;
DROP INDEX alarms_owner_active;
CREATE INDEX alarms_owner_active ON alarms (owner) WHERE next_fire_at IS NOT NULL;

-- Room on each page for the claimed version of its rows (applies to pages written from now on).
ALTER TABLE alarms SET (fillfactor = 80);

-- As in 002, but counting an owner's active alarms by next_fire_at, so the count reads alarms_owner_active.
CREATE OR REPLACE FUNCTION chronos_create_alarms(items json, max_active integer, due_channel text, notify_before timestamptz)
RETURNS TABLE (
  ord integer, outcome text, active integer,
  id text, owner text, kind text, at timestamptz, cron text, rrule text, tz text, start_at timestamptz, until timestamptz,
  max_fires integer, label text, conversation_id text, wake_message text, tags text[], status text, next_fire_at timestamptz,
  occurrence_at timestamptz, fire_id text, attempt integer, fire_count integer, consecutive_failures integer,
  last_fired_at timestamptz, last_error text, claimed_by text, claimed_at timestamptz, lease_until timestamptz,
  idempotency_key text, request_fingerprint text, created_at timestamptz, updated_at timestamptz, payload text
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  it record;
  cur_owner text;
  cur_active integer;
  cur_counted boolean;
  cur_changed boolean := false;
  found_id text;
  key_at integer;
  -- One entry per item, in the order decided: the result.
  ords integer[] := '{}';
  outcomes text[] := '{}';
  actives integer[] := '{}';
  ids text[] := '{}';
  -- The items to insert, and the idempotency keys they claim (owner, newline, key) with their ids.
  accepted integer[] := '{}';
  batch_keys text[] := '{}';
  batch_key_ids text[] := '{}';
  -- New bounds of the owners whose bound changed.
  bound_owners text[] := '{}';
  bounds integer[] := '{}';
  earliest timestamptz;
BEGIN
  PERFORM pg_advisory_xact_lock(owners.k)
  FROM (SELECT DISTINCT hashtextextended(i.owner, 0) AS k FROM json_to_recordset(items) AS i(owner text) ORDER BY 1) AS owners;

  -- Decide each item, by owner and then in batch order (quota and idempotency are per owner); insert after.
  FOR it IN
    SELECT i.ord, i.id, i.owner, i.idempotency_key FROM json_to_recordset(items) AS i(ord integer, id text, owner text, idempotency_key text)
    ORDER BY i.owner, i.ord
  LOOP
    IF cur_owner IS DISTINCT FROM it.owner THEN
      IF cur_changed THEN
        bound_owners := bound_owners || cur_owner;
        bounds := bounds || cur_active;
      END IF;
      cur_owner := it.owner;
      cur_changed := false;
      SELECT o.active_bound INTO cur_active FROM alarm_owners o WHERE o.owner = it.owner;
      cur_counted := NOT FOUND;
      IF cur_counted THEN
        SELECT count(*) INTO cur_active FROM alarms a WHERE a.owner = it.owner AND a.next_fire_at IS NOT NULL;
        cur_changed := true;
      END IF;
    END IF;
    found_id := NULL;
    IF it.idempotency_key IS NOT NULL THEN
      key_at := array_position(batch_keys, it.owner || E'\n' || it.idempotency_key);
      IF key_at IS NOT NULL THEN
        found_id := batch_key_ids[key_at];
      ELSE
        SELECT a.id INTO found_id FROM alarms a WHERE a.owner = it.owner AND a.idempotency_key = it.idempotency_key;
      END IF;
    END IF;
    IF found_id IS NULL AND cur_active >= max_active AND NOT cur_counted THEN
      SELECT count(*) INTO cur_active FROM alarms a WHERE a.owner = it.owner AND a.next_fire_at IS NOT NULL;
      cur_counted := true;
      cur_changed := true;
    END IF;
    ords := ords || it.ord;
    IF found_id IS NOT NULL THEN
      outcomes := outcomes || 'existing'::text; actives := actives || NULL::integer; ids := ids || found_id;
    ELSIF cur_active >= max_active THEN
      outcomes := outcomes || 'quota'::text; actives := actives || cur_active; ids := ids || NULL::text;
    ELSE
      outcomes := outcomes || 'created'::text; actives := actives || NULL::integer; ids := ids || it.id;
      accepted := accepted || it.ord;
      cur_active := cur_active + 1;
      cur_changed := true;
      IF it.idempotency_key IS NOT NULL THEN
        batch_keys := batch_keys || (it.owner || E'\n' || it.idempotency_key);
        batch_key_ids := batch_key_ids || it.id;
      END IF;
    END IF;
  END LOOP;
  IF cur_changed THEN
    bound_owners := bound_owners || cur_owner;
    bounds := bounds || cur_active;
  END IF;

  WITH inserted AS (
    INSERT INTO alarms (id, owner, kind, at, cron, rrule, tz, start_at, until, max_fires, label, conversation_id, wake_message,
                        payload, tags, status, next_fire_at, occurrence_at, fire_id, idempotency_key, request_fingerprint)
    SELECT i.id, i.owner, i.kind, i.at, i.cron, i.rrule, i.tz, i.start_at, i.until, i.max_fires, i.label, i.conversation_id,
           i.wake_message, i.payload::json, i.tags, 'scheduled', i.first_fire_at, i.first_fire_at, i.fire_id, i.idempotency_key,
           i.request_fingerprint
    FROM json_to_recordset(items) AS i(
      ord integer, id text, owner text, kind text, at timestamptz, cron text, rrule text, tz text, start_at timestamptz,
      until timestamptz, max_fires integer, label text, conversation_id text, wake_message text, payload text, tags text[],
      first_fire_at timestamptz, fire_id text, idempotency_key text, request_fingerprint text)
    WHERE i.ord = ANY (accepted)
    RETURNING next_fire_at
  )
  SELECT min(x.next_fire_at) INTO earliest FROM inserted x WHERE x.next_fire_at < notify_before;

  INSERT INTO alarm_owners AS o (owner, active_bound)
  SELECT * FROM unnest(bound_owners, bounds)
  ON CONFLICT (owner) DO UPDATE SET active_bound = excluded.active_bound;

  IF earliest IS NOT NULL THEN
    PERFORM pg_notify(due_channel, floor(extract(epoch FROM earliest) * 1000)::bigint::text);
  END IF;

  -- OFFSET 0 keeps the lookup a subquery: one primary-key probe per item, never a scan of the table for a hash join.
  RETURN QUERY
  SELECT r.ord, r.outcome, r.active,
         a.id, a.owner, a.kind, a.at, a.cron, a.rrule, a.tz, a.start_at, a.until, a.max_fires, a.label, a.conversation_id,
         a.wake_message, a.tags, a.status, a.next_fire_at, a.occurrence_at, a.fire_id, a.attempt, a.fire_count,
         a.consecutive_failures, a.last_fired_at, a.last_error, a.claimed_by, a.claimed_at, a.lease_until, a.idempotency_key,
         a.request_fingerprint, a.created_at, a.updated_at, a.payload_text
  FROM unnest(ords, outcomes, actives, ids) AS r(ord, outcome, active, alarm_id)
  LEFT JOIN LATERAL (SELECT x.*, x.payload::text AS payload_text FROM alarms x WHERE x.id = r.alarm_id OFFSET 0) AS a ON true;
END
$$;
