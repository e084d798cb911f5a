-- 015: the lateness of the wakes over time, for the dashboard's plot (SPEC 11).
-- Applied once under an advisory lock; never edit after release, add 016_... instead.

-- Every heartbeat, each replica writes what its lateness histogram of first attempts counted since its
-- last beat: the same observations, in the same buckets, as chronos_wake_lateness_seconds{attempt="first"}
-- on its /metrics (counts per bucket, not cumulative; the last one is +Inf), and the due backlog of its
-- last queue count. Kept a day; the heartbeat deletes older rows.
CREATE TABLE lateness_samples (
  replica_id text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  buckets    bigint[] NOT NULL,
  backlog    integer,
  PRIMARY KEY (at, replica_id)
);
