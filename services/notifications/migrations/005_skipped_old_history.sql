-- Notices of old history (docs/notifications.md#old-history): an event-driven notice about
-- something that happened more than KERJASAMA_NOTICE_LATE_DAYS before its event was
-- recorded is kept in the delivery log as 'skipped', its reason in last_error, and is
-- never sent (the dispatcher claims pending and sending rows only).
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'no_contact', 'skipped'));
