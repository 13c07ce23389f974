-- One generation of the projection (a schema of its own; a rebuild makes a new one).
CREATE TABLE agreements (
    agreement_id    uuid PRIMARY KEY,
    title           text NOT NULL,
    kind            text NOT NULL,
    document_type   text NOT NULL,
    lead_opd        text NOT NULL,
    plan_year       int,
    proposed_on     date NOT NULL,
    stage           text NOT NULL,
    version         int  NOT NULL,
    parent_id       uuid,
    number          text,
    signed_on       date,
    effective_from  date,
    effective_until date,
    terminated_on   date,
    activity_dates  date[] NOT NULL DEFAULT '{}'
);
CREATE INDEX agreements_signed_on ON agreements (signed_on) WHERE signed_on IS NOT NULL;

-- Signings of PKS and ADDENDUM documents: each follows up its parent.
CREATE TABLE child_signings (
    child_id  uuid PRIMARY KEY,
    parent_id uuid NOT NULL,
    signed_on date NOT NULL
);
CREATE INDEX child_signings_parent ON child_signings (parent_id);

CREATE TABLE work_programs (
    year                 int PRIMARY KEY,
    realization_target   double precision NOT NULL,
    effectiveness_target double precision NOT NULL
);

-- Every figure: exact numerator and denominator, the target it was published with, and
-- its revision (increasing, carried over by a rebuild).
CREATE TABLE figures (
    indicator   text NOT NULL,
    year        int  NOT NULL,
    scope       text NOT NULL,
    numerator   double precision NOT NULL,
    denominator int,
    target      double precision,
    revision    int NOT NULL CHECK (revision >= 1),
    PRIMARY KEY (indicator, year, scope)
);
