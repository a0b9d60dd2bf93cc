-- The answer each delivery got, as it went out: status, headers in the order written (names
-- as on the wire), and the body up to a cap with its full size. Written by the writer just
-- after the delivery's own commit (the default answer names the delivery's id), or by an
-- import from the HAR's response. A table of its own, as for `delivery_targets`: a column
-- added now would come after the request body.
CREATE TABLE delivery_responses (
    delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
    -- Who decided the answer: see `store::responses::ResponseSource`.
    source      TEXT NOT NULL,
    status      INTEGER NOT NULL,
    headers_raw BLOB NOT NULL,
    -- Bytes of the body as sent; `body` keeps at most the cap of them.
    body_size   INTEGER NOT NULL,
    truncated   INTEGER NOT NULL,
    body        BLOB NOT NULL
);
