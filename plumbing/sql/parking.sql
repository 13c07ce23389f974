-- Parked streams (plumbing.parking): a stream whose event could not be applied waits here,
-- with the reason, and so do its later events, until an operator retries it.
CREATE TABLE IF NOT EXISTS parked_streams (
    stream_id  text PRIMARY KEY,
    reason     text NOT NULL,
    event_id   uuid,
    version    int,
    position   bigint,
    type       text,
    parked_at  timestamptz NOT NULL DEFAULT now(),
    retried_at timestamptz
);

CREATE TABLE IF NOT EXISTS parked_events (
    id          bigserial PRIMARY KEY,
    event_id    uuid UNIQUE,
    stream_id   text NOT NULL,
    version     int,
    position    bigint,
    body        bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS parked_events_stream ON parked_events (stream_id, version, id);
