-- The yearly cooperation mapping (DESIGN §12): one stream per item
-- (mapping-item-<uuid>), and its read model, kept current in the command's transaction
-- as the agreements' is.

CREATE TABLE mapping_items (
    id               uuid PRIMARY KEY,
    year             integer NOT NULL,
    opd              text NOT NULL,
    stage            text NOT NULL,
    version          integer NOT NULL,
    state            jsonb NOT NULL,
    added_position   bigint NOT NULL,
    updated_position bigint NOT NULL
);

CREATE INDEX mapping_items_year_opd ON mapping_items (year, opd);

-- Whether a signed agreement realised an item (an item realised is not withdrawn).
CREATE INDEX agreements_mapping_item ON agreements ((state ->> 'mapping_item_id'))
    WHERE state ->> 'mapping_item_id' IS NOT NULL;

CREATE FUNCTION append_mapping_command(
    p_stream_id text, p_expected_version integer, p_event_ids uuid[], p_types text[],
    p_data jsonb[], p_metadata jsonb[], p_occurred_at timestamptz, p_prev_hash text,
    p_hashes text[], p_command_id text, p_request_hash text, p_stage text, p_item jsonb
) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    positions bigint[];
BEGIN
    positions := append_command(p_stream_id, p_expected_version, p_event_ids, p_types,
                                p_data, p_metadata, p_occurred_at, p_prev_hash, p_hashes,
                                p_command_id, p_request_hash, p_stage, NULL, NULL, NULL);
    INSERT INTO mapping_items (id, year, opd, stage, version, state, added_position,
                               updated_position)
    VALUES ((p_item->>'id')::uuid, (p_item->>'year')::integer, p_item->>'opd', p_stage,
            p_expected_version + cardinality(p_event_ids), p_item,
            positions[1], positions[cardinality(positions)])
    ON CONFLICT (id) DO UPDATE SET stage = EXCLUDED.stage, version = EXCLUDED.version,
        state = EXCLUDED.state, updated_position = EXCLUDED.updated_position;
    RETURN positions;
END $$;
