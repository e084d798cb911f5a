-- Chronos schema v14: the due index groups the alarms due at one instant by owner, so a claim is fair
-- between owners (SPEC 10.5).
-- Applied once under an advisory lock; never edit after release, add 015_... instead.

-- The claim (store/claims.ts claimDue) walks the due (next_fire_at, owner) groups with a skip scan: one
-- index descent per group, then at most the owner's room from each. One owner's 50,000 alarms due at
-- one instant are one group, passed over in one descent, so another owner's alarm due at that instant
-- is claimed in the next claim instead of after the whole flood.
--
-- It replaces alarms_due rather than adding an index beside it: each create and settle writes one
-- entry, as before. No column a claim writes is covered (owner never changes), so a claim stays a
-- heap-only update (migration 005). The lease reaper and the next due time read it as they read the
-- old one: by next_fire_at.
DROP INDEX alarms_due;
CREATE INDEX alarms_due ON alarms (next_fire_at, owner, id) WHERE next_fire_at IS NOT NULL;
