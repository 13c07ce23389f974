-- The history of the record (DESIGN §9): every agreement's facts after each of its events
-- and every work program adopted, by feed position, so that the figures as of a point,
-- their history and their evidence are computed from the facts as they stood there,
-- without replaying the feed.
CREATE TABLE record_history (
    position     bigint PRIMARY KEY,
    event_id     uuid NOT NULL,
    time         timestamptz NOT NULL,
    agreement_id uuid,
    facts        json,  -- as written: read back whole, never queried inside
    year         int,
    targets      double precision[],
    CHECK ((agreement_id IS NULL) = (facts IS NULL)),
    CHECK ((year IS NULL) = (targets IS NULL) AND (year IS NULL) <> (agreement_id IS NULL))
);
CREATE INDEX record_history_agreement ON record_history (agreement_id, position DESC)
    WHERE agreement_id IS NOT NULL;
CREATE INDEX record_history_time ON record_history (time, position);

-- How far the record is known to be whole: every feed event up to `covered` is applied
-- (checked against the feed, or set by the rebuild that replayed it). `history_after`:
-- the history starts after this position (a generation that existed before the history
-- was kept has none of its earlier events; a rebuild makes it whole).
CREATE TABLE record_coverage (
    id            int PRIMARY KEY CHECK (id = 1),
    covered       bigint NOT NULL,
    history_after bigint NOT NULL
);
INSERT INTO record_coverage (id, covered, history_after)
SELECT 1, 0, coalesce((SELECT max(position) FROM inbox_events), 0);

-- Every revision of every figure as published (kpi.updated): what was reported when.
CREATE TABLE figure_revisions (
    indicator      text NOT NULL,
    year           int  NOT NULL,
    scope          text NOT NULL,
    revision       int  NOT NULL,
    numerator      double precision NOT NULL,
    denominator    int,
    target         double precision,
    complete       boolean NOT NULL,
    as_of_position bigint NOT NULL,
    recorded_at    timestamptz NOT NULL,
    restated       boolean NOT NULL,
    previous_value double precision,
    PRIMARY KEY (indicator, year, scope, revision)
);

-- The events behind an agreement's facts (its signing, its activities, the event that set
-- its stage): what the evidence of a figure names.
ALTER TABLE agreements ADD COLUMN refs jsonb;
