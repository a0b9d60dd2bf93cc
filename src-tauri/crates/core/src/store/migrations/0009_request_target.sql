-- The request target as sent, for the few deliveries whose path and query do not spell it
-- (an absolute-form `POST http://host/path`). A table of its own rather than a column: a
-- column added now would come after the body, and reading it would walk a large body's
-- overflow pages.
CREATE TABLE delivery_targets (
    delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
    target      TEXT NOT NULL
);
