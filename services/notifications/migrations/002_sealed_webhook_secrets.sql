-- Webhook secrets are stored encrypted (services/notifications/adapters/secret_box.py):
-- contacts.webhooks holds [{"url", "sealed_secret"}]. Rows of [{"url", "secret"}] from
-- before are encrypted when the service starts, with the first configured key, in one
-- transaction (adapters/contacts.py seal_stored_secrets): SQL cannot do it, since the
-- database never sees the keys.
COMMENT ON COLUMN contacts.webhooks IS
    'Webhooks [{"url", "sealed_secret"}]: secrets AES-GCM encrypted by the service '
    '(v1.<key id>.<nonce and ciphertext>); the keys are not in the database';
