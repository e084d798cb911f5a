-- Chronos schema v13: limits.rate held by the whole deployment (SPEC 3.2), not by each replica: the
-- rate-limit state of every key lives here, shared by every replica on the database, so N replicas
-- allow the rate once, not N times. Applied once under an advisory lock; never edit after release,
-- add 014_... instead.
--
-- One row per key (`did:<did>` on alarm routes, `addr:<client address>` on auth routes) holding the
-- GCRA theoretical arrival time `tat`: with T = 1/rate, a request is admitted while
-- tat - now() <= (burst - 1) * T, and each admission moves tat to greatest(tat, now()) + T. now() is
-- the database clock, so replicas never argue about time. A row whose tat is past says what no row
-- says (a full bucket): the maintenance job deletes such rows in small batches.
--
-- UNLOGGED: no WAL for a row written on nearly every request. A crash of the server empties the
-- table, and so does a failover (a standby has no copy of it): every bucket comes back full, which
-- lets at most one burst per key through early. Acceptable for a rate limit; never for alarms.
CREATE UNLOGGED TABLE rate_limits (
  key text PRIMARY KEY,
  tat timestamptz NOT NULL
  -- Every admission updates its row: room on the page keeps the new version there (a HOT update).
) WITH (fillfactor = 70);

-- Decides a batch of requests, one per element of `keys` (a key may repeat), in the order given:
-- for each key, as many of its requests as fit are admitted, the first ones. Returns one row per
-- request, `item` its 1-based position in `keys`, `retry_after_ms` NULL when admitted, else the
-- milliseconds until a request of that key would be (the same for each refused request of a key).
--
-- The first statement gives every key a row and locks it, in key order (no deadlock between two
-- batches): a new key gets tat -infinity (a full bucket); an existing row is locked, not written
-- (ON CONFLICT DO UPDATE locks the rows its WHERE refuses). Two replicas deciding the same key at
-- once so take turns, and neither counts from a stale tat; the pruner skips locked rows.
CREATE FUNCTION chronos_take_rate(keys text[], emission_ms double precision, burst integer)
RETURNS TABLE (item integer, retry_after_ms double precision)
LANGUAGE plpgsql AS $$
DECLARE
  -- T, rounded once to the microsecond: every tat moves by exact multiples of it.
  emission interval := make_interval(secs => emission_ms / 1000);
  tolerance interval := make_interval(secs => emission_ms / 1000) * (burst - 1);
BEGIN
  INSERT INTO rate_limits AS l (key, tat)
  SELECT DISTINCT k, '-infinity'::timestamptz FROM unnest(keys) AS k ORDER BY 1
  ON CONFLICT (key) DO UPDATE SET tat = l.tat WHERE false;
  -- A statement of its own: its snapshot sees the latest tat of every row this call now holds.
  RETURN QUERY
  WITH req AS (
    SELECT r.k, r.i::integer AS i, (row_number() OVER (PARTITION BY r.k ORDER BY r.i) - 1)::integer AS ahead
    FROM unnest(keys) WITH ORDINALITY AS r(k, i)
  ), decided AS (
    -- Admitted while the tat it would start from is within the tolerance; monotone in `ahead`, so the first ones.
    SELECT req.i, req.k, greatest(l.tat, now()) AS base, greatest(l.tat, now()) + req.ahead * emission - now() <= tolerance AS admitted
    FROM req JOIN rate_limits l ON l.key = req.k
  ), moved AS (
    SELECT d.k, min(d.base) AS base, count(*) FILTER (WHERE d.admitted)::integer AS admitted FROM decided d GROUP BY d.k
  ), written AS (
    UPDATE rate_limits l SET tat = m.base + m.admitted * emission FROM moved m WHERE l.key = m.k AND m.admitted > 0
  )
  SELECT d.i, CASE WHEN d.admitted THEN NULL ELSE extract(epoch FROM m.base + m.admitted * emission - tolerance - now())::double precision * 1000 END
  FROM decided d JOIN moved m ON m.k = d.k
  ORDER BY d.i;
END
$$;
