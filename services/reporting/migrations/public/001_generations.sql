-- Shared by every generation of the projection: which generation is current, the
-- switch lock, and the outbox of kpi.updated messages (it outlives a rebuild).
CREATE TABLE projection_generation (
    id          int PRIMARY KEY CHECK (id = 1),
    generation  int  NOT NULL CHECK (generation >= 1),
    schema_name text NOT NULL,
    switched_at timestamptz NOT NULL DEFAULT now()
);

-- Enter the current generation in this transaction: takes the switch lock (shared to
-- write, exclusive to switch, none to read) and points search_path at the generation.
CREATE FUNCTION reporting_enter(mode text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    current_schema_name text;
BEGIN
    IF mode = 'write' THEN
        PERFORM pg_advisory_xact_lock_shared(hashtextextended('kerjasama.reporting.switch', 0));
    ELSIF mode = 'switch' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('kerjasama.reporting.switch', 0));
    ELSIF mode <> 'read' THEN
        RAISE EXCEPTION 'reporting_enter: unknown mode %', mode;
    END IF;
    SELECT schema_name INTO current_schema_name FROM projection_generation WHERE id = 1;
    IF current_schema_name IS NULL THEN
        RAISE EXCEPTION 'reporting_enter: no generation of the projection yet';
    END IF;
    PERFORM set_config('search_path', quote_ident(current_schema_name) || ', public', true);
    RETURN current_schema_name;
END;
$$;

CREATE TABLE kpi_outbox (
    id          bigserial PRIMARY KEY,
    message_id  uuid  NOT NULL,
    routing_key text  NOT NULL,
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION kpi_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('reporting_kpi_outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER kpi_outbox_notify AFTER INSERT ON kpi_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION kpi_outbox_notify();
