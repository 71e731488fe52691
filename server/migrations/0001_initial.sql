-- Initial schema. Times are Unix seconds (UTC). No table holds a card number or CVC.

CREATE TABLE shops (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    origin      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    disabled_at INTEGER
) STRICT;

-- Only SHA-256 of each key's secret is stored.
CREATE TABLE api_keys (
    key_id     TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops (id),
    hash       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX api_keys_by_shop ON api_keys (shop_id, created_at);

-- state: open, processing or used; expiry follows from expires_at.
CREATE TABLE checkout_sessions (
    id              TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL REFERENCES shops (id),
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    order_reference TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT;

-- card_fingerprint is HMAC-SHA-256 of the card number under a key kept in the data directory.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    shop_id          TEXT NOT NULL REFERENCES shops (id),
    session_id       TEXT NOT NULL REFERENCES checkout_sessions (id),
    amount           INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    order_reference  TEXT NOT NULL,
    status           TEXT NOT NULL,
    decline_code     TEXT,
    brand            TEXT NOT NULL,
    last4            TEXT NOT NULL,
    exp_month        INTEGER NOT NULL,
    exp_year         INTEGER NOT NULL,
    card_fingerprint BLOB NOT NULL,
    kid              TEXT NOT NULL,
    envelope_id      TEXT NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX payments_by_fingerprint ON payments (shop_id, card_fingerprint, created_at);

-- Envelope ids seen, for replay detection; rows are deleted once forget_after has passed,
-- when the envelope could no longer pass the issue-time check.
CREATE TABLE used_envelopes (
    envelope_id  TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    used_at      INTEGER NOT NULL,
    forget_after INTEGER NOT NULL
) STRICT;

CREATE INDEX used_envelopes_by_forget_after ON used_envelopes (forget_after);

-- state: started or completed. body is the JSON answer sent for a completed request.
CREATE TABLE idempotency_keys (
    shop_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    state       TEXT NOT NULL,
    status      INTEGER,
    body        TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (shop_id, key)
) STRICT;

CREATE INDEX idempotency_keys_by_created_at ON idempotency_keys (created_at);

-- One row per attempt to open an envelope. outcome is a class name, never card data.
CREATE TABLE open_attempts (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    shop_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kid        TEXT,
    outcome    TEXT NOT NULL
) STRICT;

CREATE INDEX open_attempts_by_at ON open_attempts (at);
