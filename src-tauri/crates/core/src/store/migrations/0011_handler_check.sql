-- Handler checks send requests of their own kind, 'check', recorded like replays. SQLite
-- cannot change a CHECK constraint in place, so the table is rebuilt with its rows.
CREATE TABLE outbound_requests_new (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('replay', 'forward', 'sample', 'check')),
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
INSERT INTO outbound_requests_new SELECT * FROM outbound_requests;
DROP TABLE outbound_requests;
ALTER TABLE outbound_requests_new RENAME TO outbound_requests;
CREATE INDEX outbound_requests_delivery ON outbound_requests(delivery_id, id);

-- Past handler-check runs, kept whole (the scorecard as JSON) so two runs can be compared.
-- The requests a run sent are in outbound_requests, named by the ids inside `report`.
CREATE TABLE handler_check_runs (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    provider TEXT NOT NULL,
    target   TEXT NOT NULL,
    passed   INTEGER NOT NULL,
    report   TEXT NOT NULL
);
