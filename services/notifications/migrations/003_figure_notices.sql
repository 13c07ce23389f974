-- A notice about a figure (a restated headline figure, DESIGN §9) belongs to no
-- agreement: agreement_id is NULL, and a notice still fires once per (agreement, rule,
-- occasion), NULL included.
ALTER TABLE notices ALTER COLUMN agreement_id DROP NOT NULL;
ALTER TABLE deliveries ALTER COLUMN agreement_id DROP NOT NULL;
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT conname FROM pg_constraint
                 WHERE conrelid IN ('notices'::regclass, 'deliveries'::regclass)
                   AND contype = 'u' LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I',
                       CASE WHEN name LIKE 'notices%' THEN 'notices' ELSE 'deliveries' END,
                       name);
    END LOOP;
END $$;
ALTER TABLE notices ADD CONSTRAINT notices_once
    UNIQUE NULLS NOT DISTINCT (agreement_id, rule, occasion);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_once
    UNIQUE NULLS NOT DISTINCT (agreement_id, rule, occasion, recipient, channel, address);
