-- The notifications service's database: its view of the agreements, the contacts, and
-- the notices and deliveries (the delivery log).

-- One row per agreement: the view the rules need (services.notifications.domain), as
-- JSON. evaluated_on is the business date of the scheduler's last look at it; NULL
-- after an event, so the scheduler looks again.
CREATE TABLE agreements (
    id           uuid PRIMARY KEY,
    view         jsonb NOT NULL,
    stage        text NOT NULL,
    version      int NOT NULL,
    evaluated_on date,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agreements_to_evaluate ON agreements (evaluated_on) WHERE stage = 'SIGNED';

-- Signed children (PKS, ADDENDUM) follow up their parent; kept apart because the
-- parent's and the child's events are different streams.
CREATE TABLE child_signings (
    child_id  uuid PRIMARY KEY,
    parent_id uuid NOT NULL,
    signed_on date NOT NULL
);
CREATE INDEX child_signings_parent ON child_signings (parent_id);

-- Recipients: agencies by their code, and the configured contacts (TKKSD, SEKDA) when
-- set through PUT /contacts/{code}. webhooks: [{"url", "secret"}].
CREATE TABLE contacts (
    code       text PRIMARY KEY,
    name       text,
    emails     text[] NOT NULL,
    webhooks   jsonb NOT NULL,
    language   text NOT NULL CHECK (language IN ('id', 'en')),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A notice fires once per agreement, rule and occasion (event id or due date).
CREATE TABLE notices (
    id           bigserial PRIMARY KEY,
    agreement_id uuid NOT NULL,
    rule         text NOT NULL,
    occasion     text NOT NULL,
    due_on       date,
    business_on  date NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agreement_id, rule, occasion)
);

-- One row per (notice, recipient, channel, address): sent at most once successfully.
-- status: pending (next_attempt_at is when), sending (claimed until next_attempt_at),
-- sent, failed (after max attempts), no_contact (the recipient has no address).
CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    notice_id       bigint NOT NULL REFERENCES notices (id),
    agreement_id    uuid NOT NULL,
    rule            text NOT NULL,
    occasion        text NOT NULL,
    recipient       text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('email', 'webhook', 'none')),
    address         text NOT NULL,
    language        text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'no_contact')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (agreement_id, rule, occasion, recipient, channel, address)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX deliveries_agreement ON deliveries (agreement_id, id);
