-- The yearly cooperation mapping (DESIGN §12), as the mapping reminder needs it.

-- One row per year whose work program was adopted: the mapping due date it sets (NULL:
-- none), known_on the business date that due date was recorded (an adoption that keeps
-- the date keeps it), evaluated_on the scheduler's last look (NULL after an adoption).
CREATE TABLE mapping_due_dates (
    year         int PRIMARY KEY,
    due_on       date,
    known_on     date,
    evaluated_on date,
    CHECK ((due_on IS NULL) = (known_on IS NULL))
);

-- One row per mapping item: its year and agency, and whether it is ACTIVE now. An agency
-- has mapped a year when one of its items of that year is active.
CREATE TABLE mapping_items (
    item_id uuid PRIMARY KEY,
    year    int NOT NULL,
    opd     text NOT NULL,
    active  boolean NOT NULL
);
CREATE INDEX mapping_items_year ON mapping_items (year, opd);
