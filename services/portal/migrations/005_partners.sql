-- The partner registry (DESIGN §12): one row per partner stream (partner-<id>), only what
-- is public (name, category, country, registration codes; never the contact), its stage
-- and the partner it was merged into; and the partner each agreement names (its
-- partner_id, as proposed), which the partner pages list agreements by. Agreements stored
-- before this migration get theirs when the portal starts (derived from the snapshot, as
-- every proposal's was then).
CREATE TABLE partners (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    category     text NOT NULL,
    country      text NOT NULL,
    codes        json NOT NULL,
    stage        text NOT NULL,
    merged_into  uuid,
    version      int  NOT NULL
);
CREATE INDEX partners_merged_into ON partners (merged_into) WHERE merged_into IS NOT NULL;
ALTER TABLE agreements ADD COLUMN partner_id uuid;
CREATE INDEX agreements_partner ON agreements (partner_id) WHERE public;
