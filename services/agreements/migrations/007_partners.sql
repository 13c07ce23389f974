-- The partner registry (DESIGN §12): one stream per partner (partner-<uuid>), and its
-- read model, kept current in the command's transaction as the agreements' is.

CREATE TABLE partners (
    id                  uuid PRIMARY KEY,
    key                 text NOT NULL,   -- normalised name and country
    stage               text NOT NULL,
    survivor            uuid,            -- a merged partner: the active one it stands for
    version             integer NOT NULL,
    state               jsonb NOT NULL,
    registered_position bigint NOT NULL,
    updated_position    bigint NOT NULL
);

-- Two active partners never share a normalised name and country.
CREATE UNIQUE INDEX partners_active_key ON partners (key) WHERE stage = 'ACTIVE';
CREATE INDEX partners_survivor ON partners (survivor) WHERE survivor IS NOT NULL;
CREATE INDEX partners_name ON partners (lower(state ->> 'name'));

-- A partner's agreements.
CREATE INDEX agreements_partner ON agreements ((state ->> 'partner_id'));

-- How far the adoption job has read the feed for proposals whose partner is unregistered.
CREATE TABLE partner_adoption (
    one      boolean PRIMARY KEY DEFAULT true CHECK (one),
    position bigint NOT NULL
);
INSERT INTO partner_adoption (position) VALUES (0);

-- A partner's row after a command: its stage and state; when it was merged, it and every
-- partner merged into it before stand for the partner it was merged into.
CREATE FUNCTION upsert_partner(p_partner jsonb, p_stage text, p_version integer,
                               p_first bigint, p_last bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    partner_id uuid := (p_partner ->> 'id')::uuid;
    survivor_id uuid := (p_partner ->> 'merged_into')::uuid;
BEGIN
    INSERT INTO partners (id, key, stage, survivor, version, state, registered_position,
                          updated_position)
    VALUES (partner_id, p_partner ->> 'key', p_stage, survivor_id, p_version, p_partner,
            p_first, p_last)
    ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, stage = EXCLUDED.stage,
        survivor = EXCLUDED.survivor, version = EXCLUDED.version, state = EXCLUDED.state,
        updated_position = EXCLUDED.updated_position;
    IF survivor_id IS NOT NULL THEN
        UPDATE partners SET survivor = survivor_id WHERE survivor = partner_id;
    END IF;
END $$;

CREATE FUNCTION append_partner_command(
    p_stream_id text, p_expected_version integer, p_event_ids uuid[], p_types text[],
    p_data jsonb[], p_metadata jsonb[], p_occurred_at timestamptz, p_prev_hash text,
    p_hashes text[], p_command_id text, p_request_hash text, p_stage text, p_partner jsonb
) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    positions bigint[];
BEGIN
    positions := append_command(p_stream_id, p_expected_version, p_event_ids, p_types,
                                p_data, p_metadata, p_occurred_at, p_prev_hash, p_hashes,
                                p_command_id, p_request_hash, p_stage, NULL, NULL, NULL);
    PERFORM upsert_partner(p_partner, p_stage, p_expected_version + cardinality(p_event_ids),
                           positions[1], positions[cardinality(positions)]);
    RETURN positions;
END $$;

-- A proposal that names a partner new to the registry: the partner's registration (a new
-- stream) and the proposal (a new stream), with the command record and both read models,
-- in one transaction; the positions are reserved once, the partner's first.
CREATE FUNCTION append_proposal_registering(
    p_stream_id text, p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[],
    p_occurred_at timestamptz, p_hashes text[], p_command_id text, p_request_hash text,
    p_stage text, p_agreement jsonb,
    p_partner_stream_id text, p_partner_event_ids uuid[], p_partner_types text[],
    p_partner_data jsonb[], p_partner_metadata jsonb[], p_partner_hashes text[],
    p_partner jsonb
) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    n integer := cardinality(p_partner_event_ids);
    m integer := cardinality(p_event_ids);
    positions bigint[];
BEGIN
    SELECT array_agg(p ORDER BY p) INTO positions FROM reserve_positions(n + m) AS p;
    INSERT INTO events (position, event_id, stream_id, version, type, data, metadata,
                        occurred_at, prev_hash, hash)
    SELECT positions[i], p_partner_event_ids[i], p_partner_stream_id, i, p_partner_types[i],
           p_partner_data[i], p_partner_metadata[i], p_occurred_at,
           CASE WHEN i = 1 THEN NULL ELSE p_partner_hashes[i - 1] END, p_partner_hashes[i]
      FROM generate_subscripts(p_partner_event_ids, 1) AS i;
    INSERT INTO events (position, event_id, stream_id, version, type, data, metadata,
                        occurred_at, prev_hash, hash)
    SELECT positions[n + i], p_event_ids[i], p_stream_id, i, p_types[i], p_data[i],
           p_metadata[i], p_occurred_at,
           CASE WHEN i = 1 THEN NULL ELSE p_hashes[i - 1] END, p_hashes[i]
      FROM generate_subscripts(p_event_ids, 1) AS i;
    INSERT INTO outbox (position) SELECT unnest(positions);
    INSERT INTO commands (command_id, request_hash, stream_id, version, stage, created)
    VALUES (p_command_id, p_request_hash, p_stream_id, m, p_stage, true);
    INSERT INTO agreements (id, version, stage, kind, document_type, lead_opd, plan_year,
                            parent_id, state, updated_position)
    VALUES ((p_agreement->>'id')::uuid, m, p_stage, p_agreement->>'kind',
            p_agreement->>'document_type', p_agreement->>'lead_opd',
            (p_agreement->>'plan_year')::integer, (p_agreement->>'parent_id')::uuid,
            p_agreement, positions[n + m]);
    PERFORM upsert_partner(p_partner, p_partner ->> 'stage', n, positions[1], positions[n]);
    RETURN positions[n + 1:n + m];
END $$;
