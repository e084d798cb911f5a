-- Chronos schema v7: a one-off alarm set by local wall time (SPEC 4.3 `at_local`) keeps that time as
-- given, beside the instant `at` it was resolved to in `tz`, so the view shows both.
-- Applied once under an advisory lock; never edit after release, add 008_... instead.
--
-- A new nullable column: replicas on older code write and read alarms as before.
ALTER TABLE alarms ADD COLUMN at_local text CHECK (at_local IS NULL OR kind = 'once');
