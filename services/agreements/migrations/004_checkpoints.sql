-- Signed checkpoints of the running hash over the feed (DESIGN §3a). The signature is
-- made by the service with a key the database never holds; rows are never changed.

CREATE TABLE checkpoints (
    position  bigint PRIMARY KEY,
    events    bigint NOT NULL,
    hash      text NOT NULL,
    signed_at text NOT NULL,
    key_id    text NOT NULL,
    signature text NOT NULL
);

CREATE TRIGGER checkpoints_append_only
    BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
