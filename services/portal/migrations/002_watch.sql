-- What the dashboard's lists need without reading every view: the last day something was
-- done under an agreement (its signing, a follow-up, a completed milestone) and its parent
-- (a child's signing follows the parent up).
ALTER TABLE agreements ADD COLUMN last_activity_on date;
ALTER TABLE agreements ADD COLUMN parent_id uuid;
ALTER TABLE agreements ADD COLUMN document_type text;
CREATE INDEX agreements_parent ON agreements (parent_id) WHERE parent_id IS NOT NULL;
