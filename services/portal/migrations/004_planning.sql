-- The planning side (DESIGN §12): the policy priorities of each year's work program (a
-- later adoption replaces the year's list), so the pages show a priority by its name; and
-- the priority an agreement serves, which the register filters on.
CREATE TABLE priorities (
    year      int  NOT NULL,
    position  int  NOT NULL,
    code      text NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (year, code)
);
ALTER TABLE agreements ADD COLUMN priority text;
CREATE INDEX agreements_priority ON agreements (priority) WHERE priority IS NOT NULL;
