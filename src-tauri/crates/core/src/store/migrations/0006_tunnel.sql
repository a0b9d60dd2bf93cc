-- Public URLs through a tunnel (ngrok, bore or an external one the user runs).

-- Which tunnel carried a delivery ("ngrok", "bore"); NULL when it reached the listener directly.
ALTER TABLE deliveries ADD COLUMN via_tunnel TEXT;

-- One row. `active` is the tunnel last started (NULL once stopped), so it restarts with the
-- app. The ngrok authtoken and the bore secret are sealed (AES-256-GCM, see secrets.rs).
CREATE TABLE tunnel_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    active             TEXT,
    ngrok_token_sealed BLOB,
    ngrok_domain       TEXT,
    bore_server        TEXT,
    bore_secret_sealed BLOB,
    external_url       TEXT
);

INSERT INTO tunnel_settings (id) VALUES (1);
