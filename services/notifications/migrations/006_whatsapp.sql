-- WhatsApp (docs/notifications.md#whatsapp): a contact's numbers (E.164, checked by the
-- service), a delivery channel of its own, and the id the provider gave a sent message
-- (the Cloud API's wamid, a gateway's id), shown in the delivery log.
ALTER TABLE contacts ADD COLUMN whatsapp text[] NOT NULL DEFAULT '{}';
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check
    CHECK (channel IN ('email', 'webhook', 'whatsapp', 'none'));
ALTER TABLE deliveries ADD COLUMN provider_message_id text;
