-- Chronos schema v11: alarms an agent controls (SPEC 9.2). A `paused` status; the fire-now occurrence
-- of an alarm kept as a hidden once alarm of its own (`manual_of` names the alarm it was fired for),
-- so it is claimed, retried and settled as any alarm is; `manual` in the fire ledger.
-- Applied once under an advisory lock; never edit after release, add 012_... instead.
--
-- During a rolling upgrade a replica on older code may claim a fire-now occurrence: it delivers it
-- under the hidden alarm's own id and without `manual`, and records its attempts under that id.

ALTER TABLE alarms DROP CONSTRAINT alarms_status_check;
ALTER TABLE alarms ADD CONSTRAINT alarms_status_check
  CHECK (status IN ('scheduled', 'firing', 'paused', 'completed', 'failed', 'cancelled'));

-- A paused alarm has no next_fire_at (nothing claims it) and is not finished: finished_at now follows
-- the final states, not the missing next_fire_at. Migration 005's CHECK still ties next_fire_at to
-- scheduled and firing, and occurrence_at keeps the occurrence that was pending when it was paused.
ALTER TABLE alarms DROP CONSTRAINT alarms_finished_only_when_final;
ALTER TABLE alarms ADD CONSTRAINT alarms_finished_only_when_final
  CHECK ((finished_at IS NOT NULL) = (status IN ('completed', 'failed', 'cancelled')));
DROP TRIGGER alarms_date_finished ON alarms;
CREATE TRIGGER alarms_date_finished BEFORE UPDATE OF next_fire_at ON alarms
  FOR EACH ROW WHEN (NEW.next_fire_at IS NULL AND NEW.finished_at IS NULL AND NEW.status IN ('completed', 'failed', 'cancelled'))
  EXECUTE FUNCTION chronos_date_finished_alarm();

-- The alarm a fire-now occurrence belongs to: its wakes carry that alarm's id, its attempts are that
-- alarm's history, and lists and lookups never show it. Cancelling the alarm cancels it too.
ALTER TABLE alarms ADD COLUMN manual_of text;
CREATE INDEX alarms_manual_of ON alarms (manual_of) WHERE manual_of IS NOT NULL;

-- A constant default: added without rewriting the table.
ALTER TABLE fires ADD COLUMN manual boolean NOT NULL DEFAULT false;
