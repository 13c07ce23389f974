-- The planning side (docs/domain.md#planning): what a proposal says of its priority, its
-- mapping item and its values, the revenue of its follow-ups; the mapping items; the
-- signings that realise them; the year's priorities; amounts kept exact.
ALTER TABLE agreements
    ADD COLUMN priority        text,
    ADD COLUMN mapping_item_id uuid,
    ADD COLUMN value_cash      bigint,
    ADD COLUMN value_in_kind   bigint,
    ADD COLUMN revenues        jsonb;  -- [[on, amount, event ref or null], ...]

CREATE TABLE mapping_items (
    item_id     uuid PRIMARY KEY,
    year        int  NOT NULL,
    opd         text NOT NULL,
    stage       text NOT NULL,
    version     int  NOT NULL,
    affair      text NOT NULL,
    description text NOT NULL,
    priority    text,
    last_event  jsonb
);

-- Signings of agreements that name a mapping item: each realises it (the item may not be
-- known yet: its stream may be delivered later).
CREATE TABLE item_realisations (
    agreement_id uuid PRIMARY KEY,
    item_id      uuid NOT NULL,
    signed_on    date NOT NULL
);
CREATE INDEX item_realisations_item ON item_realisations (item_id);

ALTER TABLE work_programs ADD COLUMN priorities jsonb NOT NULL DEFAULT '[]';

-- Sums of whole rupiah reach past 2^53: numerators are exact decimals.
ALTER TABLE figures ALTER COLUMN numerator TYPE numeric;
ALTER TABLE figure_revisions ALTER COLUMN numerator TYPE numeric;

-- The history of the record keeps mapping items and the priorities adopted too.
ALTER TABLE record_history
    ADD COLUMN item_id    uuid,
    ADD COLUMN item       json,
    ADD COLUMN priorities json,
    DROP CONSTRAINT record_history_check1,
    ADD CONSTRAINT record_history_item CHECK ((item_id IS NULL) = (item IS NULL)),
    ADD CONSTRAINT record_history_one CHECK (
        (agreement_id IS NOT NULL)::int + (year IS NOT NULL)::int
        + (item_id IS NOT NULL)::int = 1),
    ADD CONSTRAINT record_history_targets CHECK ((year IS NULL) = (targets IS NULL));
CREATE INDEX record_history_item ON record_history (item_id, position DESC)
    WHERE item_id IS NOT NULL;
