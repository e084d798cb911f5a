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
  tat timestamptz NOT NULL,
  -- How many requests the last decision of this key admitted: the statement that decides a batch
  -- (src/store/rate-limits.ts) upserts each key once and reads its answers back from the new row,
  -- as RETURNING shows no old values before PostgreSQL 18.
  admitted integer NOT NULL
  -- Every admission updates its row: room on the page keeps the new version there (a HOT update).
) WITH (fillfactor = 70);
