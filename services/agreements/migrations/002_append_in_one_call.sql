-- Append a command's events, their outbox rows, the command record and the read model
-- in one call (one round trip). Must run as the first write of its transaction.

CREATE FUNCTION append_events(
    p_stream_id text, p_expected_version integer, p_event_ids uuid[], p_types text[],
    p_data jsonb[], p_metadata jsonb[], p_occurred_at timestamptz, p_prev_hash text,
    p_hashes text[]
) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    positions bigint[];
BEGIN
    SELECT array_agg(p ORDER BY p) INTO positions
      FROM reserve_positions(cardinality(p_event_ids)) AS p;
    INSERT INTO events (position, event_id, stream_id, version, type, data, metadata,
                        occurred_at, prev_hash, hash)
    SELECT positions[i], p_event_ids[i], p_stream_id, p_expected_version + i, p_types[i],
           p_data[i], p_metadata[i], p_occurred_at,
           CASE WHEN i = 1 THEN p_prev_hash ELSE p_hashes[i - 1] END, p_hashes[i]
      FROM generate_subscripts(p_event_ids, 1) AS i;
    INSERT INTO outbox (position) SELECT unnest(positions);
    RETURN positions;
END $$;

CREATE FUNCTION append_command(
    p_stream_id text, p_expected_version integer, p_event_ids uuid[], p_types text[],
    p_data jsonb[], p_metadata jsonb[], p_occurred_at timestamptz, p_prev_hash text,
    p_hashes text[], p_command_id text, p_request_hash text, p_stage text,
    p_agreement jsonb, p_child_of uuid, p_child_signed_on date
) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    positions bigint[];
    last_version integer := p_expected_version + cardinality(p_event_ids);
BEGIN
    positions := append_events(p_stream_id, p_expected_version, p_event_ids, p_types,
                               p_data, p_metadata, p_occurred_at, p_prev_hash, p_hashes);
    INSERT INTO commands (command_id, request_hash, stream_id, version, stage, created)
    VALUES (p_command_id, p_request_hash, p_stream_id, last_version, p_stage,
            p_expected_version = 0);
    IF p_agreement IS NOT NULL THEN
        INSERT INTO agreements (id, version, stage, kind, document_type, lead_opd, plan_year,
                                parent_id, state, updated_position)
        VALUES ((p_agreement->>'id')::uuid, last_version, p_stage, p_agreement->>'kind',
                p_agreement->>'document_type', p_agreement->>'lead_opd',
                (p_agreement->>'plan_year')::integer, (p_agreement->>'parent_id')::uuid,
                p_agreement, positions[cardinality(positions)])
        ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, stage = EXCLUDED.stage,
            state = EXCLUDED.state, updated_position = EXCLUDED.updated_position;
    END IF;
    IF p_child_of IS NOT NULL THEN
        UPDATE agreements
           SET last_child_signed_on = GREATEST(last_child_signed_on, p_child_signed_on)
         WHERE id = p_child_of;
    END IF;
    RETURN positions;
END $$;
