-- Provider intelligence: per-endpoint verification settings and secrets, and the analysis of
-- each delivery (signature, decoded event, retry/duplicate grouping) stored beside it.

ALTER TABLE endpoints ADD COLUMN signature_header TEXT;
ALTER TABLE endpoints ADD COLUMN tolerance_secs INTEGER NOT NULL DEFAULT 300;

-- Secrets are sealed (AES-256-GCM, see secrets.rs); position 0 is the current secret.
CREATE TABLE endpoint_secrets (
    endpoint_id INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (endpoint_id, position)
) WITHOUT ROWID;

ALTER TABLE deliveries ADD COLUMN event_type TEXT;
ALTER TABLE deliveries ADD COLUMN event_id TEXT;
ALTER TABLE deliveries ADD COLUMN delivery_key TEXT;
ALTER TABLE deliveries ADD COLUMN attempt INTEGER;
ALTER TABLE deliveries ADD COLUMN signature TEXT;
ALTER TABLE deliveries ADD COLUMN signature_detail TEXT;
ALTER TABLE deliveries ADD COLUMN summary TEXT;
-- Deliveries of one event share a group key; repeats point at the first of their group.
ALTER TABLE deliveries ADD COLUMN group_key TEXT;
ALTER TABLE deliveries ADD COLUMN duplicate_of INTEGER;

-- Filters on provider, signature and event type scan the id index newest-first instead:
-- every extra index is paid on each capture, and a scan of 100 000 rows stays well under
-- the search budget.
CREATE INDEX deliveries_group ON deliveries(group_key, id) WHERE group_key IS NOT NULL;

-- Bumped whenever endpoints or their secrets change, so running listeners reload them.
INSERT INTO meta (key, value) VALUES ('endpoints_version', 0);
