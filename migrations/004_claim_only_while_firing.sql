-- Chronos schema v4: a claim (claimed_by, claimed_at, lease_until) exists only while the alarm is firing.
-- Applied once under an advisory lock; never edit after release, add 005_... instead.

-- 001 checks one direction (firing has a claim). A settle is fenced by
-- claimed_by and claimed_at alone, without testing the status (a status
-- test let the planner join every firing alarm to the whole settle group),
-- so the other direction is now relied on: every write that ends a claim
-- clears all three.
ALTER TABLE alarms ADD CONSTRAINT alarms_claim_only_while_firing
  CHECK (status = 'firing' OR (claimed_by IS NULL AND claimed_at IS NULL AND lease_until IS NULL));
