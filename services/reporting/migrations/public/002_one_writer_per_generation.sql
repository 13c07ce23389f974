-- Writers of a generation also take its writer lock, so they run one at a time: nearly
-- every event changes the province's figures, so they would queue on those rows anyway,
-- and one lock taken first is free of deadlocks and saves the row locks' round trips.
CREATE OR REPLACE FUNCTION reporting_enter(mode text) RETURNS text
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
    IF mode = 'write' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(current_schema_name || ':writer', 0));
    END IF;
    PERFORM set_config('search_path', quote_ident(current_schema_name) || ', public', true);
    RETURN current_schema_name;
END;
$$;
