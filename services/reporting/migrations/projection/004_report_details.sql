-- What the yearly report names besides the facts (DESIGN §11): each agreement's partners
-- as proposed and every evaluation, with the feed position of the event that recorded
-- them, so that a report computed at a position reads them as they stood there.
CREATE TABLE agreement_partners (
    agreement_id uuid PRIMARY KEY,
    position     bigint,
    partners     text[] NOT NULL  -- the partner first, then the co-partners
);

CREATE TABLE evaluations (
    event_id       uuid PRIMARY KEY,
    position       bigint,
    agreement_id   uuid NOT NULL,
    evaluated_on   date NOT NULL,
    score          int  NOT NULL,
    recommendation text NOT NULL,
    note           text
);
CREATE INDEX evaluations_year ON evaluations (evaluated_on);

-- The details start after this position: a generation that existed before they were kept
-- has none of its earlier events (a rebuild makes it whole).
CREATE TABLE report_details_coverage (
    id    int PRIMARY KEY CHECK (id = 1),
    after bigint NOT NULL
);
INSERT INTO report_details_coverage (id, after)
SELECT 1, coalesce((SELECT max(position) FROM inbox_events), 0);
