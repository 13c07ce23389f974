-- Wake the outbox relay when a transaction that appended events commits
-- (NOTIFY is delivered at commit; one per statement, identical payloads fold into one).

CREATE FUNCTION notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kerjasama_outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify
    AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
