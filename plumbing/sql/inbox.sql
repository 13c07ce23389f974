-- The inbox of an idempotent consumer (plumbing.inbox): events already handled, and
-- the last version applied per stream, written in the same transaction as the
-- consumer's own state.
CREATE TABLE IF NOT EXISTS inbox_streams (
    stream_id    text PRIMARY KEY,
    last_version int  NOT NULL
);

CREATE TABLE IF NOT EXISTS inbox_events (
    event_id   uuid PRIMARY KEY,
    stream_id  text NOT NULL,
    version    int  NOT NULL,
    position   bigint,
    handled_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS inbox_events_position ON inbox_events (position);
