-- Endpoints route incoming paths (longest prefix wins) to a provider.
CREATE TABLE endpoints (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    path_prefix TEXT NOT NULL UNIQUE,
    provider    TEXT,
    created_at  INTEGER NOT NULL
);

INSERT INTO endpoints (name, path_prefix, provider, created_at) VALUES
    ('flovi', '/flovi', 'flovi', 0),
    ('flowella', '/flowella', 'flowella', 0),
    ('fleiko', '/fleiko', 'fleiko', 0);

-- One row per request that reached the listener, including refused (oversize) attempts.
-- Headers are stored byte-exactly in `headers_raw` (see store::headers), in arrival order.
CREATE TABLE deliveries (
    id                  INTEGER PRIMARY KEY,
    received_at         INTEGER NOT NULL,
    method              TEXT NOT NULL,
    path                TEXT NOT NULL,
    query               TEXT,
    http_version        TEXT NOT NULL,
    headers_raw         BLOB NOT NULL,
    body_size           INTEGER NOT NULL,
    body_sha256         TEXT,
    body_stored         INTEGER NOT NULL,
    content_type        TEXT,
    remote_addr         TEXT,
    endpoint_id         INTEGER REFERENCES endpoints(id) ON DELETE SET NULL,
    provider            TEXT,
    response_status     INTEGER,
    response_latency_us INTEGER
);

CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, id);

-- Bodies live apart so that listing never pages through them.
CREATE TABLE delivery_bodies (
    id   INTEGER PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
    body BLOB NOT NULL
);

-- Full-text search over path, headers and text bodies. Contentless (the text already lives
-- above; rows leave through FTS5's 'delete' command with the same text) and without
-- positions (detail=none): every query term is a prefix match, which is all the search box
-- needs, at a fraction of the indexing cost of positional or trigram indexes.
CREATE VIRTUAL TABLE deliveries_fts USING fts5(
    path, headers, body,
    content = '',
    detail = none,
    tokenize = "unicode61 remove_diacritics 2"
);

-- Counters the writer keeps: `fts_indexed_upto` is the highest delivery id in the search
-- index. Indexing trails the durable commit so it never slows the answer to a provider.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO meta (key, value) VALUES ('fts_indexed_upto', 0);
