-- Flovi customer API client: its settings and every call it made.

-- One row. The API key is sealed (AES-256-GCM, see secrets.rs). The office list last fetched,
-- with the base URL it came from, lets office ids be checked before a schedule is sent.
CREATE TABLE flovi_settings (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    base_url        TEXT,
    api_key_sealed  BLOB,
    offices_base    TEXT,
    offices_json    TEXT,
    offices_at      INTEGER
);

INSERT INTO flovi_settings (id) VALUES (1);

-- Request headers are deliberately not stored: the API key travels in one of them.
-- Response bodies are capped at 1 MiB; `response_truncated` says when the rest was dropped.
CREATE TABLE flovi_calls (
    id                 INTEGER PRIMARY KEY,
    at                 INTEGER NOT NULL,
    method             TEXT NOT NULL,
    url                TEXT NOT NULL,
    request_body       TEXT,
    status             INTEGER,
    response_body      TEXT,
    response_truncated INTEGER NOT NULL DEFAULT 0,
    duration_ms        INTEGER NOT NULL,
    error              TEXT,
    schedule_id        TEXT
);
