-- The SHA-256 of each document on an agreement's public register (the documents
-- themselves are in its view): the document cache keeps only files some public agreement
-- still names.
ALTER TABLE agreements ADD COLUMN document_hashes text[] NOT NULL DEFAULT '{}';
CREATE INDEX agreements_document_hashes ON agreements USING gin (document_hashes);
