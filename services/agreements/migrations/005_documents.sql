-- The archive (DESIGN §11). A document is named by the event that attached it: this
-- index finds the agreement of a document id. The bytes live outside the database
-- (content-addressed store); every download is recorded here for audit, append-only.

CREATE INDEX events_document_id ON events ((data ->> 'document_id'))
    WHERE type = 'kerjasama.agreement.document_attached.v1';

CREATE TABLE document_downloads (
    id           bigserial PRIMARY KEY,
    document_id  uuid NOT NULL,
    agreement_id uuid NOT NULL,
    sha256       text NOT NULL,
    actor        text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('served', 'integrity-failure',
                                                  'missing')),
    at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX document_downloads_document ON document_downloads (document_id, at);

CREATE TRIGGER document_downloads_append_only
    BEFORE UPDATE OR DELETE ON document_downloads
    FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
