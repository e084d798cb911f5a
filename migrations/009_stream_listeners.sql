-- Chronos schema v9: who listens on GET /v1/stream (SPEC 8.3), so that every replica knows, through the
-- database and not its own memory, where a stream alarm's owner is connected. Applied once under an
-- advisory lock; never edit after release, add 010_... instead.
--
-- One row per open WebSocket, written by the replica that holds it: inserted when the connection is
-- admitted (the per-owner cap counted under an advisory lock on the owner), connected_at set once its
-- handshake is done, seen_at refreshed every few seconds, deleted when it closes. A row whose seen_at is
-- older than the presence window (src/store/stream.ts) belongs to a replica that died: every reader
-- ignores it, and any replica sweeps it.
--
-- A new table only: replicas on older code never read it (they claim no stream alarm).
CREATE TABLE stream_listeners (
  id text PRIMARY KEY,
  replica text NOT NULL,
  owner text NOT NULL,
  -- Only wakes of alarms carrying one of these tags; NULL: every wake of the owner.
  tags text[] CHECK (tags IS NULL OR cardinality(tags) > 0),
  -- NULL while the WebSocket handshake is under way: admitted (counted against the cap), not yet a listener.
  connected_at timestamptz,
  seen_at timestamptz NOT NULL DEFAULT now()
);

-- The claim looks up an alarm owner's listeners; the cap counts them. No index covers seen_at, so a
-- heartbeat is a heap-only update.
CREATE INDEX stream_listeners_owner ON stream_listeners (owner);
