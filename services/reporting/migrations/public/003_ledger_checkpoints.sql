-- The agreements ledger's signed checkpoints as reporting learnt them (GET /checkpoints):
-- each kpi.updated names the last one at or below the position it was computed from.
CREATE TABLE ledger_checkpoints (
    position  bigint PRIMARY KEY,
    hash      text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    events    bigint NOT NULL,
    signed_at text NOT NULL
);
