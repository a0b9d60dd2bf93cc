-- Response lab: what each endpoint answers (a rule or a scripted sequence), where it forwards
-- live traffic, and which deliveries came from an imported HAR file rather than the wire.

-- One row per endpoint that has anything configured; JSON documents of `store::rules` types,
-- NULL meaning the default (200 JSON with the delivery id; no forwarding).
CREATE TABLE endpoint_rules (
    endpoint_id  INTEGER PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
    rule_json    TEXT,
    forward_json TEXT
);

CREATE TABLE imported_deliveries (
    delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
    imported_at INTEGER NOT NULL,
    source      TEXT
);
