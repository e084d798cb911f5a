-- Chronos schema v6: where an alarm's wakes go and what happens to its missed occurrences (the columns
-- part II needs, defaulting to today's behaviour); finished alarms dated for their retention; a batch
-- create that takes the alarms columns by name.
-- Applied once under an advisory lock; never edit after release, add 007_... instead.
--
-- Replicas still running the code of migration 005 keep working beside newer ones during a rolling
-- upgrade: their chronos_create_alarms stays as it was, the new columns take their defaults for them,
-- and a trigger dates the alarms they finish.

-- {"type": "router"} | {"type": "webhook", "endpoint": "ep_..."} | {"type": "stream"} (SPEC 8).
ALTER TABLE alarms ADD COLUMN target jsonb NOT NULL DEFAULT '{"type": "router"}';
ALTER TABLE alarms ADD CONSTRAINT alarms_target_type CHECK (target->>'type' IN ('router', 'webhook', 'stream'));
-- SPEC 9.3.
ALTER TABLE alarms ADD COLUMN misfire text NOT NULL DEFAULT 'coalesce' CHECK (misfire IN ('coalesce', 'skip', 'all'));

-- When the alarm reached a final state (completed, failed, cancelled): the cleaner deletes it, and its
-- fires, retention.alarms later. Set exactly while final; a claim never writes it, so the index on it
-- keeps the claim a heap-only update (migration 005).
ALTER TABLE alarms ADD COLUMN finished_at timestamptz;
UPDATE alarms SET finished_at = updated_at WHERE next_fire_at IS NULL;

-- Every write that ends an alarm sets finished_at itself; this dates the ones a replica older than this
-- migration ends. The WHEN clause keeps it from running at all for the writes that set it (and a claim,
-- which does not write next_fire_at, never gets here). Drop it once no such replica can run.
CREATE FUNCTION chronos_date_finished_alarm() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.finished_at := date_trunc('milliseconds', now());
  RETURN NEW;
END
$$;
CREATE TRIGGER alarms_date_finished BEFORE UPDATE OF next_fire_at ON alarms
  FOR EACH ROW WHEN (NEW.next_fire_at IS NULL AND NEW.finished_at IS NULL) EXECUTE FUNCTION chronos_date_finished_alarm();

ALTER TABLE alarms ADD CONSTRAINT alarms_finished_only_when_final CHECK ((finished_at IS NOT NULL) = (next_fire_at IS NULL));
CREATE INDEX alarms_finished ON alarms (finished_at) WHERE finished_at IS NOT NULL;

-- chronos_create_alarm_rows(items, max_active, due_channel, notify_before)
--
-- items: a JSON array of objects, one per alarm, each with the same members: `ord` (its place in the
-- batch) and the alarms columns the create sets, by name (a json column as a string of its JSON text).
-- A column the items leave out takes its default; a name that is no column, or items with different
-- members, fail the batch.
--
-- Returns one row per item: outcome 'created' with the new alarms row; 'existing' with the row the
-- owner's idempotency key already names; or 'quota' with `active`, the owner's active alarms when
-- max_active were already active. The row is of the table's own type, so a new column of alarms
-- changes neither this function nor its callers' SQL.
--
-- Creates of one owner are serialized by an advisory lock on the owner, so the quota is exact and
-- concurrent identical creates make one alarm. A batch takes the locks of all its owners first, in key
-- order, so that two batches never wait on each other in a cycle. Each statement of a plpgsql function
-- reads a fresh snapshot: the counts below see every create that committed before the lock was granted.
-- An alarm an idempotency key names is locked (FOR KEY SHARE) until the batch commits, so the cleaner,
-- which skips locked rows, cannot delete it between the lookup and the answer.
--
-- The earliest created alarm due before notify_before is announced on due_channel (milliseconds since
-- the epoch), at commit.
CREATE FUNCTION chronos_create_alarm_rows(items json, max_active integer, due_channel text, notify_before timestamptz)
RETURNS TABLE (ord integer, outcome text, active integer, alarm alarms)
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
  columns text;
  selected text;
  earliest timestamptz;
BEGIN
  IF json_array_length(items) = 0 THEN
    RETURN;
  END IF;
  IF EXISTS (
    SELECT FROM json_array_elements(items) AS e
    WHERE (SELECT array_agg(k ORDER BY k) FROM json_object_keys(e.value) AS k)
          IS DISTINCT FROM (SELECT array_agg(k ORDER BY k) FROM json_object_keys(items->0) AS k)
  ) THEN
    RAISE EXCEPTION 'chronos_create_alarm_rows: every item must have the same members' USING ERRCODE = 'invalid_parameter_value';
  END IF;

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
        SELECT a.id INTO found_id FROM alarms a WHERE a.owner = it.owner AND a.idempotency_key = it.idempotency_key FOR KEY SHARE;
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

  -- The columns are the first item's keys, quoted: names only, every value stays a bound parameter. A json
  -- column (the payload) comes as a string holding its JSON text, cast, so the text is kept as it came (a
  -- lone surrogate escape included, which json operators would refuse to read); every other column comes
  -- through json_populate_record, which types it as the table does.
  SELECT string_agg(quote_ident(k), ', '),
         string_agg(CASE WHEN a.atttypid = 'json'::regtype THEN format('(e.value->>%L)::json', k) ELSE 'r.' || quote_ident(k) END, ', ')
  INTO columns, selected
  FROM json_object_keys(items->0) AS k
  LEFT JOIN pg_attribute a ON a.attrelid = 'alarms'::regclass AND a.attname = k AND NOT a.attisdropped
  WHERE k <> 'ord';
  EXECUTE format(
    'WITH inserted AS (
       INSERT INTO alarms (%1$s)
       SELECT %2$s FROM json_array_elements($1) AS e CROSS JOIN LATERAL json_populate_record(NULL::alarms, e.value) AS r
       WHERE (e.value->>%3$L)::integer = ANY ($2)
       RETURNING next_fire_at)
     SELECT min(next_fire_at) FROM inserted WHERE next_fire_at < $3',
    columns, selected, 'ord')
  INTO earliest USING items, accepted, notify_before;

  INSERT INTO alarm_owners AS o (owner, active_bound)
  SELECT * FROM unnest(bound_owners, bounds)
  ON CONFLICT (owner) DO UPDATE SET active_bound = excluded.active_bound;

  IF earliest IS NOT NULL THEN
    PERFORM pg_notify(due_channel, floor(extract(epoch FROM earliest) * 1000)::bigint::text);
  END IF;

  -- OFFSET 0 keeps the lookup a subquery: one primary-key probe per item, never a scan of the table for a hash join.
  RETURN QUERY
  SELECT r.ord, r.outcome, r.active, a.x
  FROM unnest(ords, outcomes, actives, ids) AS r(ord, outcome, active, alarm_id)
  LEFT JOIN LATERAL (SELECT x FROM alarms x WHERE x.id = r.alarm_id OFFSET 0) AS a ON true;
END
$$;
