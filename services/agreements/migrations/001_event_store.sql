-- The event store: the source of truth of the agreements service (DESIGN §3).

CREATE SEQUENCE events_position_seq AS bigint;

CREATE TABLE events (
    position    bigint PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    stream_id   text NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    type        text NOT NULL,
    data        jsonb NOT NULL,
    metadata    jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    tx_id       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    prev_hash   text,
    hash        text NOT NULL,
    UNIQUE (stream_id, version)
);

CREATE INDEX events_tx_position ON events (tx_id, position);

-- Positions are reserved in transaction-id order: the transaction id is assigned and the
-- positions are taken inside one short critical section. So every event of a transaction
-- that is older than the oldest running one has a lower position than any event still to
-- become visible, and a reader that hands out only events below the oldest running
-- transaction (pg_snapshot_xmin) never skips one. It must be the transaction's first write.
CREATE FUNCTION reserve_positions(n integer) RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
    reserved bigint[];
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'reserve_positions must be the first write of its transaction';
    END IF;
    PERFORM pg_advisory_lock(7401200001);
    BEGIN
        PERFORM pg_current_xact_id();
        SELECT array_agg(nextval('events_position_seq')) INTO reserved
          FROM generate_series(1, n);
    EXCEPTION WHEN OTHERS THEN
        PERFORM pg_advisory_unlock(7401200001);
        RAISE;
    END;
    PERFORM pg_advisory_unlock(7401200001);
    RETURN QUERY SELECT unnest(reserved);
END $$;

CREATE FUNCTION refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

-- Every accepted command id, with what it answered (idempotency).
CREATE TABLE commands (
    command_id   text PRIMARY KEY,
    request_hash text NOT NULL,
    stream_id    text NOT NULL,
    version      integer NOT NULL,
    stage        text NOT NULL,
    created      boolean NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Events still to be published by the relay; written in the same transaction.
CREATE TABLE outbox (
    position bigint PRIMARY KEY REFERENCES events (position)
);

-- Current state of each agreement, for queries; written in the same transaction.
CREATE TABLE agreements (
    id                   uuid PRIMARY KEY,
    version              integer NOT NULL,
    stage                text NOT NULL,
    kind                 text NOT NULL,
    document_type        text NOT NULL,
    lead_opd             text NOT NULL,
    plan_year            integer,
    parent_id            uuid,
    state                jsonb NOT NULL,
    last_child_signed_on date,
    updated_position     bigint NOT NULL
);

CREATE INDEX agreements_stage ON agreements (stage);
CREATE INDEX agreements_lead_opd ON agreements (lead_opd);
CREATE INDEX agreements_plan_year ON agreements (plan_year);
CREATE INDEX agreements_parent ON agreements (parent_id);
