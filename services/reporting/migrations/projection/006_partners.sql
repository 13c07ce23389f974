-- Partners (docs/domain.md#partners): the partner each proposal names (its registry id and
-- the snapshot as proposed: name, category, country), the registry's partners with the
-- partner each was merged into, and the partners' events in the history of the record.
ALTER TABLE agreements
    ADD COLUMN partner_id       uuid,
    ADD COLUMN partner_name     text,
    ADD COLUMN partner_category text,
    ADD COLUMN partner_country  text;
CREATE INDEX agreements_partner ON agreements (partner_id) WHERE partner_id IS NOT NULL;

CREATE TABLE partners (
    partner_id  uuid PRIMARY KEY,
    stage       text NOT NULL,
    version     int  NOT NULL,
    name        text NOT NULL,
    category    text NOT NULL,
    country     text NOT NULL,
    merged_into uuid,
    last_event  jsonb
);
CREATE INDEX partners_merged_into ON partners (merged_into) WHERE merged_into IS NOT NULL;

ALTER TABLE record_history
    ADD COLUMN partner_id uuid,
    ADD COLUMN partner    json,
    DROP CONSTRAINT record_history_one,
    ADD CONSTRAINT record_history_partner CHECK ((partner_id IS NULL) = (partner IS NULL)),
    ADD CONSTRAINT record_history_one CHECK (
        (agreement_id IS NOT NULL)::int + (year IS NOT NULL)::int
        + (item_id IS NOT NULL)::int + (partner_id IS NOT NULL)::int = 1);
CREATE INDEX record_history_partner ON record_history (partner_id, position DESC)
    WHERE partner_id IS NOT NULL;
