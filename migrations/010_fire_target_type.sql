-- Chronos schema v10: each delivery attempt in the fire ledger records the target type it went to
-- (FireView.target_type, SPEC 4.4 and 8). Applied once under an advisory lock; never edit after
-- release, add 011_... instead.
--
-- A constant default: added without rewriting the table, and replicas on older code, which
-- deliver only router wakes, keep writing the ledger as before.
ALTER TABLE fires ADD COLUMN target_type text NOT NULL DEFAULT 'router' CHECK (target_type IN ('router', 'webhook', 'stream'));
