-- The portal's database: the public view of every agreement (only the signed ones are
-- shown), and the figures as reporting published them.

-- One row per agreement: its public view as JSON, and the columns the register searches
-- and filters on. public: signed at some point (proposals, rejected and withdrawn ones
-- are never shown).
CREATE TABLE agreements (
    id              uuid PRIMARY KEY,
    public          boolean NOT NULL,
    view            json NOT NULL,
    search          text NOT NULL,
    kind            text NOT NULL,
    category        text NOT NULL,
    lead_opd        text NOT NULL,
    opds            text[] NOT NULL,
    stage           text NOT NULL,
    signed_on       date,
    effective_from  date,
    effective_until date,
    terminated_on   date,
    recorded_at     timestamptz,
    version         int NOT NULL
);
CREATE INDEX agreements_public ON agreements (signed_on DESC, id) WHERE public;
CREATE INDEX agreements_opds ON agreements USING gin (opds);

-- The figures of kpi.updated (and of GET /kpis on first start): a stale revision is
-- dropped.
CREATE TABLE figures (
    indicator  text NOT NULL,
    year       int  NOT NULL,
    scope      text NOT NULL,
    revision   int  NOT NULL,
    item       json NOT NULL,
    PRIMARY KEY (indicator, year, scope)
);
