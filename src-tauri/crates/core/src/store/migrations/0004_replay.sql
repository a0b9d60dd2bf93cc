-- Requests Hookscope sent to a user's target: replays, forwarded deliveries and samples.
-- Request headers and bodies are stored as sent (they are the user's own payloads; endpoint
-- secrets never travel in them, only signatures made with them). Response bodies are capped
-- (10 MiB); `truncated` says when the rest was dropped. `delivery_id` links a record to the
-- captured delivery it was built from and survives that delivery being pruned.
CREATE TABLE outbound_requests (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('replay', 'forward', 'sample')),
    delivery_id      INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
    url              TEXT NOT NULL,
    method           TEXT NOT NULL,
    request_headers  TEXT NOT NULL,
    request_body     BLOB NOT NULL,
    status           INTEGER,
    response_headers TEXT NOT NULL,
    response_body    BLOB NOT NULL,
    truncated        INTEGER NOT NULL DEFAULT 0,
    duration_ms      INTEGER NOT NULL,
    error            TEXT,
    options          TEXT,
    sent_event_id    TEXT
);

CREATE INDEX outbound_requests_delivery ON outbound_requests(delivery_id, id);

-- Where replays of an endpoint's deliveries go, remembered between sessions.
ALTER TABLE endpoints ADD COLUMN replay_target TEXT;
